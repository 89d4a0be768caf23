"""Checks and conversions shared by the repositories' time-ranged, paginated queries.

Ranges are half-open ``[start, end)`` instants; a naive datetime is refused because asyncpg would
silently read it as UTC, seven hours off the exchange clock.
"""

from __future__ import annotations

from datetime import datetime

MAX_PAGE = 100_000


def require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"time bounds must be timezone-aware, got naive {value.isoformat()}")


def require_page(limit: int, offset: int) -> None:
    if not 0 < limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1..{MAX_PAGE}, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must not be negative, got {offset}")

