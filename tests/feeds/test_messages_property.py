"""Whatever arrives, parse_envelope yields valid domain values or raises InvalidMessage: nothing else.

A crash inside the parser surfaces as ``ParserFailure``, which ``check`` does not catch: such an
input fails the test. Each input is parsed with the caches disabled (the plain path), then twice
with the caches on (the second time from warm caches, the fast path where it applies); all three
outcomes must be equal.
"""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.domain import (
    Bar,
    ForeignRoom,
    IndexValue,
    PriceLevel,
    Quote,
    SessionStatus,
    Trade,
    TradingSession,
)
from desktop_app.feeds import messages
from desktop_app.feeds.messages import (
    MAX_PRICE, MAX_VOLUME, PARSER_CACHES, REJECTION_KINDS, InvalidMessage, ParserFailure, parse_envelope,
)
from tests.feeds.test_messages import ACB_TRADE, SSI_ROOM, quote_content

REAL_MESSAGES: list[tuple[str, dict]] = [
    ("X-TRADE", ACB_TRADE),
    ("R", SSI_ROOM),
    ("X-QUOTE", quote_content()),
    ("X", dict(quote_content(), **{k: v for k, v in ACB_TRADE.items() if k != "RType"}, RType="X")),
    ("MI", {"RType": "MI", "IndexId": "VN30", "IndexValue": 1352.47, "PriorIndexValue": 1348.1, "Change": 4.37,
            "RatioChange": 0.32, "TotalQtty": 123456700.0, "TotalValue": 4.5e12, "Advances": 12, "NoChanges": 3,
            "Declines": 15, "Ceilings": 1, "Floors": 0, "TradingDate": "14/08/2023", "Time": "10:00:00",
            "TradingSession": "LO", "Exchange": "HOSE"}),
    ("B", {"RType": "B", "Symbol": "FPT", "TradingDate": "14/08/2023", "Time": "10:01:00", "Open": 98000.0,
           "High": 98500.0, "Low": 97900.0, "Close": 98100.0, "Volume": 12300.0, "Value": 1206000000.0}),
    ("F", {"RType": "F", "MarketId": "HOSE", "Symbol": "FPT", "TradingDate": "14/08/2023", "Time": "11:30:00",
           "TradingSession": "BREAK", "TradingStatus": "N"}),
]

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(["NaN", "Infinity", "-1", "0", "1e999", "100.0", "22950", "1_000", " 7 ", "sNaN",
                     "14/08/2023", "31/02/2023", "25:61:99", "BU", "SD", "ATO", "Normal", ""]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=8,
)


def assert_valid_domain(events: tuple) -> None:
    """What the processor may rely on for anything parse_envelope returns."""
    assert isinstance(events, tuple) and events
    for e in events:
        assert isinstance(e, (Trade, Quote, ForeignRoom, IndexValue, Bar, SessionStatus))
        assert isinstance(e.symbol if not isinstance(e, IndexValue) else e.index_id, str)
        assert e.timestamp.tzinfo is not None and e.timestamp.date() == e.trading_date
        if isinstance(e, Trade):
            assert 0 < e.price < MAX_PRICE and 0 < e.volume <= e.total_volume <= MAX_VOLUME
            assert isinstance(e.total_value, Decimal) and e.total_value.is_finite() and e.total_value >= 0
            assert isinstance(e.session, TradingSession)
            for p in (e.ref_price, e.ceiling, e.floor, e.highest, e.lowest, e.avg_price):
                assert p is None or (isinstance(p, Decimal) and 0 < p < MAX_PRICE)
        elif isinstance(e, Quote):
            assert len(e.bid_prices) == len(e.bid_volumes) and len(e.ask_prices) == len(e.ask_volumes)
            for level in e.bids + e.asks:
                assert isinstance(level, PriceLevel) and 0 < level.price < MAX_PRICE
                assert isinstance(level.volume, int) and 0 <= level.volume <= MAX_VOLUME
        elif isinstance(e, ForeignRoom):
            for v in (e.buy_volume, e.sell_volume):
                assert isinstance(v, int) and 0 <= v <= MAX_VOLUME
        elif isinstance(e, IndexValue):
            assert 0 < e.value < MAX_PRICE
        elif isinstance(e, Bar):
            assert e.low <= e.open <= e.high and e.low <= e.close <= e.high


def outcome(raw: str | bytes) -> tuple | str:
    """The events, or the rejection kind; a ParserFailure (a parser bug) propagates and fails."""
    try:
        events = parse_envelope(raw)
    except InvalidMessage as exc:
        assert exc.kind in REJECTION_KINDS
        return exc.kind
    assert_valid_domain(events)
    return events


def check(raw: str | bytes) -> None:
    with PARSER_CACHES.disabled():
        plain = outcome(raw)
    cold = outcome(raw)
    warm = outcome(raw)
    assert plain == cold == warm


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_arbitrary_bytes_and_text(raw: str | bytes) -> None:
    check(raw)


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["DataType", "Content", "X"]), json_values, max_size=3))
def test_arbitrary_json_envelopes(env: dict) -> None:
    check(orjson.dumps(env))


@st.composite
def mutated_real_messages(draw: st.DrawFn) -> str:
    data_type, original = draw(st.sampled_from(REAL_MESSAGES))
    content = dict(original)
    keys = sorted(content)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["delete", "replace", "garble"]))
        if action == "delete":
            content.pop(key, None)
        elif action == "replace":
            content[key] = draw(json_values)
        else:
            text = str(content.get(key, ""))
            cut = draw(st.integers(min_value=0, max_value=len(text)))
            content[key] = text[:cut] + draw(st.text(max_size=5)) + text[cut + 1:]
    body = orjson.dumps(content).decode()
    if draw(st.booleans()):  # sometimes garble the encoded Content itself
        cut = draw(st.integers(min_value=0, max_value=len(body)))
        body = body[:cut] + draw(st.text(max_size=3)) + body[cut:]
    if draw(st.booleans()):
        data_type = draw(st.sampled_from(["X-TRADE", "X-QUOTE", "X", "R", "MI", "B", "F", "x-trade", ""]))
    return orjson.dumps({"DataType": data_type, "Content": body}).decode()


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_real_messages())
def test_mutated_real_messages(raw: str) -> None:
    check(raw)


def test_every_real_message_is_valid_unmutated() -> None:
    """The baseline the mutations start from is accepted (so the property test exercises both ways)."""
    for data_type, content in REAL_MESSAGES:
        assert_valid_domain(parse_envelope(orjson.dumps({"DataType": data_type, "Content": orjson.dumps(content).decode()})))


def test_the_property_check_fails_on_a_parser_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash can no longer pass as a rejection: ``check`` lets the ParserFailure through."""
    data_type, content = REAL_MESSAGES[0]
    raw = orjson.dumps({"DataType": data_type, "Content": orjson.dumps(content).decode()})
    check(raw)

    def crashing(content: dict) -> tuple:
        raise KeyError("a bug")

    monkeypatch.setitem(messages._PARSERS, data_type, crashing)
    with pytest.raises(ParserFailure):
        check(raw)
