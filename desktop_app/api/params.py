"""Query parameters of the history API: parsed and bounded here, so that no input reaches the
database unchecked and no odd input can turn into a server error.

Time ranges: ``from``/``to`` accept a date (``2024-03-01``) or an ISO 8601 datetime
(``2024-03-01T09:15:00+07:00``; without an offset it is read as Vietnam time). A date ``from`` starts
at 00:00 Vietnam time of that day; a date ``to`` includes that whole day. A datetime range is
half-open, ``[from, to)``. Dates outside 1990–2100 are refused: no market data exists there, and
the bound keeps date arithmetic away from ``datetime``'s limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fastapi import HTTPException, Query

from desktop_app.market_clock import at_vietnam_time, to_vietnam, vn_today

MIN_DAY = date(1990, 1, 1)
MAX_DAY = date(2100, 12, 31)
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
MAX_OFFSET = 100_000_000

SYMBOL_PATTERN = r"^[A-Za-z0-9]{1,10}$"
FUTURES_SYMBOL_PATTERN = r"^[A-Za-z0-9]{1,20}$"
ALERT_TYPE_PATTERN = r"^[a-z_]{1,50}$"
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MAX_BASKET_SYMBOLS = 100
SYMBOLS_PATTERN = r"^[A-Za-z0-9]{1,10}(,[A-Za-z0-9]{1,10}){0,%d}$" % (MAX_BASKET_SYMBOLS - 1)
VND_PATTERN = r"^[0-9]{1,15}([.][0-9]{1,2})?$"
TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)
TIME_DESCRIPTION = (
    "a date YYYY-MM-DD or an ISO 8601 datetime (Vietnam time, UTC+07:00, when no offset is given)"
)


class BadParameter(HTTPException):
    """A 422 whose ``detail`` names the parameter and what was expected."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(status_code=422, detail=f"{name}: {message}")


@dataclass(frozen=True, slots=True)
class TimeBound:
    """One end of a requested range: a whole day or an instant."""

    instant: datetime  # aware, Vietnam time
    is_date: bool

    @property
    def day(self) -> date:
        return self.instant.date()


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def pagination(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"rows per page (max {MAX_LIMIT})"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="rows to skip"),
) -> Page:
    return Page(limit=limit, offset=offset)


def parse_time(name: str, text: str | None) -> TimeBound | None:
    """``text`` as a TimeBound, or a 422 saying what is wrong with it."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        raise BadParameter(name, "empty; expected " + TIME_DESCRIPTION)
    if len(text) > 40:
        raise BadParameter(name, "too long; expected " + TIME_DESCRIPTION)
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise BadParameter(name, f"not a date {text!r}; expected YYYY-MM-DD") from None
        _check_day(name, day)
        return TimeBound(at_vietnam_time(day, time()), is_date=True)
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise BadParameter(name, f"not a date or datetime {text!r}; expected {TIME_DESCRIPTION}") from None
    try:
        instant = to_vietnam(instant)
    except (OverflowError, ValueError):
        raise BadParameter(name, f"out of range: {text!r}") from None
    _check_day(name, instant.date())
    return TimeBound(instant, is_date=False)


def parse_trading_day(name: str, text: str | None) -> date:
    """A ``YYYY-MM-DD`` day (a datetime is refused), or today in Vietnam when absent."""
    bound = parse_time(name, text)
    if bound is None:
        return vn_today()
    if not bound.is_date:
        raise BadParameter(name, f"expected YYYY-MM-DD, got {text!r}")
    return bound.day


def parse_interval(name: str, minutes: int, allowed: tuple[int, ...]) -> int:
    if minutes not in allowed:
        raise BadParameter(name, f"must be one of {', '.join(map(str, allowed))} minutes, got {minutes}")
    return minutes


def parse_symbols(text: str | None) -> tuple[str, ...] | None:
    """``A,B,...`` as upper-case symbols without repeats, in the given order (None when absent)."""
    if text is None:
        return None
    return tuple(dict.fromkeys(s.upper() for s in text.split(",")))


def parse_day(name: str, text: str | None) -> date | None:
    """A calendar day; a datetime is accepted and read as its Vietnam date."""
    bound = parse_time(name, text)
    return None if bound is None else bound.day


def _check_day(name: str, day: date) -> None:
    if not MIN_DAY <= day <= MAX_DAY:
        raise BadParameter(name, f"{day.isoformat()} is outside {MIN_DAY.isoformat()}..{MAX_DAY.isoformat()}")


def instant_range(
    start: TimeBound | None, end: TimeBound | None, *, default_start: datetime, default_end: datetime
) -> tuple[datetime, datetime]:
    """The half-open instant range ``[start, end)`` a request means; a date ``to`` covers its day."""
    lo = start.instant if start is not None else default_start
    if end is None:
        hi = default_end
    elif end.is_date:
        hi = end.instant + timedelta(days=1)
    else:
        hi = end.instant
    if lo > hi:
        raise BadParameter("from", "must not be after 'to'")
    return lo, hi


def day_range(start: date | None, end: date | None, *, default_span_days: int, today: date) -> tuple[date, date]:
    """The inclusive day range a daily-bar request means (default: the last ``default_span_days``)."""
    hi = end if end is not None else today
    lo = start if start is not None else hi - timedelta(days=default_span_days)
    if lo > hi:
        raise BadParameter("from", "must not be after 'to'")
    return lo, hi

