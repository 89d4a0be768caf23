"""The live watchlist: the VN30 basket as a board, with the index / futures / basis strip above it.

Updates are pulled, not pushed: a ~10 Hz timer asks the processor's ``LiveStats`` for the symbols
changed since the version it last saw and emits ``dataChanged`` once per changed ROW. However many
prints arrive per second (5,000/s at full replay speed), the UI does at most ~30 row updates per
tick, so the board never stutters.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from desktop_app.processing.live_stats import MarketStats, SymbolStats
from desktop_app.ui import board_format as fmt

log = logging.getLogger(__name__)

REFRESH_MS = 100
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


# column id, header, alignment-right?
COLUMNS: tuple[tuple[str, str], ...] = (
    ("symbol", "Symbol"),
    ("ceiling", "Ceil"),
    ("floor", "Floor"),
    ("ref", "Ref"),
    ("last", "Last"),
    ("change", "+/-"),
    ("pct", "%"),
    ("volume", "Vol (matched)"),
    ("value", "Value (matched, bn)"),
    ("pt_volume", "PT vol"),
    ("pt_value", "PT value (bn)"),
    ("buy_share", "Buy %"),
    ("foreign_net", "Foreign net"),
)
COLUMN_INDEX = {cid: i for i, (cid, _) in enumerate(COLUMNS)}
_PRICE_COLOURED = {"last", "change", "pct"}
_BOLD_COLUMNS = {COLUMN_INDEX["symbol"], COLUMN_INDEX["last"]}
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_FONT = Qt.ItemDataRole.FontRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGN_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
RESORT_MS = 1000  # a board re-sorted 10 times a second is unreadable: at most once a second


class WatchlistModel(QAbstractTableModel):
    def __init__(self, symbols: Sequence[str] = (), parent=None) -> None:
        super().__init__(parent)
        self._symbols: list[str] = list(symbols)
        self._row_of = {s: i for i, s in enumerate(self._symbols)}
        self._stats: dict[str, SymbolStats] = {}
        self._cache: dict[str, tuple[list[str], list[Any], list[Any]]] = {}
        self.version = 0
        self.rows_changed_last_refresh = 0
        self._bold = QFont()
        self._bold.setBold(True)

    # ------------------------------------------------------------------ Qt API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._symbols)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Served from per-row caches built once per stats update: the view asks for every
        visible cell and role on each repaint, so this must be a lookup, not formatting."""
        row = index.row()
        if row < 0:
            return None
        col = index.column()
        if role == _DISPLAY:
            return self._cells(row)[0][col]
        if role == _FOREGROUND:
            return self._cells(row)[1][col]
        if role == SORT_ROLE:
            return self._cells(row)[2][col]
        if role == _ALIGNMENT:
            return _ALIGN_LEFT if col == 0 else _ALIGN_RIGHT
        if role == _FONT and col in _BOLD_COLUMNS:
            return self._bold
        if role == _TOOLTIP:
            s = self._stats.get(self._symbols[row])
            if s is not None and s.last_update is not None:
                return f"{s.symbol} — last print {fmt.vietnam_time(s.last_update)} (Vietnam time)"
        return None

    def _cells(self, row: int) -> tuple[list[str], list[Any], list[Any]]:
        symbol = self._symbols[row]
        cells = self._cache.get(symbol)
        if cells is None:
            s = self._stats.get(symbol)
            cells = (
                [self._display(symbol, cid, s) for cid, _ in COLUMNS],
                [self._colour(cid, s) for cid, _ in COLUMNS],
                [self._sort_value(symbol, cid, s) for cid, _ in COLUMNS],
            )
            self._cache[symbol] = cells
        return cells

    # ------------------------------------------------------------------ content
    def symbol_at(self, row: int) -> str:
        return self._symbols[row]

    def row_of(self, symbol: str) -> int | None:
        return self._row_of.get(symbol)

    def stats_of(self, symbol: str) -> SymbolStats | None:
        return self._stats.get(symbol)

    def apply(self, version: int, changed: Sequence[SymbolStats]) -> None:
        """Take the changed snapshots; one ``dataChanged`` per changed row."""
        self.version = version
        rows: list[int] = []
        full_rows: set[int] = set()  # rows whose static cells (ceiling/floor/ref) changed too
        new: list[SymbolStats] = []
        for s in changed:
            if s.exchange == "DERIVATIVES":
                continue
            before = self._stats.get(s.symbol)
            if before is None or (before.ref_price, before.ceiling, before.floor) != (s.ref_price, s.ceiling, s.floor):
                row = self._row_of.get(s.symbol)
                if row is not None:
                    full_rows.add(row)
            self._stats[s.symbol] = s
            self._cache.pop(s.symbol, None)
            row = self._row_of.get(s.symbol)
            if row is None:
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
        # ceiling / floor / reference are fixed for the day: repaint from the symbol's colour on
        # (the symbol cell is coloured like the price) but skip those three static cells
        first_live, last_col = COLUMN_INDEX["last"], len(COLUMNS) - 1
        for row in sorted(set(rows)):
            if row in full_rows:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_col))
            else:
                self.dataChanged.emit(self.index(row, 0), self.index(row, 0))
                self.dataChanged.emit(self.index(row, first_live), self.index(row, last_col))
        self.rows_changed_last_refresh = len(set(rows)) + len(new)

    # ------------------------------------------------------------------ cells
    @staticmethod
    def _display(symbol: str, cid: str, s: SymbolStats | None) -> str:
        if cid == "symbol":
            return symbol
        if s is None:
            return ""
        if cid == "ceiling":
            return fmt.price_thousands(s.ceiling)
        if cid == "floor":
            return fmt.price_thousands(s.floor)
        if cid == "ref":
            return fmt.price_thousands(s.ref_price)
        if cid == "last":
            return fmt.price_thousands(s.last)
        if cid == "change":
            return "" if s.change is None else f"{float(s.change) / 1000.0:+,.2f}"
        if cid == "pct":
            return fmt.percent(s.change_pct)
        if cid == "volume":
            return fmt.volume(s.matched_volume)
        if cid == "value":
            return fmt.value_billions(s.matched_value)
        if cid == "pt_volume":
            return fmt.volume(s.put_through_volume) if s.put_through_volume else ""
        if cid == "pt_value":
            return fmt.value_billions(s.put_through_value)
        if cid == "buy_share":
            return fmt.share(s.active_buy_share)
        if cid == "foreign_net":
            return fmt.signed_volume(s.foreign_net_volume)
        return ""

    @staticmethod
    def _sort_value(symbol: str, cid: str, s: SymbolStats | None) -> Any:
        if cid == "symbol":
            return symbol
        if s is None:
            return float("-inf")
        raw = {
            "ceiling": s.ceiling, "floor": s.floor, "ref": s.ref_price, "last": s.last,
            "change": s.change, "pct": s.change_pct, "volume": s.matched_volume,
            "value": s.matched_value, "pt_volume": s.put_through_volume,
            "pt_value": s.put_through_value, "buy_share": s.active_buy_share,
            "foreign_net": s.foreign_net_volume,
        }[cid]
        return float("-inf") if raw is None else float(raw)

    @staticmethod
    def _colour(cid: str, s: SymbolStats | None) -> Any:
        if s is None:
            return None
        if cid == "ceiling":
            return fmt.CEILING_COLOR
        if cid == "floor":
            return fmt.FLOOR_COLOR
        if cid == "ref":
            return fmt.REFERENCE_COLOR
        if cid in _PRICE_COLOURED or cid == "symbol":
            return fmt.board_color(s.last, s.ref_price, s.ceiling, s.floor)
        if cid == "foreign_net":
            return fmt.sign_color(s.foreign_net_volume)
        if cid == "buy_share" and s.active_buy_share is not None:
            return fmt.UP_COLOR if s.active_buy_share >= 0.5 else fmt.DOWN_COLOR
        return None


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


