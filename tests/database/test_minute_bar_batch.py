"""MinuteBarBatch (the writer's in-process minute folding): parts merged in arrival order equal one
pass over all prints, whatever the split — the property that lets flushes and slices fold apart."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.database.minute_bar_aggregate import MINUTE_BAR_COLUMNS, MinuteBarBatch, minute_floor
from desktop_app.domain import VIETNAM_TZ, ClassifiedTrade, TradeType

T0 = datetime(2026, 4, 8, 9, 15, tzinfo=VIETNAM_TZ)

prints = st.lists(
    st.builds(
        lambda symbol, ticks, lots, kind, us: ClassifiedTrade(
            symbol, Decimal(ticks * 50), lots * 100, Decimal(ticks * 50 * lots * 100), kind, None, None,
            T0 + timedelta(microseconds=us)),
        st.sampled_from(["ACB", "FPT"]),
        st.integers(1900, 2100),
        st.integers(1, 30),
        st.sampled_from(list(TradeType)),
        st.sampled_from([0, 1, 59_999_999, 60_000_000]) | st.integers(0, 180_000_000),  # ties and edges
    ),
    max_size=60,
)


def folded(trades: list[ClassifiedTrade]) -> MinuteBarBatch:
    batch = MinuteBarBatch()
    batch.add_trades(trades)
    return batch


@settings(max_examples=300, deadline=None)
@given(prints, st.lists(st.integers(0, 60), max_size=4))
def test_parts_merged_in_order_equal_one_pass(trades: list[ClassifiedTrade], cuts: list[int]) -> None:
    bounds = [0, *sorted(min(c, len(trades)) for c in cuts), len(trades)]
    merged = MinuteBarBatch()
    for a, b in zip(bounds, bounds[1:]):
        merged.merge(folded(trades[a:b]))
    assert merged.bars == folded(trades).bars


@settings(max_examples=200, deadline=None)
@given(prints)
def test_one_pass_is_the_definition(trades: list[ClassifiedTrade]) -> None:
    """Against a plain restatement: first/last print by (time, arrival), put-through left out."""
    columns = folded(trades).columns()
    rows = {(s, m): dict(zip(MINUTE_BAR_COLUMNS[2:], r)) for s, m, *r in zip(*columns)}
    expected_keys = {(t.symbol, minute_floor(t.timestamp)) for t in trades if t.trade_type is not TradeType.PUT_THROUGH}
    assert set(rows) == expected_keys
    assert list(rows) == sorted(rows)  # locks are taken in key order
    for (symbol, minute), row in rows.items():
        group = [(t.timestamp, i, t) for i, t in enumerate(trades) if t.symbol == symbol
                 and minute_floor(t.timestamp) == minute and t.trade_type is not TradeType.PUT_THROUGH]
        group.sort(key=lambda x: (x[0], x[1]))
        assert row["open"] == group[0][2].price and row["first_at"] == group[0][0]
        assert row["close"] == group[-1][2].price and row["last_at"] == group[-1][0]
        assert row["high"] == max(g[2].price for g in group) and row["low"] == min(g[2].price for g in group)
        assert row["volume"] == sum(g[2].volume for g in group) and row["trades"] == len(group)
        by_kind = {k: sum(g[2].volume for g in group if g[2].trade_type in k) for k in
                   [(TradeType.BUY,), (TradeType.SELL,), (TradeType.NEUTRAL,), (TradeType.ATO, TradeType.ATC)]}
        assert list(by_kind.values()) == [row["buy_volume"], row["sell_volume"], row["neutral_volume"],
                                          row["auction_volume"]]


def test_minutes_are_whole_utc_minutes_whatever_the_time_zone() -> None:
    utc = datetime(2026, 4, 8, 2, 15, 59, 999_999, tzinfo=timezone.utc)
    assert minute_floor(utc.astimezone(VIETNAM_TZ)) == datetime(2026, 4, 8, 2, 15, tzinfo=timezone.utc)
    odd = timezone(timedelta(hours=5, minutes=30, seconds=17))  # not a whole minute off UTC
    batch = folded([ClassifiedTrade("FPT", Decimal(1), 1, Decimal(1), TradeType.BUY, None, None, utc.astimezone(odd))])
    assert list(batch.bars) == [("FPT", datetime(2026, 4, 8, 2, 15, tzinfo=timezone.utc))]
