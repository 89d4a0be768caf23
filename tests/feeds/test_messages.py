"""Envelope parsing and validation with the real payloads of the SSI protocol page."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import orjson
import pytest

from desktop_app.domain import (
    VIETNAM_TZ,
    Bar,
    ForeignRoom,
    IndexValue,
    PriceLevel,
    Quote,
    SessionStatus,
    Side,
    Trade,
    TradingSession,
)
from desktop_app.feeds import messages
from desktop_app.feeds.messages import (
    FAST_PATHS, PARSER_CACHES, PARSER_FAILURE, REJECTION_KINDS, InvalidMessage, ParserFailure, parse_envelope,
)

# Real examples from docs/market-data.md.
ACB_TRADE = {
    "RType": "X-TRADE", "TradingDate": "14/08/2023", "Time": "14:07:53", "Isin": "ACB", "Symbol": "ACB",
    "Ceiling": 24500.0, "Floor": 21300.0, "RefPrice": 22900.0, "AvgPrice": 22927.93, "PriorVal": 22900.0,
    "LastPrice": 22950.0, "LastVol": 100.0, "TotalVal": 201713015000.0, "TotalVol": 8797700.0,
    "MarketId": "HOSE", "Exchange": "HOSE", "TradingSession": "LO", "TradingStatus": "N", "Change": 50.0,
    "RatioChange": 0.22, "EstMatchedPrice": 22900.0, "Highest": 23050, "Lowest": 22800, "Side": "SD",
}
SSI_ROOM = {
    "RType": "R", "TradingDate": "14/08/2023", "Time": "14:24:02", "Isin": "SSI", "Symbol": "SSI",
    "TotalRoom": 1501130137.0, "CurrentRoom": 806887173.0, "BuyVol": 863352.0, "SellVol": 825308.0,
    "BuyVal": 25123543200.0, "SellVal": 24016462800.0, "MarketId": "HOSE", "Exchange": "HOSE",
}


def quote_content(**overrides: object) -> dict:
    content: dict = {"RType": "X-QUOTE", "TradingDate": "14/08/2023", "Time": "14:07:52", "Exchange": "HOSE",
                     "Symbol": "ACB", "TradingSession": "LO"}
    for i in range(1, 11):
        filled = i <= 3
        content[f"BidPrice{i}"] = 22950.0 - 50 * (i - 1) if filled else 0.0
        content[f"BidVol{i}"] = 1000.0 * i if filled else 0.0
        content[f"AskPrice{i}"] = 23000.0 + 50 * (i - 1) if filled else 0.0
        content[f"AskVol{i}"] = 500.0 * i if filled else 0.0
    content.update(overrides)
    return content


def envelope(data_type: str, content: dict | str, *, double_encoded: bool = True) -> str:
    body = orjson.dumps(content).decode() if double_encoded and not isinstance(content, str) else content
    return orjson.dumps({"DataType": data_type, "Content": body}).decode()


@pytest.fixture(autouse=True)
def cold_caches() -> None:
    """Every test starts from empty parser caches: which path it covers never depends on order."""
    PARSER_CACHES.reset()


def rejection(raw: str | bytes) -> str:
    with pytest.raises(InvalidMessage) as info:
        parse_envelope(raw)
    assert info.value.kind in REJECTION_KINDS
    return info.value.kind


# --------------------------------------------------------------------------- valid messages


def test_x_trade_acb_real_payload() -> None:
    (trade,) = parse_envelope(envelope("X-TRADE", ACB_TRADE))
    assert trade == Trade(
        symbol="ACB", exchange="HOSE", trading_date=date(2023, 8, 14),
        timestamp=datetime(2023, 8, 14, 14, 7, 53, tzinfo=VIETNAM_TZ),
        price=Decimal("22950"), volume=100, total_volume=8797700, total_value=Decimal("201713015000"),
        ref_price=Decimal("22900"), ceiling=Decimal("24500"), floor=Decimal("21300"),
        highest=Decimal("23050"), lowest=Decimal("22800"), avg_price=Decimal("22927.93"),
        session=TradingSession.CONTINUOUS, side=Side.SELL,
    )
    assert type(trade) is Trade
    # the true instant: 14:07:53 in Hanoi is 07:07:53 UTC
    assert trade.timestamp.utctimetuple()[3:6] == (7, 7, 53)


def test_r_ssi_real_payload() -> None:
    (room,) = parse_envelope(envelope("R", SSI_ROOM))
    assert room == ForeignRoom(
        symbol="SSI", trading_date=date(2023, 8, 14), timestamp=datetime(2023, 8, 14, 14, 24, 2, tzinfo=VIETNAM_TZ),
        total_room=1501130137, current_room=806887173, buy_volume=863352, sell_volume=825308,
        buy_value=Decimal("25123543200"), sell_value=Decimal("24016462800"),
    )


def test_documented_foreign_key_names_are_accepted_too() -> None:
    content = {k: v for k, v in SSI_ROOM.items() if k not in ("BuyVol", "SellVol", "BuyVal", "SellVal")}
    content.update(FBuyVol=10.0, FSellVol=20.0, FBuyVal=300.0, FSellVal=600.0)
    (room,) = parse_envelope(envelope("R", content))
    assert (room.buy_volume, room.sell_volume, room.buy_value, room.sell_value) == (10, 20, 300, 600)


def test_content_already_an_object_is_accepted() -> None:
    assert parse_envelope(envelope("X-TRADE", ACB_TRADE, double_encoded=False)) == parse_envelope(
        envelope("X-TRADE", ACB_TRADE)
    )
    assert parse_envelope(envelope("X-TRADE", ACB_TRADE).encode()) == parse_envelope(envelope("X-TRADE", ACB_TRADE))


def test_numbers_as_strings_and_nan_in_optional_fields() -> None:
    content = dict(ACB_TRADE, LastPrice="22950", LastVol="100", TotalVol="8797700",
                   TotalVal="663258204999.9850", AvgPrice="NaN", Highest=None, TradingStatus="Normal")
    (trade,) = parse_envelope(envelope("X-TRADE", content))
    assert trade.price == Decimal("22950") and trade.volume == 100
    assert str(trade.total_value) == "663258204999.9850"  # exactly the text SSI sent
    assert trade.avg_price is None and trade.highest is None


def test_float_prices_keep_the_decimal_that_was_sent() -> None:
    (trade,) = parse_envelope(envelope("X-TRADE", dict(ACB_TRADE, AvgPrice=22927.93, LastPrice=0.1 + 0.2)))
    assert trade.avg_price == Decimal("22927.93")
    assert trade.price == Decimal("0.30000000000000004")  # the float's repr, not its binary expansion


def test_x_quote_levels_best_first_and_empty_levels_dropped() -> None:
    (quote,) = parse_envelope(envelope("X-QUOTE", quote_content()))
    assert isinstance(quote, Quote)
    assert [(lv.price, lv.volume) for lv in quote.bids] == [(22950, 1000), (22900, 2000), (22850, 3000)]
    assert [(lv.price, lv.volume) for lv in quote.asks] == [(23000, 500), (23050, 1000), (23100, 1500)]
    assert quote.best_bid == Decimal("22950") and quote.best_ask == Decimal("23000")


def test_x_snapshot_gives_a_quote_and_a_trade_only_when_it_carries_a_print() -> None:
    snapshot = dict(quote_content(), **{k: v for k, v in ACB_TRADE.items() if k != "RType"}, RType="X")
    quote, trade = parse_envelope(envelope("X", snapshot))
    assert isinstance(quote, Quote) and isinstance(trade, Trade)
    assert trade.price == Decimal("22950") and quote.best_ask == Decimal("23000")
    (only_quote,) = parse_envelope(envelope("X", dict(snapshot, LastVol=0.0)))
    assert isinstance(only_quote, Quote)


def test_futures_on_derivatives_in_index_points() -> None:
    content = dict(ACB_TRADE, Symbol="VN30F2612", Isin="VN30F2612", Exchange="DERIVATIVES", MarketId="DERIVATIVES",
                   LastPrice=1234.5, Ceiling=1320.9, Floor=1148.1, RefPrice=1234.5, Highest=1240.1, Lowest=1229.9,
                   AvgPrice=1234.56, LastVol=3.0, TotalVol=12345.0, TotalVal=152345678900.0, Side="BU")
    (trade,) = parse_envelope(envelope("X-TRADE", content))
    assert trade.is_derivative and trade.price == Decimal("1234.5") and trade.side is Side.BUY
    (krx,) = parse_envelope(envelope("X-TRADE", dict(content, Symbol="41I1G4000")))
    assert krx.symbol == "41I1G4000"


@pytest.mark.parametrize("key", ["IndexId", "IndexID"])
def test_mi_index_with_either_spelling(key: str) -> None:
    content = {"RType": "MI", key: "VN30", "IndexValue": 1352.47, "PriorIndexValue": 1348.1, "Change": -1.5,
               "RatioChange": -0.11, "TotalQtty": 123456700.0, "TotalValue": 4.5e12, "Advances": 12,
               "NoChanges": 3, "Declines": 15, "Ceilings": 1, "Floors": 0, "TradingDate": "14/08/2023",
               "Time": "10:00:00", "TradingSession": None, "Exchange": "HOSE"}
    (value,) = parse_envelope(envelope("MI", content))
    assert isinstance(value, IndexValue)
    assert (value.index_id, value.value, value.change) == ("VN30", Decimal("1352.47"), Decimal("-1.5"))
    assert value.total_value == Decimal("4500000000000") and value.declines == 15
    assert value.session is TradingSession.UNKNOWN


def test_bar_and_session_status() -> None:
    (bar,) = parse_envelope(envelope("B", {"RType": "B", "Symbol": "FPT", "TradingDate": "14/08/2023",
                                           "Time": "10:01:00", "Open": 98000.0, "High": 98500.0, "Low": 97900.0,
                                           "Close": 98100.0, "Volume": 12300.0, "Value": 1206000000.0}))
    assert isinstance(bar, Bar) and bar.high == Decimal("98500") and bar.volume == 12300
    (status,) = parse_envelope(envelope("F", {"RType": "F", "MarketId": "HOSE", "Symbol": "FPT",
                                              "TradingDate": "14/08/2023", "Time": "11:30:00",
                                              "TradingSession": "BREAK", "TradingStatus": "Normal"}))
    assert isinstance(status, SessionStatus)
    assert status.session is TradingSession.BREAK and status.status == "N"


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("not json at all", "not_json"),
        (b"\xff\xfe garbage", "not_json"),
        ('{"DataType":"X-TRADE","Content":"{\\"Symbol\\":"}', "not_json"),
        ("[1, 2, 3]", "not_envelope"),
        ('{"Content": "{}"}', "not_envelope"),
        ('{"DataType": "X-TRADE"}', "not_envelope"),
        ('{"DataType": "X-TRADE", "Content": "[1]"}', "not_envelope"),
        ('{"DataType": "OL", "Content": "{}"}', "unknown_type"),
        ('{"DataType": "X-TRADE", "Content": "' + " " * 70_000 + '{}"}', "oversized"),
    ],
)
def test_garbage_is_rejected_by_kind(raw: str | bytes, kind: str) -> None:
    assert rejection(raw) == kind


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"Symbol": None}, "missing_field"),
        ({"Symbol": ""}, "missing_field"),
        ({"Symbol": "AC B;DROP"}, "bad_symbol"),
        ({"Symbol": "X" * 40}, "bad_symbol"),
        ({"Symbol": 42}, "bad_symbol"),
        ({"LastPrice": -22950.0}, "bad_value"),
        ({"LastPrice": 0.0}, "bad_value"),
        ({"LastPrice": 2e9}, "bad_value"),
        ({"LastPrice": "NaN"}, "missing_field"),
        ({"LastPrice": "Infinity"}, "bad_value"),
        ({"LastPrice": "abc"}, "bad_value"),
        ({"LastPrice": [1]}, "bad_value"),
        ({"LastVol": 100.5}, "bad_value"),
        ({"LastVol": 0.0}, "bad_value"),
        ({"LastVol": 1e12}, "bad_value"),
        ({"TotalVol": 50.0}, "bad_value"),  # below this print's own size
        ({"Ceiling": -1.0}, "bad_value"),
        ({"TradingDate": "2023/14/08"}, "bad_time"),
        ({"TradingDate": "31/02/2023"}, "bad_time"),
        ({"Time": "25:00:00"}, "bad_time"),
        ({"Time": None}, "missing_field"),
        ({"Exchange": None, "MarketId": None}, "missing_field"),
    ],
)
def test_invalid_trade_fields_are_rejected(change: dict, kind: str) -> None:
    assert rejection(envelope("X-TRADE", dict(ACB_TRADE, **change))) == kind


def test_missing_required_field_is_named() -> None:
    content = {k: v for k, v in ACB_TRADE.items() if k != "LastPrice"}
    with pytest.raises(InvalidMessage, match="LastPrice") as info:
        parse_envelope(envelope("X-TRADE", content))
    assert info.value.kind == "missing_field"


def test_invalid_quote_room_and_bar_are_rejected() -> None:
    assert rejection(envelope("X-QUOTE", quote_content(BidVol1=-5.0))) == "bad_value"
    assert rejection(envelope("X-QUOTE", quote_content(AskPrice1="oops"))) == "bad_value"
    assert rejection(envelope("R", dict(SSI_ROOM, BuyVol=None))) == "missing_field"
    assert rejection(envelope("R", dict(SSI_ROOM, SellVal=-1.0))) == "bad_value"
    assert rejection(envelope("B", {"RType": "B", "Symbol": "FPT", "TradingDate": "14/08/2023", "Time": "10:01:00",
                                    "Open": 1.0, "High": 0.5, "Low": 0.4, "Close": 0.45, "Volume": 1.0})) == "bad_value"
    assert rejection(envelope("MI", {"IndexId": "VN30", "TradingDate": "14/08/2023", "Time": "10:00:00"})) == "missing_field"


def test_invalid_message_is_a_value_error_with_a_readable_message() -> None:
    with pytest.raises(ValueError, match="unknown_type"):
        parse_envelope('{"DataType": "ZZ", "Content": "{}"}')


def test_fast_and_full_paths_agree() -> None:
    """The all-floats shape (served from caches after the first time) equals the strings shape."""
    as_text = {k: (str(v) if isinstance(v, (int, float)) else v) for k, v in ACB_TRADE.items()}
    first = parse_envelope(envelope("X-TRADE", ACB_TRADE))
    assert parse_envelope(envelope("X-TRADE", ACB_TRADE)) == first == parse_envelope(envelope("X-TRADE", as_text))
    quote = quote_content()
    quote_text = {k: (str(v) if isinstance(v, float) else v) for k, v in quote.items()}
    assert parse_envelope(envelope("X-QUOTE", quote)) == parse_envelope(envelope("X-QUOTE", quote)) \
        == parse_envelope(envelope("X-QUOTE", quote_text))


@pytest.mark.parametrize(
    ("data_type", "change", "kind"),
    [
        ("X-TRADE", {"Time": "25:00:00"}, "bad_time"),
        ("X-TRADE", {"Symbol": ""}, "missing_field"),
        ("X-TRADE", {"LastVol": 1e12}, "bad_value"),
        ("X-TRADE", {"Highest": -1.0}, "bad_value"),
        ("X-QUOTE", {"BidVol2": -1.0}, "bad_value"),
        ("X-QUOTE", {"AskPrice3": 2e9}, "bad_value"),
        ("X-QUOTE", {"Symbol": "A B"}, "bad_symbol"),
    ],
)
def test_warm_caches_do_not_let_a_bad_field_through(data_type: str, change: dict, kind: str) -> None:
    good = ACB_TRADE if data_type == "X-TRADE" else quote_content()
    parse_envelope(envelope(data_type, good))  # everything else in the message is now cached
    assert rejection(envelope(data_type, dict(good, **change))) == kind


def test_book_levels_from_cached_prices_keep_price_and_volume_apart() -> None:
    """Levels are built from cached prices: a new volume at a known price, or a known volume at a
    new price, is its own level; JSON integers read like the same floats."""
    parse_envelope(envelope("X-QUOTE", quote_content()))  # 22950, 23000 etc. are cached prices now
    (quote,) = parse_envelope(envelope("X-QUOTE", quote_content(BidVol1=1500.0, AskPrice1=22990.0)))
    assert [(lv.price, lv.volume) for lv in quote.bids] == [(22950, 1500), (22900, 2000), (22850, 3000)]
    assert [(lv.price, lv.volume) for lv in quote.asks] == [(22990, 500), (23050, 1000), (23100, 1500)]
    (as_ints,) = parse_envelope(envelope("X-QUOTE", quote_content(BidPrice1=22950, BidVol1=1500)))
    assert as_ints.bids == quote.bids and as_ints.bids[0].volume.__class__ is int


def test_json_booleans_never_pass_as_cached_numbers() -> None:
    """Python hashes and compares true/false like 1/0; a cache hit must not make them numbers."""
    parse_envelope(envelope("X-QUOTE", quote_content(BidPrice1=1.0, BidVol1=1.0, BidPrice2=0.0)))
    parse_envelope(envelope("X-TRADE", dict(ACB_TRADE, RefPrice=1.0)))  # 1.0 is a cached price now
    assert rejection(envelope("X-QUOTE", quote_content(BidPrice1=True, BidVol1=1.0, BidPrice2=0.0))) == "bad_value"
    assert rejection(envelope("X-QUOTE", quote_content(BidPrice1=1.0, BidVol1=True, BidPrice2=0.0))) == "bad_value"
    assert rejection(envelope("X-TRADE", dict(ACB_TRADE, RefPrice=True))) == "bad_value"
    assert rejection(envelope("X-TRADE", dict(ACB_TRADE, LastVol=True))) == "bad_value"


def test_a_full_cached_book_still_refuses_booleans_and_reads_integers_alike() -> None:
    """Three levels a side built inline from cached prices; a boolean that hashes like a cached
    price or compares like a volume is still a rejection, and JSON integers give the same levels."""
    book = quote_content(BidPrice3=1.0, BidVol3=1.0)
    (plain,) = parse_envelope(envelope("X-QUOTE", book))  # every price of this book is cached now
    assert parse_envelope(envelope("X-QUOTE", book)) == (plain,)
    assert rejection(envelope("X-QUOTE", dict(book, BidPrice3=True))) == "bad_value"
    assert rejection(envelope("X-QUOTE", dict(book, BidVol3=True))) == "bad_value"
    (as_ints,) = parse_envelope(envelope("X-QUOTE", dict(book, BidPrice1=22950, AskVol2=1000)))
    assert as_ints == plain
    with PARSER_CACHES.disabled():
        assert parse_envelope(envelope("X-QUOTE", book)) == (plain,)


def test_avg_price_is_exact_whether_new_or_repeated() -> None:
    """AvgPrice changes with nearly every print, so it is converted each time (not cached)."""
    prices = [22927.93, 22927.9, 22928.0, 22927.93]
    avgs = [parse_envelope(envelope("X-TRADE", dict(ACB_TRADE, AvgPrice=p)))[0].avg_price for p in prices]
    assert [str(a) for a in avgs] == ["22927.93", "22927.9", "22928", "22927.93"]
    assert parse_envelope(envelope("X-TRADE", dict(ACB_TRADE, AvgPrice=0.0)))[0].avg_price is None
    assert rejection(envelope("X-TRADE", dict(ACB_TRADE, AvgPrice=2e9))) == "bad_value"


@pytest.mark.parametrize("data_type", ["X-TRADE", "X-QUOTE"])
def test_each_fast_path_equals_the_plain_path(data_type: str) -> None:
    """The fast path is taken only from warm caches, and then gives what the plain path gives."""
    content = ACB_TRADE if data_type == "X-TRADE" else quote_content()
    with PARSER_CACHES.disabled():
        plain = parse_envelope(envelope(data_type, content))
        parse_envelope(envelope(data_type, content))
        assert FAST_PATHS[data_type](orjson.loads(orjson.dumps(content))) is None  # nothing was cached
    assert FAST_PATHS[data_type](orjson.loads(orjson.dumps(content))) is None  # cold
    assert parse_envelope(envelope(data_type, content)) == plain  # the full path fills the caches
    assert FAST_PATHS[data_type](orjson.loads(orjson.dumps(content))) == plain
    PARSER_CACHES.reset()
    assert FAST_PATHS[data_type](orjson.loads(orjson.dumps(content))) is None


BOOK_SHAPES = {
    "three a side": {},
    "an empty side": {"BidPrice1": 0.0, "BidVol1": 0.0},
    "one bid": {"BidPrice2": 0.0},
    "two asks": {"AskPrice3": 0.0, "AskVol3": 0.0},
    "a zero volume": {"BidVol2": 0.0},
    "integer prices and volumes": {"BidPrice1": 22950, "AskVol2": 1000},
    "a null third level": {"AskPrice3": None},
    "a price as text": {"BidPrice2": "22900"},
    "a price not seen before": {"AskPrice2": 23060.0},
    "an empty level, then more": {"BidPrice2": 0.0, "BidPrice3": 22850.0},
}


@pytest.mark.parametrize("overrides", BOOK_SHAPES.values(), ids=list(BOOK_SHAPES))
def test_each_book_shape_gives_the_same_quote_warm_or_cold(overrides: dict) -> None:
    """The inline three-level side (warm caches) and the level-by-level one (caches off) agree,
    and a quote's levels are its prices and volumes side by side."""
    content = quote_content(**overrides)
    with PARSER_CACHES.disabled():
        (cold,) = parse_envelope(envelope("X-QUOTE", content))
    parse_envelope(envelope("X-QUOTE", quote_content()))  # the usual prices are cached now
    (warm,) = parse_envelope(envelope("X-QUOTE", content))
    (again,) = parse_envelope(envelope("X-QUOTE", content))
    assert warm == cold == again
    bids = []
    for i in range(1, 11):
        price, volume = content[f"BidPrice{i}"], content[f"BidVol{i}"]
        if price in (None, 0):
            break
        bids.append((Decimal(str(price)), int(volume)))
    assert [(level.price, level.volume) for level in warm.bids] == bids
    assert warm.bids == tuple(PriceLevel(p, v) for p, v in zip(warm.bid_prices, warm.bid_volumes))
    assert warm.best_bid == (bids[0][0] if bids else None)
    assert Quote.of_levels(warm.symbol, warm.exchange, warm.trading_date, warm.timestamp,
                           warm.bids, warm.asks, warm.session) == warm