class MarketStrip(QWidget):
    """VN30 index, front-month futures and basis above the board."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.index_label = QLabel("VN30 —")
        self.futures_label = QLabel("Futures —")
        self.basis_label = QLabel("Basis —")
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        for label in (self.index_label, self.futures_label, self.basis_label):
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setStyleSheet("font-size: 13px;")
            row.addWidget(label)
            row.addSpacing(16)
        row.addStretch(1)
        self.market: MarketStats | None = None

    def show_market(self, m: MarketStats) -> None:
        self.market = m
        if m.vn30_value is not None:
            colour = fmt.board_color(m.vn30_value, (m.vn30_value - m.vn30_change) if m.vn30_change is not None else None)
            c = colour.name() if colour is not None else "#e0e0e0"
            self.index_label.setText(
                f"<b>VN30</b> <span style='color:{c}'><b>{fmt.points(m.vn30_value)}</b>"
                f" {fmt.signed_points(m.vn30_change)} ({fmt.percent(m.vn30_change_pct)})</span>"
            )
        if m.futures_price is not None:
            self.futures_label.setText(f"<b>{m.futures_symbol or 'Futures'}</b> {fmt.points(m.futures_price)}")
        if m.basis is not None:
            colour = fmt.sign_color(m.basis)
            c = colour.name() if colour is not None else "#e0e0e0"
            kind = "premium" if m.basis > 0 else "discount" if m.basis < 0 else "flat"
            self.basis_label.setText(
                f"<b>Basis</b> <span style='color:{c}'><b>{fmt.signed_points(m.basis)}</b></span> ({kind})"
            )


class WatchlistView(QWidget):
    """Board + strip; polls the stats at ~10 Hz while attached to a running pipeline."""

    symbolSelected = Signal(str)

    def __init__(self, symbols: Sequence[str] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.model = WatchlistModel(symbols if symbols is not None else default_basket(), self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(False)  # re-sorted by a 1 s timer, not on every update
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMN_INDEX["symbol"], Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setAlternatingRowColors(True)
        self.table.setPalette(board_palette(self.table.palette()))  # a palette, not a style
        self.table.setShowGrid(False)  # sheet: style sheets make every cell paint slow
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # ResizeToContents would
        header.setStretchLastSection(True)  # re-measure every cell on every update
        header.setMinimumSectionSize(40)
        for cid, width in (("symbol", 62), ("volume", 92), ("value", 82), ("pt_volume", 82), ("pt_value", 82),
                           ("foreign_net", 96)):
            self.table.setColumnWidth(COLUMN_INDEX[cid], width)
        for cid in ("ceiling", "floor", "ref", "last", "change", "pct", "buy_share"):
            self.table.setColumnWidth(COLUMN_INDEX[cid], 58)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.strip = MarketStrip()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.strip)
        box.addWidget(self.table, 1)
        self.stats: StatsSource | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.resort_timer = QTimer(self)
        self.resort_timer.setInterval(RESORT_MS)
        self.resort_timer.timeout.connect(self.resort)
        self._dirty_since_sort = False

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
        if self._dirty_since_sort:
            self._dirty_since_sort = False
            self.proxy.sort(self.proxy.sortColumn(), self.proxy.sortOrder())

    def refresh(self) -> None:
        if self.stats is None:
            return
        version, changed = self.stats.changed_since(self.model.version)
        if changed:
            self.model.apply(version, changed)
            self._dirty_since_sort = True
            self.strip.show_market(self.stats.market())
        elif version != self.model.version:
            self.model.version = version
            self.strip.show_market(self.stats.market())

    def select_symbol(self, symbol: str) -> bool:
        row = self.model.row_of(symbol)
        if row is None:
            return False
        proxy_index = self.proxy.mapFromSource(self.model.index(row, 0))
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
