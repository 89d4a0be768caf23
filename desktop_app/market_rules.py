"""Exchange rules: tick sizes, daily price limits, board lots and futures expiries.

The one place these facts live; the demo simulator, the processor, the charts and the user's
price alerts all ask here. Prices are integers in VND for stocks; futures are in index points
(tick 0.1 point).
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

BOARD_LOT = 100
"""HOSE board lot (shares)."""

FUTURES_TICK = Decimal("0.1")
FUTURES_MULTIPLIER = 100_000
"""VND per VN30 futures index point."""

LIMIT_FRACTION: dict[str, Decimal] = {
    "HOSE": Decimal("0.07"),
    "HNX": Decimal("0.10"),
    "UPCOM": Decimal("0.15"),
    "DERIVATIVES": Decimal("0.07"),
}
"""Daily price limit (ceiling/floor) as a fraction of the reference price, by exchange."""


# --------------------------------------------------------------------------- stock ticks (HOSE)


def hose_tick(price: int) -> int:
    """HOSE tick size for a price in VND: 10 below 10,000; 50 to 49,950; 100 from 50,000."""
    return 10 if price < 10_000 else 50 if price < 50_000 else 100


def snap_down(price: float) -> int:
    """The highest HOSE grid price <= ``price`` (tick boundaries align, so one step suffices)."""
    p = int(price)
    return p - p % hose_tick(p)


def tick_up(price: int) -> int:
    """The next HOSE grid price above a grid price."""
    return price + hose_tick(price)


def tick_down(price: int) -> int:
    """The next HOSE grid price below a grid price."""
    return price - hose_tick(price - 1)


def hose_limits(ref_price: int) -> tuple[int, int]:
    """(floor, ceiling) of a HOSE stock: +-7 % of the reference, both inside the band on the grid."""
    ceiling = snap_down(ref_price * 107 // 100)
    raw_floor = -(-ref_price * 93 // 100)
    floor = snap_down(raw_floor)
    if floor < raw_floor:
        floor = tick_up(floor)
    return floor, ceiling


def futures_limits(ref_price: Decimal) -> tuple[Decimal, Decimal]:
    """(floor, ceiling) of a VN30 futures contract: +-7 % of the reference on the 0.1-point grid."""
    band = ref_price * LIMIT_FRACTION["DERIVATIVES"]
    ceiling = (ref_price + band).quantize(FUTURES_TICK, rounding=ROUND_FLOOR)
    floor = (ref_price - band).quantize(FUTURES_TICK, rounding=ROUND_CEILING)
    return floor, ceiling


# --------------------------------------------------------------------------- futures expiry


def third_thursday(year: int, month: int) -> date:
    """Expiry (last trading day) of a VN30 futures contract month."""
    first_weekday = calendar.weekday(year, month, 1)  # Monday = 0
    first_thursday = 1 + (calendar.THURSDAY - first_weekday) % 7
    return date(year, month, first_thursday + 14)


def futures_month(day: date, ahead: int = 0) -> tuple[int, int]:
    """(year, month) of the front contract (``ahead`` = 0) or a later one trading on ``day``."""
    year, month = day.year, day.month
    if day > third_thursday(year, month):
        month += 1
    month += ahead
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return year, month


def is_futures_symbol(symbol: str) -> bool:
    """A VN30 futures code: old style ``VN30F2412`` / aliases ``VN30F1M``, or KRX ``41I1G4000``.

    Futures are quoted in index points (tick 0.1), stocks in VND.
    """
    return symbol.startswith("VN30F") or symbol.startswith("41I1")


def old_style_futures_code(year: int, month: int) -> str:
    """``VN30FYYMM``, the pre-KRX contract code (the demo uses this style)."""
    return f"VN30F{year % 100:02d}{month:02d}"
