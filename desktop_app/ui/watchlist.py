"""The live watchlist: the VN30 basket as a board, with the index / futures / basis strip above it.

Updates are pulled, not pushed: a ~10 Hz timer asks the processor's ``LiveStats`` for the symbols
changed since the version it last saw and emits ``dataChanged`` once per changed ROW. However many
prints arrive per second (5,000/s at full replay speed), the UI does at most ~30 row updates per
refresh, and repaints them a third at a time over the refresh period (``REPAINT_SLICES``), so no
single repaint holds the UI thread for long. Cells are painted from one model lookup each
(``board_cell``) and the sparklines from incrementally converted points (``sparkline``).
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Protocol, Sequence

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QAbstractTableModel,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.processing.live_stats import Breadth, MarketStats, SymbolStats
from desktop_app.ui import board_format as fmt
from desktop_app.ui.refresh_timer import RefreshTimer
from desktop_app.ui.session_clock import SessionClock
from desktop_app.ui.board_cell import CELL_ROLE, BoardCell, BoardCellDelegate
from desktop_app.ui.sparkline import SPARK_ROLE, FloatSeries, Sparkline, SparklineDelegate

log = logging.getLogger(__name__)

REFRESH_MS = 100  # the stats are read this often
# ... and the rows they changed repainted over this many ticks within the period: at 5,000
# prints/s every row changes at every refresh, and one repaint of the whole board is a long
# callback on the UI thread; a third of it per tick keeps each one short
REPAINT_SLICES = 3
MIN_ROWS_PER_SLICE = 10  # a small board is repainted at once
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

FALLBACK_VN30 = (
    "ACB", "BCM", "BID", "BVH", "CTG", "FPT", "GAS", "GVR", "HDB", "HPG", "LPB", "MBB", "MSN", "MWG",
    "PLX", "SAB", "SHB", "SSB", "SSI", "STB", "TCB", "TPB", "VCB", "VHM", "VIB", "VIC", "VJC", "VNM",
    "VPB", "VRE",
)


def default_basket() -> tuple[str, ...]:
    """The VN30 basket from the feeds' basket data when present, else the built-in list."""
    try:
        from desktop_app.feeds.basket import default_vn30_basket
    except ImportError:
        return FALLBACK_VN30
    try:
        return tuple(default_vn30_basket())
    except Exception as exc:  # a broken data file must not stop the board from opening
        log.warning("cannot load the VN30 basket (%s); using the built-in list", exc)
        return FALLBACK_VN30


class StatsSource(Protocol):
    @property
    def version(self) -> int: ...
    def changed_since(self, version: int) -> tuple[int, list[SymbolStats]]: ...
    def market(self) -> MarketStats: ...


def _change_thousands(s: SymbolStats) -> str:
    return "" if s.change is None else f"{float(s.change) / 1000.0:+,.2f}"


def _buy_share_colour(s: SymbolStats) -> QColor | None:
    if s.active_buy_share is None:
        return None
    return fmt.UP_COLOR if s.active_buy_share >= 0.5 else fmt.DOWN_COLOR


def _price_colour(s: SymbolStats) -> QColor | None:
    return fmt.board_color(s.last, s.ref_price, s.ceiling, s.floor)


def _signed_billions(value: Decimal | None) -> str:
    return "" if value is None else f"{float(value) / 1e9:+,.2f}"


def _colour_of(price: Callable[[SymbolStats], Decimal | None]) -> Callable[[SymbolStats], QColor | None]:
    """A board colour for any price of the row (a depth level, high, low, average) vs its reference."""
    return lambda s: fmt.board_color(price(s), s.ref_price, s.ceiling, s.floor)


def _level_price(side: str, n: int) -> Callable[[SymbolStats], Decimal | None]:
    def price(s: SymbolStats) -> Decimal | None:
        levels = s.bids if side == "bid" else s.asks
        return levels[n].price if len(levels) > n else None
    return price


def _level_volume(side: str, n: int) -> Callable[[SymbolStats], int | None]:
    def volume(s: SymbolStats) -> int | None:
        levels = s.bids if side == "bid" else s.asks
        return levels[n].volume if len(levels) > n else None
    return volume


