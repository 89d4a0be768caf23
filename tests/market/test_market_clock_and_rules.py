"""Market time and exchange rules: the session timetables at each boundary, day bounds, limits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from desktop_app.market_clock import (
    VIETNAM_TZ,
    Market,
    SessionPhase,
    day_bounds,
    market_of,
    next_trading_day,
    previous_trading_day,
    session_at,
    vn_today,
)
from desktop_app.market_rules import futures_limits, futures_month, hose_limits, hose_tick, third_thursday

TUESDAY = date(2026, 12, 1)


def _at(clock: str, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=VIETNAM_TZ)


@pytest.mark.parametrize(
    ("clock", "phase"),
    [
        ("08:29:59", SessionPhase.CLOSED),
        ("08:30:00", SessionPhase.PRE_OPEN),
        ("08:59:59", SessionPhase.PRE_OPEN),
        ("09:00:00", SessionPhase.ATO),
        ("09:14:59", SessionPhase.ATO),
        ("09:15:00", SessionPhase.CONTINUOUS),
        ("11:29:59", SessionPhase.CONTINUOUS),
        ("11:30:00", SessionPhase.LUNCH),
        ("12:59:59", SessionPhase.LUNCH),
        ("13:00:00", SessionPhase.CONTINUOUS),
        ("14:30:00", SessionPhase.ATC),
        ("14:45:00", SessionPhase.PUT_THROUGH),
        ("14:59:59", SessionPhase.PUT_THROUGH),
        ("15:00:00", SessionPhase.CLOSED),
    ],
)
def test_hose_timetable_boundaries(clock: str, phase: SessionPhase) -> None:
    assert session_at(_at(clock), Market.HOSE) is phase


@pytest.mark.parametrize(
    ("clock", "phase"),
    [
        ("08:44:59", SessionPhase.PRE_OPEN),
        ("08:45:00", SessionPhase.ATO),
        ("09:00:00", SessionPhase.CONTINUOUS),
        ("11:30:00", SessionPhase.LUNCH),
        ("13:00:00", SessionPhase.CONTINUOUS),
        ("14:30:00", SessionPhase.ATC),
        ("14:45:00", SessionPhase.CLOSED),
    ],
)
def test_derivatives_timetable_boundaries(clock: str, phase: SessionPhase) -> None:
    assert session_at(_at(clock), Market.DERIVATIVES) is phase


def test_session_is_read_in_vietnam_time_whatever_the_zone_of_the_instant() -> None:
    utc = datetime(2026, 12, 1, 2, 20, tzinfo=timezone.utc)  # 09:20 in Vietnam
    assert session_at(utc) is SessionPhase.CONTINUOUS
    assert session_at(_at("10:00", date(2026, 12, 5))) is SessionPhase.CLOSED  # a Saturday


def test_today_and_day_bounds_are_vietnam_days() -> None:
    late_utc = datetime(2026, 12, 1, 18, 30, tzinfo=timezone.utc)  # 01:30 on 2 Dec in Vietnam
    assert vn_today(late_utc) == date(2026, 12, 2)
    start, end = day_bounds(date(2026, 12, 2))
    assert start.utcoffset() == timedelta(hours=7) and end - start == timedelta(days=1)
    assert start <= late_utc < end


def test_trading_days_skip_weekends() -> None:
    friday, monday = date(2026, 12, 4), date(2026, 12, 7)
    assert next_trading_day(friday) == monday
    assert previous_trading_day(date(2026, 12, 6)) == friday


def test_hose_ticks_and_limits() -> None:
    assert [hose_tick(p) for p in (9_990, 10_000, 49_950, 50_000)] == [10, 50, 50, 100]
    floor, ceiling = hose_limits(22_900)
    assert (floor, ceiling) == (21_300, 24_500)  # the protocol sample's ACB Floor/Ceiling


def test_futures_expiry_and_limits() -> None:
    assert third_thursday(2026, 12) == date(2026, 12, 17)
    assert futures_month(date(2026, 12, 17)) == (2026, 12)
    assert futures_month(date(2026, 12, 18)) == (2027, 1)
    assert futures_limits(Decimal("1300.0")) == (Decimal("1209.0"), Decimal("1391.0"))
    assert market_of("DERIVATIVES") is Market.DERIVATIVES and market_of("HOSE") is Market.HOSE
