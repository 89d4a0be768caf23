"""Market time as epoch seconds, cheaply.

Windows and cooldowns are measured in market time (the message timestamps). ``datetime.timestamp``
is the most expensive call on the trade path, and consecutive events very often carry the very
same datetime object (the parser caches one per (TradingDate, Time) text), so one remembered
conversion, matched by identity, removes almost all of them.
"""

from __future__ import annotations

from datetime import datetime

_last_moment: datetime | None = None
_last_seconds = 0.0


def market_seconds(moment: datetime) -> float:
    """``moment.timestamp()``, remembered for the most recent datetime object."""
    global _last_moment, _last_seconds
    if moment is _last_moment:
        return _last_seconds
    seconds = moment.timestamp()
    _last_moment = moment
    _last_seconds = seconds
    return seconds
