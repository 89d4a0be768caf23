"""How numbers and colours look on a Vietnamese price board.

One place decides it so the watchlist, the charts' read-outs and the alert table agree: stock
prices are shown in thousands of VND with two decimals (22,950 VND -> ``22.95``, as SSI iBoard
and most Vietnamese boards do), index and futures levels in points with two decimals, volumes as
whole shares with thousands separators, traded value in billions of VND. Colours follow the board
convention: ceiling purple, floor cyan, up green, down red, unchanged (reference) yellow.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from PySide6.QtGui import QColor

from desktop_app.market_clock import to_vietnam

CEILING_COLOR = QColor("#d05cf0")
FLOOR_COLOR = QColor("#2fd0e8")
UP_COLOR = QColor("#26c24a")
DOWN_COLOR = QColor("#f04848")
REFERENCE_COLOR = QColor("#f0c020")
NEUTRAL_COLOR = QColor("#9a9a9a")
AUCTION_COLOR = QColor("#e0b040")

Number = Decimal | float | int


def price_thousands(price: Number | None) -> str:
    """A stock price in VND shown in thousands: 22950 -> '22.95'."""
    if price is None:
        return ""
    return f"{float(price) / 1000.0:,.2f}"


def points(value: Number | None) -> str:
    """An index or futures level / basis in points: '1,345.67'."""
    if value is None:
        return ""
    return f"{float(value):,.2f}"


def signed_points(value: Number | None) -> str:
    if value is None:
        return ""
    return f"{float(value):+,.2f}"


def volume(value: Number | None) -> str:
    if value is None:
        return ""
    return f"{int(value):,}"


def signed_volume(value: Number | None) -> str:
    if value is None:
        return ""
    return f"{int(value):+,}"


def value_billions(value: Number | None) -> str:
    """Traded value in billions of VND ('tỷ' on a Vietnamese board): '1,234.57'."""
    if value is None:
        return ""
    return f"{float(value) / 1e9:,.2f}"


def percent(value: Number | None) -> str:
    if value is None:
        return ""
    return f"{float(value):+.2f}%"


def share(value: Number | None) -> str:
    """A fraction 0..1 as a percentage without sign: 0.634 -> '63.4%'."""
    if value is None:
        return ""
    return f"{float(value) * 100.0:.1f}%"


DATE_FORMAT = "%d/%m/%Y"  # as Vietnamese users write dates; the app shows no other format
QT_DATE_FORMAT = "dd/MM/yyyy"  # the same, for QDateEdit pickers
TIME_FORMAT = "%H:%M:%S"


def vietnam_time(ts: datetime | None, with_date: bool = False) -> str:
    """A timestamp in Vietnam time whatever the computer's zone: '10:42:05' or '02/12/2026 10:42:05'."""
    if ts is None:
        return ""
    local = to_vietnam(ts)
    return local.strftime(f"{DATE_FORMAT} {TIME_FORMAT}" if with_date else TIME_FORMAT)


def board_color(
    price: Number | None,
    ref: Number | None,
    ceiling: Number | None = None,
    floor: Number | None = None,
) -> QColor | None:
    """The board colour of a price relative to its reference, ceiling and floor."""
    if price is None or ref is None:
        return None
    p = float(price)
    if ceiling is not None and p >= float(ceiling):
        return CEILING_COLOR
    if floor is not None and p <= float(floor):
        return FLOOR_COLOR
    r = float(ref)
    if p > r:
        return UP_COLOR
    if p < r:
        return DOWN_COLOR
    return REFERENCE_COLOR


def sign_color(value: Number | None) -> QColor | None:
    """Green for positive, red for negative, none for zero/unknown (foreign net, basis)."""
    if value is None:
        return None
    v = float(value)
    if v > 0:
        return UP_COLOR
    if v < 0:
        return DOWN_COLOR
    return None


def value_millions(value: Number | None) -> str:
    """Traded value in millions of VND ('triệu'), for single prints: '2.68'."""
    if value is None:
        return ""
    return f"{float(value) / 1e6:,.2f}"