def test_a_bug_in_the_parser_is_a_failure_not_a_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(content: dict) -> tuple:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(messages._PARSERS, "R", broken)
    with pytest.raises(ParserFailure) as info:
        parse_envelope(envelope("R", SSI_ROOM))
    assert not isinstance(info.value, InvalidMessage)
    assert info.value.kind == PARSER_FAILURE and PARSER_FAILURE not in REJECTION_KINDS
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert rejection("not json") == "not_json"  # rejections are still rejections


def test_a_demo_morning_parses_alike_through_the_fast_paths_and_the_plain_one() -> None:
    """The usual trades and quotes take the wire-shape decoding (feeds/wire_shapes.py) and the
    caches; with the caches off every message goes the plain way. Both give the same events."""
    from itertools import islice

    from desktop_app.feeds.demo import DemoMarket

    raws = list(islice(DemoMarket(seed=7, start=date(2026, 4, 8)).day_envelopes(), 30_000))
    with PARSER_CACHES.disabled():
        plain = [parse_envelope(raw) for raw in raws]
    PARSER_CACHES.reset()
    cold = [parse_envelope(raw) for raw in raws]
    warm = [parse_envelope(raw) for raw in raws]
    assert plain == cold == warm
    kinds = {type(events[0]).__name__ for events in warm}
    assert {"Trade", "Quote"} <= kinds and sum(isinstance(e[0], Quote) for e in warm) > 10_000


def test_the_wire_shapes_read_the_fields_the_fast_paths_unpack() -> None:
    """One list of fields for both ways in: a decoded dict and a wire-shape decode agree."""
    from msgspec.structs import astuple

    from desktop_app.feeds.wire_shapes import QUOTE_WIRE, TRADE_WIRE

    for decoder, content, fields in ((TRADE_WIRE, ACB_TRADE, messages._TRADE_FIELDS),
                                     (QUOTE_WIRE, quote_content(), messages._QUOTE_FIELDS)):
        assert astuple(decoder.decode(orjson.dumps(content))) == fields(content)
