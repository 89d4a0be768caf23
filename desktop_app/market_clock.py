"""Market time: Vietnam time, trading days, day bounds and the exchanges' session timetables.

The one place that knows what "today" means for the market and which session a moment falls in.
Every layer asks here instead of reading the computer's clock or time zone: a trader in Europe
still sees Vietnam's trading day, and a test can pass its own ``now``.

SSI sends Vietnam wall-clock times (UTC+7, no daylight saving). Stored instants are true
instants; what a user reads is always Vietnam time.

Holidays are not known here (SSI publishes no calendar through FastConnect): a trading day is a
weekday. Code that needs the real calendar asks the database for the days that hold trades.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")
"""Vietnam time: UTC+7, no daylight saving."""


# --------------------------------------------------------------------------- now, today, days


def vn_now() -> datetime:
    """The current instant, carried in Vietnam time."""
    return datetime.now(VIETNAM_TZ)


def vn_today(now: datetime | None = None) -> date:
    """Vietnam's calendar date at ``now`` (default: the current instant), whatever the local zone."""
    return to_vietnam(now).date() if now is not None else vn_now().date()


def to_vietnam(moment: datetime) -> datetime:
    """The same instant in Vietnam time; a naive datetime is read as Vietnam wall-clock time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=VIETNAM_TZ)
    return moment.astimezone(VIETNAM_TZ)


def at_vietnam_time(day: date, clock: time) -> datetime:
    """The instant at Vietnam wall-clock ``clock`` on ``day``."""
    return datetime.combine(day, clock, tzinfo=VIETNAM_TZ)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of a Vietnam calendar day as aware instants (midnight to midnight)."""
    start = datetime.combine(day, time(0), tzinfo=VIETNAM_TZ)
    return start, start + timedelta(days=1)


def days_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """``[start of first, end of last)`` in Vietnam time: the range of an inclusive date span."""
    return day_bounds(first)[0], day_bounds(last)[1]


def is_trading_day(day: date) -> bool:
    """A weekday (exchange holidays are not known here)."""
    return day.weekday() < 5


def previous_trading_day(day: date) -> date:
    """The latest trading day on or before ``day``."""
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def next_trading_day(day: date) -> date:
    """The first trading day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


# --------------------------------------------------------------------------- sessions


class Market(str, enum.Enum):
    """The timetables the app knows: HOSE stocks (also used for HNX/UPCoM boards) and derivatives."""

    HOSE = "HOSE"
    DERIVATIVES = "DERIVATIVES"


class SessionPhase(str, enum.Enum):
    """Where the trading day stands, as a board shows it."""

    PRE_OPEN = "pre_open"
    ATO = "ato"
    CONTINUOUS = "continuous"
    LUNCH = "lunch"
    ATC = "atc"
    PUT_THROUGH = "put_through"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class SessionWindow:
    """One phase of the timetable: ``[start, end)`` in Vietnam wall-clock time."""

    phase: SessionPhase
    start: time
    end: time

    def contains(self, clock: time) -> bool:
        return self.start <= clock < self.end


_P = SessionPhase
TIMETABLES: dict[Market, tuple[SessionWindow, ...]] = {
    # HOSE: ATO 09:00-09:15, continuous 09:15-11:30, lunch, continuous 13:00-14:30,
    # ATC 14:30-14:45, put-through only 14:45-15:00.
    Market.HOSE: (
        SessionWindow(_P.PRE_OPEN, time(8, 30), time(9, 0)),
        SessionWindow(_P.ATO, time(9, 0), time(9, 15)),
        SessionWindow(_P.CONTINUOUS, time(9, 15), time(11, 30)),
        SessionWindow(_P.LUNCH, time(11, 30), time(13, 0)),
        SessionWindow(_P.CONTINUOUS, time(13, 0), time(14, 30)),
        SessionWindow(_P.ATC, time(14, 30), time(14, 45)),
        SessionWindow(_P.PUT_THROUGH, time(14, 45), time(15, 0)),
    ),
    # VN30 futures: ATO 08:45-09:00, continuous 09:00-11:30 and 13:00-14:30, ATC 14:30-14:45.
    Market.DERIVATIVES: (
        SessionWindow(_P.PRE_OPEN, time(8, 15), time(8, 45)),
        SessionWindow(_P.ATO, time(8, 45), time(9, 0)),
        SessionWindow(_P.CONTINUOUS, time(9, 0), time(11, 30)),
        SessionWindow(_P.LUNCH, time(11, 30), time(13, 0)),
        SessionWindow(_P.CONTINUOUS, time(13, 0), time(14, 30)),
        SessionWindow(_P.ATC, time(14, 30), time(14, 45)),
    ),
}
"""Each market's trading day as a table of phases; anything outside the table is CLOSED."""

LUNCH_START = time(11, 30)
LUNCH_END = time(13, 0)


def session_at(moment: datetime, market: Market = Market.HOSE) -> SessionPhase:
    """The phase of ``market`` at ``moment`` (closed on weekends and outside the timetable)."""
    local = to_vietnam(moment)
    if not is_trading_day(local.date()):
        return SessionPhase.CLOSED
    clock = local.time()
    for window in TIMETABLES[market]:
        if window.contains(clock):
            return window.phase
    return SessionPhase.CLOSED


def trading_open(market: Market = Market.HOSE) -> time:
    """When the first matching phase (ATO) starts."""
    return next(w.start for w in TIMETABLES[market] if w.phase is SessionPhase.ATO)


def trading_close(market: Market = Market.HOSE) -> time:
    """When the last phase of the day ends."""
    return TIMETABLES[market][-1].end


def market_of(exchange: str | None) -> Market:
    """The timetable for an SSI ``Exchange`` / ``MarketId`` value."""
    return Market.DERIVATIVES if (exchange or "").upper() in {"DERIVATIVES", "DER", "FU"} else Market.HOSE
