"""The board's close is the matched close: put-throughs have their own totals and move no price."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.domain import Side, TradingSession
from desktop_app.processing.processor import MarketDataProcessor

from .events import Tape


def test_a_put_through_far_from_the_market_after_1445_moves_neither_last_nor_percent() -> None:
    """The CTG case users met: matched trading ends near 41.65, then a put-through at 39.75."""
    ctg = Tape("CTG", ref="41000", ceiling="43850", floor="38150")
    processor = MarketDataProcessor()
    processor.process_all([
        ctg.trade(41_200, 50_000, clock="09:15:00", session=TradingSession.ATO),
        ctg.trade(41_600, 2_000, clock="14:29:58", side=Side.BUY),
        ctg.trade(41_650, 120_000, clock="14:45:00", session=TradingSession.ATC),
        ctg.trade(39_750, 1_000_000, clock="14:52:10", session=TradingSession.PUT_THROUGH),
    ])
    row = processor.stats.symbol("CTG")
    assert row is not None
    assert (row.last, row.close, row.change) == (Decimal(41_650), Decimal(41_650), Decimal(650))
    assert row.change_pct == pytest.approx(650 / 410)  # +1.59 %, not -3.05 %
    assert (row.open, row.day_high, row.day_low) == (Decimal(41_200), Decimal(41_650), Decimal(41_200))
    # each total says what it includes
    assert row.total_volume == 1_172_000  # the exchange's TotalVol: matched and put-through
    assert row.matched_volume == 172_000 == row.buy_volume + row.auction_volume
    assert row.put_through_volume == 1_000_000
    assert row.put_through_value == Decimal(39_750_000_000)
    assert row.matched_value == row.total_value - Decimal(39_750_000_000)


def test_a_day_that_only_saw_a_put_through_has_no_last_price() -> None:
    acb = Tape("ACB", ref="24000", ceiling="25650", floor="22350")
    processor = MarketDataProcessor()
    processor.process_all([acb.trade(25_150, 400_000, clock="14:50:00", session=TradingSession.PUT_THROUGH)])
    row = processor.stats.symbol("ACB")
    assert row is not None
    assert (row.last, row.change, row.change_pct, row.open) == (None, None, None, None)
    assert (row.matched_volume, row.put_through_volume) == (0, 400_000)
