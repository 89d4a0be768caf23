"""The processor as a whole: output order, duplicates, out-of-order values, day reset, live stats."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import pytest

from desktop_app.domain import Alert, BasisPoint, ClassifiedTrade, ForeignInvestorData, Side, TradeType, TradingSession
from desktop_app.processing.processor import MarketDataProcessor

from .events import Tape, at, foreign, futures_trade, vn30

NEXT_DAY = date(2026, 4, 9)


def test_outputs_reach_every_subscriber_in_market_order() -> None:
    processor = MarketDataProcessor()
    first: list = []
    second: list = []
    processor.subscribe(first.append)
    processor.subscribe(second.append)
    t = Tape()
    processor.process_all(
        [
            vn30("1280.0", clock="10:00:00"),
            t.trade(107_000, clock="10:00:01"),  # a trade and its ceiling alert
            foreign(100, 0, clock="10:00:02"),
            futures_trade("VN30F2604", "1300.0", clock="10:00:03"),  # trade, basis, extreme alert
        ]
    )
    kinds = [type(v).__name__ for v in first]
    assert kinds == ["ClassifiedTrade", "Alert", "ForeignInvestorData", "ClassifiedTrade", "BasisPoint", "Alert"]
    assert second == first


def test_a_failing_subscriber_is_logged_and_does_not_starve_the_others(caplog) -> None:
    processor = MarketDataProcessor()

    def broken(value) -> None:
        raise RuntimeError("ui slot bug")

    kept: list = []
    processor.subscribe(broken)
    processor.subscribe(kept.append)
    with caplog.at_level(logging.ERROR):
        processor.process(Tape().trade(100_000))
    assert len(kept) == 1
    assert processor.counters.subscriber_errors == 1
    assert "ui slot bug" in caplog.text


def test_prints_whose_total_volume_does_not_increase_are_duplicates() -> None:
    processor = MarketDataProcessor()
    out: list = []
    processor.subscribe(out.append)
    t = Tape(ceiling=None, floor=None)
    a = t.trade(100_000, 100, clock="10:00:00")  # TotalVol 100
    b = t.trade(100_100, 200, clock="10:00:01")  # TotalVol 300
    processor.process_all([a, b, b, a, t.trade(100_200, 50, clock="10:00:02")])
    assert [c.price for c in out] == [Decimal("100000"), Decimal("100100"), Decimal("100200")]
    counters = processor.counters
    assert (counters.trades, counters.duplicates) == (3, 2)
    row = processor.stats.symbol("FPT")
    assert (row.total_volume, row.buy_volume + row.sell_volume + row.neutral_volume) == (350, 350)


def test_same_total_volume_on_another_symbol_is_not_a_duplicate() -> None:
    processor = MarketDataProcessor()
    processor.process_all([Tape("FPT").trade(100_000), Tape("VNM").trade(60_000)])
    assert (processor.counters.trades, processor.counters.duplicates) == (2, 0)


def test_older_quotes_and_index_values_and_earlier_days_are_out_of_order() -> None:
    processor = MarketDataProcessor()
    t = Tape()
    yesterday = Tape(day=date(2026, 4, 7))
    processor.process_all(
        [
            t.quote(100_000, 100_100, clock="10:00:05"),
            t.quote(99_000, 99_100, clock="10:00:04"),  # late: must not replace the book
            vn30("1280.0", clock="10:00:05"),
            vn30("1270.0", clock="10:00:04"),
            yesterday.trade(90_000, clock="14:44:00"),
            t.trade(100_100, clock="10:00:06"),
        ]
    )
    row = processor.stats.symbol("FPT")
    assert (row.best_bid, row.best_ask, row.last) == (Decimal("100000"), Decimal("100100"), Decimal("100100"))
    assert processor.stats.market().vn30_value == Decimal("1280.0")
    assert processor.counters.out_of_order == 3
    assert (processor.counters.quotes, processor.counters.index_values, processor.counters.trades) == (1, 1, 1)


def test_a_new_trading_day_resets_stats_classification_flow_and_cooldowns() -> None:
    processor = MarketDataProcessor()
    out: list = []
    processor.subscribe(out.append)
    today, tomorrow = Tape(), Tape(day=NEXT_DAY)
    processor.process_all(
        [
            today.quote(100_000, 100_100, clock="14:00:00"),
            today.trade(100_100, 1_000, clock="14:00:01"),
            today.trade(107_000, 500, clock="14:29:00"),  # ceiling alert
            foreign(1_000_000, 0, clock="14:29:00"),
            vn30("1280.0", clock="14:29:00"),
            futures_trade("VN30F2604", "1290.0", clock="14:29:00"),
        ]
    )
    before = processor.stats.version
    # Next morning: TotalVol restarts from 0, the book and the last price are gone.
    processor.process_all(
        [
            tomorrow.trade(107_000, 100, clock="09:20:00"),  # 100 < yesterday's TotalVol: not a dup
            foreign(200_000, 0, clock="09:20:00", day=NEXT_DAY),
        ]
    )
    assert processor.trading_date == NEXT_DAY
    classified = [v for v in out if isinstance(v, ClassifiedTrade)]
    assert classified[-1].bid_price is None and classified[-1].trade_type is TradeType.NEUTRAL
    # Ceiling again the next morning, less than 5 min of wall/market clock since... a day later: fires.
    assert [a.timestamp for a in out if isinstance(a, Alert) and a.alert_type == "ceiling_hit"] == [
        at("14:29:00"),
        at("09:20:00", NEXT_DAY),
    ]
    # Foreign flow restarts: 200,000 is the day's first snapshot, not a drop from 1,000,000.
    snapshots = [v for v in out if isinstance(v, ForeignInvestorData)]
    assert (snapshots[-1].buy_volume, snapshots[-1].buy_speed_per_min) == (200_000, Decimal("0.00"))
    assert processor.counters.duplicates == 0 and processor.counters.out_of_order == 0
    row = processor.stats.symbol("FPT")
    assert (row.total_volume, row.buy_volume, row.neutral_volume, row.open) == (100, 0, 100, Decimal("107000"))
    market = processor.stats.market()
    assert (market.trading_date, market.vn30_value, market.basis, market.futures_price) == (NEXT_DAY, None, None, None)
    # Every row is reported changed, so the UI clears yesterday's figures.
    version, rows = processor.stats.changed_since(before)
    assert {r.symbol for r in rows} == {"FPT", "SSI", "VN30F2604"}
    fut = processor.stats.symbol("VN30F2604")
    assert (fut.last, fut.total_volume) == (None, 0)
    assert processor.counters.days_started == 2


def test_no_basis_across_days_until_both_sides_trade_again() -> None:
    processor = MarketDataProcessor()
    points: list = []
    processor.subscribe(lambda v: points.append(v) if isinstance(v, BasisPoint) else None)
    processor.process_all(
        [
            vn30("1280.0", clock="14:29:00"),
            futures_trade("VN30F2604", "1290.0", clock="14:29:00"),
            vn30("1285.0", clock="09:15:00", day=NEXT_DAY),  # futures not yet traded today
            futures_trade("VN30F2604", "1291.0", clock="09:15:01", day=NEXT_DAY),
        ]
    )
    assert [(p.basis, p.timestamp) for p in points] == [
        (Decimal("10.0"), at("14:29:00")),
        (Decimal("6.0"), at("09:15:01", NEXT_DAY)),
    ]


def test_live_stats_for_the_watchlist() -> None:
    processor = MarketDataProcessor()
    t = Tape(ref="100000", ceiling="107000", floor="93000")
    processor.process_all(
        [
            t.trade(100_500, 1_000, clock="09:14:00", session=TradingSession.ATO),
            t.quote(100_500, 100_600, clock="09:15:00"),
            t.trade(100_600, 2_000, clock="09:15:01"),  # buy (at ask)
            t.trade(100_500, 1_000, clock="09:15:02"),  # sell (at bid)
            t.trade(100_550, 500, clock="09:15:03"),  # inside: uptick -> buy
            t.trade(99_800, 300, clock="09:15:04", side=Side.SELL),
            t.trade(99_900, 10_000, clock="14:50:00", session=TradingSession.PUT_THROUGH),
        ]
    )
    row = processor.stats.symbol("FPT")
    assert row is not None
    # the put-through at 99,900 moves neither Last nor +/- nor %: the matched close is 99,800
    assert (row.last, row.change, row.ref_price, row.ceiling, row.floor) == (
        Decimal("99800"),
        Decimal("-200"),
        Decimal("100000"),
        Decimal("107000"),
        Decimal("93000"),
    )
    assert row.change_pct == pytest.approx(-0.2)
    assert (row.open, row.day_high, row.day_low, row.close) == (
        Decimal("100500"),
        Decimal("100600"),
        Decimal("99800"),
        Decimal("99800"),
    )
    assert (row.high, row.low) == (Decimal("100600"), Decimal("99800"))  # no exchange figures: ours
    assert (row.buy_volume, row.sell_volume, row.neutral_volume) == (2_500, 1_300, 0)
    assert (row.auction_volume, row.put_through_volume, row.total_volume) == (1_000, 10_000, 14_800)
    assert (row.matched_volume, row.put_through_value) == (4_800, Decimal(999_000_000))
    assert row.active_buy_share == pytest.approx(2_500 / 3_800)
    assert (row.best_bid, row.best_ask, row.exchange) == (Decimal("100500"), Decimal("100600"), "HOSE")
    assert row.last_update == at("14:50:00")
    assert processor.stats.symbol("VNM") is None


def test_changed_since_reports_only_rows_that_changed_and_snapshots_are_reused() -> None:
    processor = MarketDataProcessor()
    stats = processor.stats
    fpt, vnm = Tape("FPT"), Tape("VNM", ref="60000", ceiling=None, floor=None)
    processor.process_all([fpt.trade(100_000), vnm.trade(60_000)])
    version, rows = stats.changed_since(0)
    assert {r.symbol for r in rows} == {"FPT", "VNM"}
    assert stats.changed_since(version) == (version, [])
    processor.process(vnm.trade(60_100, clock="10:00:01"))
    new_version, rows = stats.changed_since(version)
    assert new_version > version
    assert [(r.symbol, r.last) for r in rows] == [("VNM", Decimal("60100"))]
    assert stats.symbol("FPT") is stats.symbol("FPT")  # unchanged: the same immutable snapshot
    assert set(stats.symbols()) == {"FPT", "VNM"}


def test_market_stats_track_vn30_and_the_front_month() -> None:
    processor = MarketDataProcessor()
    processor.process(futures_trade("VN30F2604", "1290.0", clock="09:00:00"))
    market = processor.stats.market()
    assert (market.futures_symbol, market.futures_price, market.basis, market.vn30_value) == (
        "VN30F2604",
        Decimal("1290.0"),
        None,
        None,
    )
    processor.process(vn30("1287.5", clock="09:15:00", prior="1250"))
    market = processor.stats.market()
    assert (market.vn30_value, market.vn30_change, market.basis, market.basis_time) == (
        Decimal("1287.5"),
        Decimal("37.5"),
        Decimal("2.5"),
        at("09:15:00"),
    )
    assert market.vn30_change_pct == pytest.approx(3.0)
    assert processor.front_month == "VN30F2604"


def test_counters_for_the_record_summary() -> None:
    processor = MarketDataProcessor()
    t = Tape()
    processor.process_all(
        [
            t.quote(100_000, 100_100),
            t.trade(100_100),
            t.trade(100_100, total_volume=100),
            foreign(10, 0),
            foreign(10, 0, clock="10:00:01"),
            vn30("1280.0"),
            futures_trade("VN30F2604", "1300.0"),
        ]
    )
    counts = processor.counters.as_dict()
    expected = {
        "trades": 2,
        "quotes": 1,
        "foreign_snapshots": 1,
        "foreign_unchanged": 1,
        "index_values": 1,
        "basis_points": 1,
        "alerts": 1,  # basis_extreme (+20)
        "duplicates": 1,
    }
    assert {k: counts[k] for k in expected} == expected


def test_process_rejects_values_that_are_not_market_events() -> None:
    with pytest.raises(TypeError, match="not a market event"):
        MarketDataProcessor().process("{}")  # type: ignore[arg-type]