# the depth columns' texts, written out so that each one is a translatable literal
_DEPTH_TEXTS: dict[tuple[str, int], tuple[str, str, str, str]] = {
    ("bid", 0): (QT_TRANSLATE_NOOP("BoardColumn", "Bid 1"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Bid vol 1"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Bid price level 1 (dư mua, thousand VND)"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Bid volume at level 1 (dư mua, shares)")),
    ("bid", 1): (QT_TRANSLATE_NOOP("BoardColumn", "Bid 2"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Bid vol 2"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Bid price level 2 (dư mua, thousand VND)"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Bid volume at level 2 (dư mua, shares)")),
    ("bid", 2): (QT_TRANSLATE_NOOP("BoardColumn", "Bid 3"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Bid vol 3"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Bid price level 3 (dư mua, thousand VND)"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Bid volume at level 3 (dư mua, shares)")),
    ("ask", 0): (QT_TRANSLATE_NOOP("BoardColumn", "Ask 1"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Ask vol 1"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Ask price level 1 (dư bán, thousand VND)"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Ask volume at level 1 (dư bán, shares)")),
    ("ask", 1): (QT_TRANSLATE_NOOP("BoardColumn", "Ask 2"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Ask vol 2"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Ask price level 2 (dư bán, thousand VND)"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Ask volume at level 2 (dư bán, shares)")),
    ("ask", 2): (QT_TRANSLATE_NOOP("BoardColumn", "Ask 3"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Ask vol 3"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Ask price level 3 (dư bán, thousand VND)"),
                  QT_TRANSLATE_NOOP("BoardColumn", "Ask volume at level 3 (dư bán, shares)")),
}


def _depth_columns(side: str) -> tuple[BoardColumn, ...]:
    """Dư mua (bids, level 3 to 1, reading towards the match) or dư bán (asks, level 1 to 3)."""
    levels = (2, 1, 0) if side == "bid" else (0, 1, 2)
    out: list[BoardColumn] = []
    for n in levels:
        price, volume = _level_price(side, n), _level_volume(side, n)
        colour = _colour_of(price)
        header, vol_header, tip, vol_tip = _DEPTH_TEXTS[(side, n)]
        out.append(BoardColumn(f"{side}{n + 1}", header, lambda s, p=price: fmt.price_thousands(p(s)),
                               price, "999.99", colour, tooltip=tip,
                               default=False, flash=True))
        out.append(BoardColumn(f"{side}{n + 1}_vol", vol_header, lambda s, v=volume: fmt.volume(v(s)),
                               volume, "9,999,999", colour, tooltip=vol_tip,
                               default=False, flash=True))
    return tuple(out)


def _price_spark(s: SymbolStats) -> Sparkline | None:
    return Sparkline(s.price_points, s.ref_price) if s.price_points else None


def _delta_spark(s: SymbolStats) -> Sparkline | None:
    return Sparkline(s.delta_points, 0, is_reference=False) if s.delta_points else None


def _foreign(attr: str) -> Callable[[SymbolStats], int | None]:
    return lambda s: getattr(s, attr)


@dataclass(frozen=True, slots=True)
class BoardColumn:
    """One board column: everything about it in one record, so adding a column is one edit."""

    id: str
    header: str
    display: Callable[[SymbolStats], str]  # the cell text
    value: Callable[[SymbolStats], Any]  # the number it sorts by (None sorts first)
    sample: str  # the widest usual text: sizes the column
    colour: Callable[[SymbolStats], QColor | None] = lambda _s: None
    static: bool = False  # fixed for the day (ceiling / floor / reference): not repainted per print
    bold: bool = False
    tooltip: str = ""
    default: bool = True  # shown until the user chooses otherwise (the rest: header menu)
    flash: bool = False  # a change flashes the cell's background, as boards do
    spark: Callable[[SymbolStats], Sparkline | None] | None = None  # painted by the sparkline delegate

    def title(self) -> str:
        """The header in the UI language."""
        return QCoreApplication.translate("BoardColumn", self.header)

    def hint(self) -> str:
        """The tooltip in the UI language ('' when there is none)."""
        return QCoreApplication.translate("BoardColumn", self.tooltip) if self.tooltip else ""


COLUMNS: tuple[BoardColumn, ...] = (
    BoardColumn("symbol", QT_TRANSLATE_NOOP("BoardColumn", "Symbol"), lambda s: s.symbol, lambda s: s.symbol, "WWWW",
                _price_colour, bold=True),
    BoardColumn("ceiling", QT_TRANSLATE_NOOP("BoardColumn", "Ceil"), lambda s: fmt.price_thousands(s.ceiling), lambda s: s.ceiling, "999.99",
                lambda _s: fmt.CEILING_COLOR, static=True, tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Ceiling price (thousand VND)")),
    BoardColumn("floor", QT_TRANSLATE_NOOP("BoardColumn", "Floor"), lambda s: fmt.price_thousands(s.floor), lambda s: s.floor, "999.99",
                lambda _s: fmt.FLOOR_COLOR, static=True, tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Floor price (thousand VND)")),
    BoardColumn("ref", QT_TRANSLATE_NOOP("BoardColumn", "Ref"), lambda s: fmt.price_thousands(s.ref_price), lambda s: s.ref_price, "999.99",
                lambda _s: fmt.REFERENCE_COLOR, static=True, tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Reference price (thousand VND)")),
    *_depth_columns("bid"),
    BoardColumn("last", QT_TRANSLATE_NOOP("BoardColumn", "Last"), lambda s: fmt.price_thousands(s.last), lambda s: s.last, "999.99",
                _price_colour, bold=True, tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Last matched price (thousand VND)"), flash=True),
    BoardColumn("change", QT_TRANSLATE_NOOP("BoardColumn", "+/-"), _change_thousands, lambda s: s.change, "+99.99", _price_colour,
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Change from the reference (thousand VND)")),
    BoardColumn("pct", QT_TRANSLATE_NOOP("BoardColumn", "%"), lambda s: fmt.percent(s.change_pct), lambda s: s.change_pct, "+9.99%", _price_colour),
    *_depth_columns("ask"),
    BoardColumn("spark", QT_TRANSLATE_NOOP("BoardColumn", "Today"), lambda _s: "", lambda s: s.change_pct, "WWWWW",
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "The day's price, one point a minute; the dotted line is the reference"),
                spark=_price_spark),
    BoardColumn("high", QT_TRANSLATE_NOOP("BoardColumn", "High"), lambda s: fmt.price_thousands(s.high), lambda s: s.high, "999.99",
                _colour_of(lambda s: s.high), tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Session high (thousand VND)"), default=False),
    BoardColumn("low", QT_TRANSLATE_NOOP("BoardColumn", "Low"), lambda s: fmt.price_thousands(s.low), lambda s: s.low, "999.99",
                _colour_of(lambda s: s.low), tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Session low (thousand VND)"), default=False),
    BoardColumn("avg", QT_TRANSLATE_NOOP("BoardColumn", "Avg"), lambda s: fmt.price_thousands(s.avg_price), lambda s: s.avg_price, "999.99",
                _colour_of(lambda s: s.avg_price), tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Average matched price (thousand VND)"), default=False),
    BoardColumn("volume", QT_TRANSLATE_NOOP("BoardColumn", "Vol (matched)"), lambda s: fmt.volume(s.matched_volume), lambda s: s.matched_volume,
                "99,999,999", tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Matched volume today: continuous session and ATO/ATC auctions, "
                "no put-throughs (shares)")),
    BoardColumn("value", QT_TRANSLATE_NOOP("BoardColumn", "Value (matched, bn)"), lambda s: fmt.value_billions(s.matched_value),
                lambda s: s.matched_value, "9,999.99",
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Matched value today, no put-throughs (billion VND)")),
    BoardColumn("total_volume", QT_TRANSLATE_NOOP("BoardColumn", "Total vol"), lambda s: fmt.volume(s.total_volume) if s.total_volume else "",
                lambda s: s.total_volume, "99,999,999", default=False,
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Total volume today as the exchange reports it: matched and put-through (shares)")),
    BoardColumn("total_value", QT_TRANSLATE_NOOP("BoardColumn", "Total value (bn)"), lambda s: fmt.value_billions(s.total_value),
                lambda s: s.total_value, "9,999.99", default=False,
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Total value today as the exchange reports it: matched and put-through (billion VND)")),
    BoardColumn("buy_share", QT_TRANSLATE_NOOP("BoardColumn", "Buy %"), lambda s: fmt.share(s.active_buy_share), lambda s: s.active_buy_share,
                "99.9%", _buy_share_colour, tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Active buy share of the classified volume")),
    BoardColumn("delta_value", QT_TRANSLATE_NOOP("BoardColumn", "Δ value (bn)"), lambda s: _signed_billions(s.delta_value) if s.buy_value or s.sell_value
                else "", lambda s: s.delta_value, "+9,999.99", lambda s: fmt.sign_color(s.delta_value), default=False,
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Active buy minus active sell value today (billion VND)")),
    BoardColumn("cvd", QT_TRANSLATE_NOOP("BoardColumn", "CVD"), lambda _s: "", lambda s: s.delta_value, "WWWWW", default=False,
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Cumulative value delta over the day, one point a minute; the dotted line is zero"),
                spark=_delta_spark),
    BoardColumn("foreign_buy", QT_TRANSLATE_NOOP("BoardColumn", "Foreign buy"), lambda s: fmt.volume(s.foreign_buy_volume),
                _foreign("foreign_buy_volume"), "9,999,999", default=False,
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Foreign buy volume today (shares)")),
    BoardColumn("foreign_sell", QT_TRANSLATE_NOOP("BoardColumn", "Foreign sell"), lambda s: fmt.volume(s.foreign_sell_volume),
                _foreign("foreign_sell_volume"), "9,999,999", default=False,
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Foreign sell volume today (shares)")),
    BoardColumn("foreign_net", QT_TRANSLATE_NOOP("BoardColumn", "Foreign net"), lambda s: fmt.signed_volume(s.foreign_net_volume),
                lambda s: s.foreign_net_volume, "+9,999,999", lambda s: fmt.sign_color(s.foreign_net_volume),
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Foreign buy minus sell today (shares)")),
    BoardColumn("foreign_room", QT_TRANSLATE_NOOP("BoardColumn", "Room"), lambda s: fmt.volume(s.foreign_room_left),
                _foreign("foreign_room_left"), "9,999,999,999", default=False,
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Foreign room left: shares foreign investors may still buy")),
    BoardColumn("pt_volume", QT_TRANSLATE_NOOP("BoardColumn", "PT vol"), lambda s: fmt.volume(s.put_through_volume) if s.put_through_volume else "",
                lambda s: s.put_through_volume, "9,999,999", tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Put-through (thỏa thuận) volume today (shares)")),
    BoardColumn("pt_value", QT_TRANSLATE_NOOP("BoardColumn", "PT value (bn)"), lambda s: fmt.value_billions(s.put_through_value),
                lambda s: s.put_through_value, "9,999.99",
                tooltip=QT_TRANSLATE_NOOP("BoardColumn", "Put-through (thỏa thuận) value today (billion VND)")),
)
COLUMN_INDEX = {c.id: i for i, c in enumerate(COLUMNS)}
SYMBOL_COLUMN = COLUMN_INDEX["symbol"]
_BOLD_COLUMNS = {i for i, c in enumerate(COLUMNS) if c.bold}
_SPARK_COLUMNS = {i: c.spark for i, c in enumerate(COLUMNS) if c.spark is not None}
_FLASH_COLUMNS = tuple((i, c.value) for i, c in enumerate(COLUMNS) if c.flash)
DEFAULT_COLUMNS = tuple(c.id for c in COLUMNS if c.default)
FLASH_SECONDS = 0.6  # how long a changed price / volume cell stays highlighted
FLASH_UP = QColor(38, 194, 74, 90)
FLASH_DOWN = QColor(240, 72, 72, 90)


def _live_column_ranges() -> tuple[tuple[int, int], ...]:
    """Runs of adjacent columns that change with every print (static ones are skipped)."""
    ranges: list[tuple[int, int]] = []
    for i, c in enumerate(COLUMNS):
        if c.static:
            continue
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1] = (ranges[-1][0], i)
        else:
            ranges.append((i, i))
    return tuple(ranges)


_LIVE_RANGES = _live_column_ranges()
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_FONT = Qt.ItemDataRole.FontRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_BACKGROUND = Qt.ItemDataRole.BackgroundRole
_ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGNMENTS = tuple(int(_ALIGN_LEFT if i == SYMBOL_COLUMN else _ALIGN_RIGHT) for i in range(len(COLUMNS)))
_BOLD = tuple(i in _BOLD_COLUMNS for i in range(len(COLUMNS)))
_NO_STATS_CELL = ("", None)
RESORT_MS = 1000  # a board re-sorted 10 times a second is unreadable: at most once a second


class WatchlistModel(QAbstractTableModel):
    def __init__(self, symbols: Sequence[str] = (), parent=None) -> None:
        super().__init__(parent)
        self._symbols: list[str] = list(symbols)
        self._row_of = {s: i for i, s in enumerate(self._symbols)}
        self._fixed = False  # True once a watchlist names the rows: printing symbols add none
        self._stats: dict[str, SymbolStats] = {}
        # per symbol, filled cell by cell as the view asks and dropped when its stats change:
        # (text, colour) per column, sort keys per column, sparklines per sparkline column
        self._cache: dict[str, list[tuple[str, Any] | None]] = {}
        self._sort_keys: dict[str, list[Any]] = {}
        self._sparks: dict[str, dict[int, Sparkline | None]] = {}
        self._series: dict[tuple[str, int], FloatSeries] = {}  # kept across updates: converts new points only
        self._unpainted: dict[int, bool] = {}  # updated rows not repainted yet -> whole row (static cells too)
        self.version = 0
        self.rows_changed_last_refresh = 0
        self._flashes: dict[str, tuple[float, dict[int, QColor]]] = {}  # symbol -> (until, cells)
        self.clock: Callable[[], float] = time.monotonic
        self._bold = QFont()
        self._bold.setBold(True)

    # ------------------------------------------------------------------ Qt API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._symbols)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title()
        if role == _TOOLTIP:
            return COLUMNS[section].hint() or None
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Served from per-symbol caches filled once per stats update: the view asks for every
        visible cell on each repaint, so this must be a lookup, not formatting. The board's
        delegate asks ``CELL_ROLE`` only (one call per cell); the single roles serve the rest."""
        row = index.row()
        if row < 0:
            return None
        col = index.column()
        if role == CELL_ROLE:
            symbol = self._symbols[row]
            text, colour = self._cell(symbol, col)
            flash = self._flashes.get(symbol)
            return BoardCell(text, colour, _BOLD[col], None if flash is None else flash[1].get(col), _ALIGNMENTS[col])
        if role == _DISPLAY:
            return self._cell(self._symbols[row], col)[0]
        if role == _FOREGROUND:
            return self._cell(self._symbols[row], col)[1]
        if role == SORT_ROLE:
            return self._sort_key(self._symbols[row], col)
        if role == _ALIGNMENT:
            return _ALIGNMENTS[col]
        if role == _FONT and col in _BOLD_COLUMNS:
            return self._bold
        if role == _BACKGROUND:
            flash = self._flashes.get(self._symbols[row])
            return None if flash is None else flash[1].get(col)
        if role == SPARK_ROLE:
            return self._spark(self._symbols[row], col) if col in _SPARK_COLUMNS else None
        if role == _TOOLTIP:
            s = self._stats.get(self._symbols[row])
            if s is not None and s.last_update is not None:
                return f"{s.symbol} — last print {fmt.vietnam_time(s.last_update)} (Vietnam time)"
        return None

    def _cell(self, symbol: str, col: int) -> tuple[str, Any]:
        """(text, colour) of one cell, formatted the first time it is asked after an update."""
        cells = self._cache.get(symbol)
        if cells is None:
            cells = self._cache[symbol] = [None] * len(COLUMNS)
        cell = cells[col]
        if cell is None:
            s = self._stats.get(symbol)
            if s is None:  # no print yet: only the symbol is known
                cell = (symbol, None) if col == SYMBOL_COLUMN else _NO_STATS_CELL
            else:
                column = COLUMNS[col]
                cell = (column.display(s), column.colour(s))
            cells[col] = cell
        return cell

    def _sort_key(self, symbol: str, col: int) -> Any:
        keys = self._sort_keys.get(symbol)
        if keys is None:
            s = self._stats.get(symbol)
            if s is None:
                keys = [float("-inf") for _ in COLUMNS]
                keys[SYMBOL_COLUMN] = symbol
            else:
                keys = [_sort_key(c, s) for c in COLUMNS]
            self._sort_keys[symbol] = keys
        return keys[col]

    def _spark(self, symbol: str, col: int) -> Sparkline | None:
        """The cell's sparkline in floats; only the points new since the last update are converted."""
        sparks = self._sparks.get(symbol)
        if sparks is None:
            sparks = self._sparks[symbol] = {}
        if col in sparks:
            return sparks[col]
        s = self._stats.get(symbol)
        raw = None if s is None else _SPARK_COLUMNS[col](s)
        line = None
        if raw is not None:
            series = self._series.get((symbol, col))
            if series is None:
                series = self._series[(symbol, col)] = FloatSeries()
            baseline = None if raw.baseline is None else float(raw.baseline)
            points = series.update(raw.points)
            line = Sparkline(points, baseline, raw.is_reference, key=(symbol, col), revision=series.revision)
        sparks[col] = line
        return line

    def _forget(self, symbol: str) -> None:
        """The symbol's stats changed: its cells are formatted again when next asked."""
        self._cache.pop(symbol, None)
        self._sort_keys.pop(symbol, None)
        self._sparks.pop(symbol, None)

    # ------------------------------------------------------------------ content
    def symbol_at(self, row: int) -> str:
        return self._symbols[row]

    def row_of(self, symbol: str) -> int | None:
        return self._row_of.get(symbol)

    def stats_of(self, symbol: str) -> SymbolStats | None:
        return self._stats.get(symbol)

    def symbols(self) -> tuple[str, ...]:
        return tuple(self._symbols)

    def set_symbols(self, symbols: Sequence[str]) -> None:
        """Show exactly these rows (a watchlist), with the stats already seen for them."""
        self.beginResetModel()
        self._unpainted.clear()  # the reset repaints every row
        self._symbols = list(dict.fromkeys(symbols))
        self._row_of = {s: i for i, s in enumerate(self._symbols)}
        self._fixed = True
        self.endResetModel()

    def apply(self, version: int, changed: Sequence[SymbolStats], *, repaint: bool = True) -> None:
        """Take the changed snapshots; one ``dataChanged`` per changed row, at once or (with
        ``repaint=False``) later, a few rows at a time, through ``repaint_rows``."""
        self.version = version
        rows: list[int] = []
        full_rows: set[int] = set()  # rows whose static cells (ceiling/floor/ref) changed too
        new: list[SymbolStats] = []
        for s in changed:
            if s.exchange == "DERIVATIVES" and s.symbol not in self._row_of:
                self._stats[s.symbol] = s  # kept for a watchlist that adds the contract later
                self._forget(s.symbol)
                continue
            before = self._stats.get(s.symbol)
            if before is None or (before.ref_price, before.ceiling, before.floor) != (s.ref_price, s.ceiling, s.floor):
                row = self._row_of.get(s.symbol)
                if row is not None:
                    full_rows.add(row)
            if before is not None and _FLASH_COLUMNS:
                self._flash(before, s)
            self._stats[s.symbol] = s
            self._forget(s.symbol)
            row = self._row_of.get(s.symbol)
            if row is None:
                if not self._fixed:
                    new.append(s)
            else:
                rows.append(row)
        if new:
            first = len(self._symbols)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for s in new:
                self._row_of[s.symbol] = len(self._symbols)
                self._symbols.append(s.symbol)
            self.endInsertRows()
        unpainted = self._unpainted
        for row in rows:
            unpainted[row] = unpainted.get(row, False) or row in full_rows
        self.rows_changed_last_refresh = len(set(rows)) + len(new)
        if repaint:
            self.repaint_rows(len(unpainted))

    @property
    def unpainted(self) -> int:
        """Rows whose new values are not on the screen yet (``apply(..., repaint=False)``)."""
        return len(self._unpainted)

    def repaint_rows(self, limit: int) -> None:
        """``dataChanged`` for up to ``limit`` of the updated rows, the longest waiting first.
        Ceiling / floor / reference are fixed for the day: a row repaints every other column (the
        symbol cell is coloured like the price) but skips the static cells."""
        unpainted = self._unpainted
        if not unpainted or limit <= 0:
            return
        batch = list(itertools.islice(unpainted.items(), limit))
        for row, _full in batch:
            del unpainted[row]
        last_col = len(COLUMNS) - 1
        for row, full in sorted(batch):
            if full:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_col))
            else:
                for first, last in _LIVE_RANGES:
                    self.dataChanged.emit(self.index(row, first), self.index(row, last))

    def _flash(self, before: SymbolStats, after: SymbolStats) -> None:
        """Mark the flashing cells whose value moved: green up, red down (compared as numbers)."""
        cells: dict[int, QColor] | None = None
        for col, value in _FLASH_COLUMNS:
            old, new = value(before), value(after)
            if old != new and old is not None and new is not None:
                if cells is None:
                    cells = {}
                cells[col] = FLASH_UP if new > old else FLASH_DOWN
        if cells is not None:
            self._flashes[after.symbol] = (self.clock() + FLASH_SECONDS, cells)

    def flashing(self, symbol: str) -> dict[int, QColor]:
        """The cells of ``symbol`` highlighted now (column -> colour)."""
        flash = self._flashes.get(symbol)
        return {} if flash is None else dict(flash[1])

    def expire_flashes(self) -> None:
        """Repaint only the rows whose flash ended (called by the board's refresh timer)."""
        if not self._flashes:
            return
        now = self.clock()
        done = [sym for sym, (until, _c) in self._flashes.items() if until <= now]
        last_col = len(COLUMNS) - 1
        for sym in done:
            del self._flashes[sym]
            row = self._row_of.get(sym)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_col), [_BACKGROUND])


def _sort_key(column: BoardColumn, s: SymbolStats) -> Any:
    raw = column.value(s)
    if column.id == "symbol":
        return raw
    return float("-inf") if raw is None else float(raw)


def board_palette(base: QPalette) -> QPalette:
    """Dark board colours."""
    pal = QPalette(base)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        pal.setColor(group, QPalette.ColorRole.Base, QColor("#101418"))
        pal.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#161b21"))
        pal.setColor(group, QPalette.ColorRole.Text, QColor("#e0e0e0"))
        pal.setColor(group, QPalette.ColorRole.Highlight, QColor("#2d4a6a"))
        pal.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    return pal


def _index_html(name: str, value: Decimal | None, change: Decimal | None, pct: float | None) -> str:
    if value is None:
        return f"<b>{name}</b> —"
    colour = fmt.board_color(value, (value - change) if change is not None else None)
    c = colour.name() if colour is not None else "#e0e0e0"
    return (f"<b>{name}</b> <span style='color:{c}'><b>{fmt.points(value)}</b>"
            f" {fmt.signed_points(change)} ({fmt.percent(pct)})</span>")


def breadth_html(name: str, b: Breadth | None) -> str:
    """Advancers ▲, decliners ▼, unchanged ■, ceiling ⇈, floor ⇊ in board colours; '' when the
    index message carried no counts (nothing rather than a fake 0)."""
    if b is None:
        return ""
    parts = [(fmt.UP_COLOR, f"▲{b.advances}"), (fmt.DOWN_COLOR, f"▼{b.declines}")]
    if b.unchanged is not None:
        parts.append((fmt.REFERENCE_COLOR, f"■{b.unchanged}"))
    if b.ceilings is not None:
        parts.append((fmt.CEILING_COLOR, f"⇈{b.ceilings}"))
    if b.floors is not None:
        parts.append((fmt.FLOOR_COLOR, f"⇊{b.floors}"))
    body = " ".join(f"<span style='color:{c.name()}'>{t}</span>" for c, t in parts)
    return f"<b>{name}</b> {body}"


class MarketStrip(QWidget):
    """The board's header: session and clock, VN30 and VN-Index with breadth, front-month
    futures and basis. Two short rows; every label may be clipped but never widens the board."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.clock = SessionClock()
        self.clock.setMinimumWidth(1)
        self.index_label = QLabel("VN30 —")
        self.vnindex_label = QLabel("")
        self.breadth_label = QLabel("")
        self.futures_label = QLabel(self.tr("Futures —"))
        self.basis_label = QLabel(self.tr("Basis —"))
        rows = QVBoxLayout(self)
        rows.setContentsMargins(4, 2, 4, 2)
        rows.setSpacing(1)
        for labels in ((self.clock, self.index_label, self.vnindex_label),
                       (self.futures_label, self.basis_label, self.breadth_label)):
            row = QHBoxLayout()
            row.setSpacing(10)
            for label in labels:
                if label is not self.clock:
                    label.setTextFormat(Qt.TextFormat.RichText)
                    label.setStyleSheet("font-size: 12px;")
                label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
                label.setMinimumWidth(1)  # explicit: a long level is clipped, it never widens the board
                row.addWidget(label)
            row.addStretch(1)
            rows.addLayout(row)
        self.market: MarketStats | None = None

    def show_market(self, m: MarketStats) -> None:
        self.market = m
        if m.vn30_value is not None:
            self.index_label.setText(_index_html("VN30", m.vn30_value, m.vn30_change, m.vn30_change_pct))
        if m.vnindex_value is not None:
            self.vnindex_label.setText(
                _index_html("VN-Index", m.vnindex_value, m.vnindex_change, m.vnindex_change_pct))
        # the broad market's breadth when the feed sends VN-Index, else the basket's
        breadth = breadth_html("VN-Index", m.vnindex_breadth) or breadth_html("VN30", m.vn30_breadth)
        if breadth:
            self.breadth_label.setText(breadth)
        if m.futures_price is not None:
            self.futures_label.setText(f"<b>{m.futures_symbol or self.tr('Futures')}</b> {fmt.points(m.futures_price)}")
        if m.basis is not None:
            colour = fmt.sign_color(m.basis)
            c = colour.name() if colour is not None else "#e0e0e0"
            kind = self.tr("premium") if m.basis > 0 else self.tr("discount") if m.basis < 0 else self.tr("flat")
            self.basis_label.setText(
                f"<b>{self.tr('Basis')}</b> <span style='color:{c}'><b>{fmt.signed_points(m.basis)}</b></span> ({kind})"
            )


class FrozenColumnTable(QTableView):
    """A table whose first column stays put when the rest scrolls sideways.

    A second view over the same model and selection shows only that column, laid over the left
    edge of this one and scrolled vertically with it (Qt's "frozen column" pattern). Sorting from
    either header sorts the shared model; both headers show the same indicator.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frozen = QTableView(self)
        self.frozen.setObjectName("frozenColumn")
        self.frozen.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.frozen.verticalHeader().hide()
        self.frozen.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.frozen.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.frozen.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.frozen.setFrameShape(QFrame.Shape.NoFrame)
        self.frozen.setStyleSheet("QTableView#frozenColumn { border-right: 1px solid #3a4048; }")
        for view in (self, self.frozen):
            view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.viewport().stackUnder(self.frozen)
        self.horizontalHeader().sectionResized.connect(self._section_resized)
        self.verticalHeader().sectionResized.connect(lambda row, _old, new: self.frozen.setRowHeight(row, new))
        self.frozen.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(self.frozen.verticalScrollBar().setValue)
        self.horizontalHeader().sortIndicatorChanged.connect(
            lambda col, order: self._mirror_indicator(self.frozen.horizontalHeader(), col, order))
        self.frozen.horizontalHeader().sortIndicatorChanged.connect(
            lambda col, order: self._mirror_indicator(self.horizontalHeader(), col, order))

    def setModel(self, model) -> None:  # noqa: N802 - the frozen view follows the model
        super().setModel(model)
        self.frozen.setModel(model)
        self.frozen.setSelectionModel(self.selectionModel())
        for col in range(model.columnCount()):
            self.frozen.setColumnHidden(col, col != SYMBOL_COLUMN)
        self._update_frozen_geometry()

    def setSortingEnabled(self, enable: bool) -> None:  # noqa: N802
        super().setSortingEnabled(enable)
        self.frozen.setSortingEnabled(enable)

    def setSelectionBehavior(self, behavior: QAbstractItemView.SelectionBehavior) -> None:  # noqa: N802
        super().setSelectionBehavior(behavior)  # a click on the frozen symbol selects the row too
        self.frozen.setSelectionBehavior(behavior)

    def setSelectionMode(self, mode: QAbstractItemView.SelectionMode) -> None:  # noqa: N802
        super().setSelectionMode(mode)
        self.frozen.setSelectionMode(mode)

    def setPalette(self, palette: QPalette) -> None:  # noqa: N802
        super().setPalette(palette)
        self.frozen.setPalette(palette)

    def setFont(self, font: QFont) -> None:  # noqa: N802
        super().setFont(font)
        self.frozen.setFont(font)

    def setShowGrid(self, show: bool) -> None:  # noqa: N802
        super().setShowGrid(show)
        self.frozen.setShowGrid(show)

    def setAlternatingRowColors(self, enable: bool) -> None:  # noqa: N802
        super().setAlternatingRowColors(enable)
        self.frozen.setAlternatingRowColors(enable)

    def set_row_height(self, height: int) -> None:
        for view in (self, self.frozen):
            view.verticalHeader().setMinimumSectionSize(height)
            view.verticalHeader().setDefaultSectionSize(height)

    def frozen_width(self) -> int:
        return self.columnWidth(SYMBOL_COLUMN)

    @staticmethod
    def _mirror_indicator(header: QHeaderView, col: int, order: Qt.SortOrder) -> None:
        if header.sortIndicatorSection() != col or header.sortIndicatorOrder() != order:
            header.blockSignals(True)  # the model is sorted once, by the header that was clicked
            header.setSortIndicator(col, order)
            header.blockSignals(False)
            header.viewport().update()

    def _section_resized(self, col: int, _old: int, new: int) -> None:
        if col == SYMBOL_COLUMN:
            self.frozen.setColumnWidth(col, new)
            self._update_frozen_geometry()

    def _update_frozen_geometry(self) -> None:
        frame = self.frameWidth()
        self.frozen.setGeometry(
            self.verticalHeader().width() + frame, frame, self.frozen_width(),
            self.viewport().height() + self.horizontalHeader().height(),
        )

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_frozen_geometry()

    def updateGeometries(self) -> None:  # noqa: N802 - header height known only now
        super().updateGeometries()
        if hasattr(self, "frozen"):
            self._update_frozen_geometry()

    def moveCursor(self, action, modifiers):  # noqa: N802 - keep the current cell out from under the frozen column
        current = super().moveCursor(action, modifiers)
        if (action == QAbstractItemView.CursorAction.MoveLeft and current.column() > SYMBOL_COLUMN
                and self.visualRect(current).topLeft().x() < self.frozen_width()):
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() + self.visualRect(current).topLeft().x() - self.frozen_width())
        return current

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:  # noqa: N802
        if index.column() > SYMBOL_COLUMN:
            super().scrollTo(index, hint)
            hidden = self.frozen.width() - self.visualRect(index).left()
            if hidden > 0:  # Qt scrolled the cell to the left edge: under the frozen column
                bar = self.horizontalScrollBar()
                bar.setValue(bar.value() - hidden)
        else:  # the symbol is always visible: only scroll vertically to its row
            bar = self.horizontalScrollBar()
            keep = bar.value()
            super().scrollTo(index, hint)
            bar.setValue(keep)


def board_font(base: QFont) -> QFont:
    """A compact board font: one point under the desktop's, never below 8 pt."""
    font = QFont(base)
    size = base.pointSizeF()
    if size > 0:
        font.setPointSizeF(max(8.0, size - 1.0))
    return font


class WatchlistView(QWidget):
    """Board + strip; polls the stats at ~10 Hz while attached to a running pipeline."""

    symbolSelected = Signal(str)
    columnsChanged = Signal()

    def __init__(self, symbols: Sequence[str] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.model = WatchlistModel(symbols if symbols is not None else default_basket(), self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(False)  # re-sorted by a 1 s timer, not on every update
        self.table = FrozenColumnTable()
        self.table.setFont(board_font(self.font()))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(SYMBOL_COLUMN, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.set_row_height(self.table.fontMetrics().height() + 4)
        self.table.setAlternatingRowColors(True)
        self.table.setPalette(board_palette(self.table.palette()))  # a palette, not a style
        self.table.setShowGrid(False)  # sheet: style sheets make every cell paint slow
        header = self.table.horizontalHeader()
        header.setFont(self.table.font())
        self.table.frozen.horizontalHeader().setFont(self.table.font())
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # ResizeToContents would
        header.setStretchLastSection(True)  # re-measure every cell on every update
        header.setMinimumSectionSize(36)
        self.cell_delegate = BoardCellDelegate(self.table)  # one model lookup per painted cell
        self.table.setItemDelegate(self.cell_delegate)
        self.table.frozen.setItemDelegate(self.cell_delegate)
        self.spark_delegate = SparklineDelegate(self.table)
        for col in _SPARK_COLUMNS:
            self.table.setItemDelegateForColumn(col, self.spark_delegate)
        self.size_columns()
        self.show_columns(DEFAULT_COLUMNS)
        header.setSectionsMovable(True)  # reorder by dragging; the symbol stays first (frozen)
        header.sectionMoved.connect(self._keep_symbol_first)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda pos: self.column_menu().popup(header.mapToGlobal(pos)))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.strip = MarketStrip()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.strip)
        box.addWidget(self.table, 1)
        self.stats: StatsSource | None = None
        self.timer = RefreshTimer(REFRESH_MS // REPAINT_SLICES, self)
        self.timer.timeout.connect(self._tick)
        self._phase = 0
        self._slice = MIN_ROWS_PER_SLICE
        self.resort_timer = RefreshTimer(RESORT_MS, self)
        self.resort_timer.timeout.connect(self.resort)
        self._dirty_since_sort = False

    def size_columns(self) -> None:
        """Each column as wide as its widest usual text or its header (sort arrow included)."""
        header = self.table.horizontalHeader()
        bold = QFont(self.table.font())
        bold.setBold(True)
        for i, c in enumerate(COLUMNS):
            cells = QFontMetrics(bold if c.bold else self.table.font()).horizontalAdvance(c.sample) + 12
            self.table.setColumnWidth(i, max(cells, header.sectionSizeHint(i)))

    # ------------------------------------------------------------------ column chooser
    def visible_columns(self) -> list[str]:
        """The shown columns' ids in screen order (what the window state keeps)."""
        header = self.table.horizontalHeader()
        logical = [header.logicalIndex(v) for v in range(header.count())]
        return [COLUMNS[i].id for i in logical if not header.isSectionHidden(i)]

    def show_columns(self, ids: Sequence[str]) -> None:
        """Show exactly ``ids`` (unknown ids are ignored; the symbol always shows, first), in that
        order, the other columns after them, hidden."""
        wanted = ["symbol"] + [i for i in ids if i in COLUMN_INDEX and i != "symbol"]
        order = wanted + [c.id for c in COLUMNS if c.id not in wanted]
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        for visual, cid in enumerate(order):
            logical = COLUMN_INDEX[cid]
            header.moveSection(header.visualIndex(logical), visual)
        header.blockSignals(False)
        shown = set(wanted)
        for i, c in enumerate(COLUMNS):
            self.table.setColumnHidden(i, c.id not in shown)
        self.columnsChanged.emit()

    def set_column_visible(self, column_id: str, visible: bool) -> None:
        if column_id == "symbol":
            return
        self.table.setColumnHidden(COLUMN_INDEX[column_id], not visible)
        if visible:
            self.table.scrollTo(self.proxy.index(0, COLUMN_INDEX[column_id]))
        self.columnsChanged.emit()

    def column_menu(self) -> QMenu:
        """The header's menu: every column, checkable; the defaults back with one click."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        for i, c in enumerate(COLUMNS):
            if c.id == "symbol":
                continue
            action = QAction(c.title(), menu)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(i))
            action.setToolTip(c.hint())
            action.setData(c.id)
            action.toggled.connect(lambda on, cid=c.id: self.set_column_visible(cid, on))
            menu.addAction(action)
        menu.addSeparator()
        reset = QAction(self.tr("Default columns"), menu)
        reset.triggered.connect(lambda: self.show_columns(DEFAULT_COLUMNS))
        menu.addAction(reset)
        menu.setToolTipsVisible(True)
        return menu

    def _keep_symbol_first(self, _logical: int, _old: int, _new: int) -> None:
        header = self.table.horizontalHeader()
        if header.visualIndex(SYMBOL_COLUMN) != 0:
            header.blockSignals(True)
            header.moveSection(header.visualIndex(SYMBOL_COLUMN), 0)
            header.blockSignals(False)
        self.columnsChanged.emit()

    def preferred_width(self) -> int:
        """The width that shows every shown column without a horizontal scroll bar."""
        columns = sum(self.table.columnWidth(i) for i in range(len(COLUMNS)) if not self.table.isColumnHidden(i))
        return columns + 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width() + 4

    def attach(self, stats: StatsSource | None) -> None:
        self.stats = stats
        if stats is None:
            self.timer.stop()
            self.resort_timer.stop()
        else:
            self.model.version = 0
            self.refresh()
            self.timer.start()
            self.resort_timer.start()

    def resort(self) -> None:
        """Sort again when the values moved rows out of order (a sort repaints the whole board,
        so an order that still holds is left alone)."""
        if self._dirty_since_sort:
            self._dirty_since_sort = False
            column, order = self.proxy.sortColumn(), self.proxy.sortOrder()
            if column >= 0 and not self._in_order(column, order):
                self.proxy.sort(column, order)

    def _in_order(self, column: int, order: Qt.SortOrder) -> bool:
        proxy = self.proxy
        keys = [proxy.data(proxy.index(row, column), SORT_ROLE) for row in range(proxy.rowCount())]
        pairs = zip(keys, keys[1:])
        try:
            if order == Qt.SortOrder.AscendingOrder:
                return all(not b < a for a, b in pairs)
            return all(not a < b for a, b in pairs)
        except TypeError:  # keys that do not compare: let the proxy decide
            return False

    def _tick(self) -> None:
        """Every REFRESH_MS / REPAINT_SLICES: the stats every REPAINT_SLICES-th tick, a share of
        the updated rows repainted at each one."""
        self._phase = (self._phase + 1) % REPAINT_SLICES
        if self._phase == 0:
            self.refresh()
        else:
            self.model.repaint_rows(self._slice)

    def refresh(self) -> None:
        """Take the stats changed since the last refresh; repaint a first share of the updated rows
        now and the rest over the next ticks (see REPAINT_SLICES)."""
        if self.stats is None:
            return
        self.model.expire_flashes()
        version, changed = self.stats.changed_since(self.model.version)
        if changed:
            self.model.apply(version, changed, repaint=False)
            self._slice = max(MIN_ROWS_PER_SLICE, math.ceil(self.model.unpainted / REPAINT_SLICES))
            self.model.repaint_rows(self._slice)
            self._dirty_since_sort = True
            self.strip.show_market(self.stats.market())
        elif version != self.model.version:
            self.model.version = version
            self.strip.show_market(self.stats.market())

    def select_symbol(self, symbol: str) -> bool:
        row = self.model.row_of(symbol)
        if row is None:
            return False
        proxy_index = self.proxy.mapFromSource(self.model.index(row, SYMBOL_COLUMN))
        self.table.selectRow(proxy_index.row())
        self.table.scrollTo(proxy_index)
        return True

    def selected_symbol(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.symbol_at(self.proxy.mapToSource(rows[0]).row())

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        symbol = self.selected_symbol()
        if symbol is not None:
            self.symbolSelected.emit(symbol)
