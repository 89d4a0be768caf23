"""The history service on a real database: order-flow definitions at their edges, the basket
defaults, and the alert review calls the UI makes through it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import asyncpg
import pytest

from desktop_app.domain import VIETNAM_TZ
from desktop_app.order_flow import PriceLevel, SessionSplit, bar_start, volume_profile
from desktop_app.services.history import AlertFilter, AlertNotFoundError, HistoryService
from tests.services.order_flow_day import DAY, at, insert_day


def _levels(*volumes: int) -> list[PriceLevel]:
    return [PriceLevel(Decimal(10_000 + 50 * i), v, v, 0, 0, 0) for i, v in enumerate(volumes)]


def test_value_area_stops_as_soon_as_it_holds_seventy_percent() -> None:
    exact = volume_profile(_levels(300, 700))  # the POC alone holds exactly 70 %
    assert (exact.poc, exact.value_area_low, exact.value_area_high) == (Decimal(10050), Decimal(10050), Decimal(10050))
    below = volume_profile(_levels(301, 699))  # 69.9 %: the lower level must join
    assert (below.value_area_low, below.value_area_high) == (Decimal(10000), Decimal(10050))


def test_value_area_grows_on_the_only_side_left() -> None:
    top = volume_profile(_levels(200, 200, 200, 300))  # POC at the top: it can only grow down, twice
    assert (top.poc, top.value_area_low, top.value_area_high) == (Decimal(10150), Decimal(10050), Decimal(10150))
    one = volume_profile(_levels(42))
    assert (one.poc, one.value_area_low, one.value_area_high) == (Decimal(10000),) * 3
    assert volume_profile([]).poc is None


def test_bars_start_on_whole_intervals_from_vietnam_midnight() -> None:
    assert bar_start(at(11, 29, 59), 30) == at(11, 0)
    assert bar_start(at(11, 29, 59), 60) == at(11, 0)
    assert bar_start(at(13, 0), 60) == at(13, 0)
    assert bar_start(at(14, 44, 59), 15) == at(14, 30)
    utc = datetime(2024, 3, 4, 17, 0, 1, tzinfo=timezone.utc)  # 00:00:01 on 5 March in Vietnam
    assert bar_start(utc, 60) == datetime(2024, 3, 5, 0, 0, tzinfo=VIETNAM_TZ)
    assert bar_start(utc, 60).utcoffset() == timedelta(hours=7)


async def test_day_totals_split_the_sessions_and_default_to_the_vn30_basket(pool: asyncpg.Pool) -> None:
    await insert_day(pool)
    history = HistoryService(pool)
    totals = await history.basket_totals(None, DAY)
    assert len(totals) == 30 and totals[0].symbol == "ACB"
    hpg = next(t for t in totals if t.symbol == "HPG")
    assert (hpg.buy_value, hpg.sell_value, hpg.neutral_value) == (Decimal(1_024_320_500), Decimal(17_500_000),
                                                                  Decimal(1_252_500))
    assert hpg.split == SessionSplit(1000, Decimal(25_000_000), 41560, Decimal(1_043_073_000), 50000,
                                     Decimal(1_260_000_000))  # the 2.6 bn put-through is in none of them
    assert hpg.delta_value == Decimal(1_006_820_500)
    acb = next(t for t in totals if t.symbol == "ACB")
    assert acb.buy_value == 0 and acb.split.continuous_volume == 0
    bars = await history.basket_flow(["TIE1", "TIE2"], DAY, 60)
    assert [b.time for b in bars] == [at(9, 0)] and bars[0].delta_value == bars[0].cvd_value


async def test_alert_review_goes_through_the_service(pool: asyncpg.Pool) -> None:
    await pool.execute("INSERT INTO alerts (id, symbol, alert_type, message, severity, created_at)"
                       " VALUES (7, 'HPG', 'block_trade', 'big', 'info', $1)", at(13, 5))
    history = HistoryService(pool)
    flt = AlertFilter(symbol="HPG")
    assert await history.count_alerts(flt) == 1
    [alert] = await history.list_alerts(flt, 10, 0)
    assert alert.acknowledged_at is None
    acknowledged = await history.acknowledge_alert(7, "seen")
    assert acknowledged.note == "seen" and acknowledged.acknowledged_at is not None
    assert [a.id for a in await history.alerts_between("HPG", at(0, 0), at(23, 59))] == [7]
    with pytest.raises(AlertNotFoundError):
        await history.acknowledge_alert(8, None)
