"""The order book of one symbol, up to 10 levels a side: bids on the left, asks on the right.

HOSE sends 3 levels, HNX / UPCoM and the derivatives market 10 (X-QUOTE BidPrice1..10 /
BidVol1..10 / AskPrice1..10 / AskVol1..10). The panel follows the board's selection, or the
front-month futures contract when "Futures" is checked, and reads the same ``LiveStats`` snapshots
as the board on the same ~10 Hz timer: a symbol that did not change costs one comparison.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from desktop_app.domain import PriceLevel
from desktop_app.market_rules import is_futures_symbol
from desktop_app.processing.live_stats import LiveStats, SymbolStats
from desktop_app.ui import board_format as fmt
from desktop_app.ui.refresh_timer import RefreshTimer

LEVELS = 10
REFRESH_MS = 100
HEADERS = (QT_TRANSLATE_NOOP("DepthModel", "Bid vol"), QT_TRANSLATE_NOOP("DepthModel", "Bid"),
           QT_TRANSLATE_NOOP("DepthModel", "Ask"), QT_TRANSLATE_NOOP("DepthModel", "Ask vol"))


class DepthModel(QAbstractTableModel):
    """Ten rows, one per level; columns: bid volume, bid price, ask price, ask volume."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.stats: SymbolStats | None = None

    def show(self, stats: SymbolStats | None) -> None:
        self.stats = stats
        self.dataChanged.emit(self.index(0, 0), self.index(LEVELS - 1, len(HEADERS) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else LEVELS

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return QCoreApplication.translate("DepthModel", HEADERS[section]) if orientation == Qt.Orientation.Horizontal else str(section + 1)

    def level(self, row: int, col: int) -> PriceLevel | None:
        s = self.stats
        if s is None:
            return None
        levels = s.bids if col < 2 else s.asks
        return levels[row] if row < len(levels) else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        level = self.level(index.row(), index.column())
        if level is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col in (0, 3):
                return fmt.volume(level.volume)
            s = self.stats
            assert s is not None
            return fmt.points(level.price) if is_futures_symbol(s.symbol) else fmt.price_thousands(level.price)
        if role == Qt.ItemDataRole.ForegroundRole:
            s = self.stats
            assert s is not None
            return fmt.board_color(level.price, s.ref_price, s.ceiling, s.floor)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(38, 194, 74, 28) if col < 2 else QColor(240, 72, 72, 28)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class DepthPanel(QWidget):
    """The selected symbol's book (or the front-month futures'), refreshed from the live stats."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = DepthModel(self)
        self.title = QLabel(self.tr("Depth"))
        self.title.setMinimumWidth(1)
        self.futures_box = QCheckBox(self.tr("Futures"))
        self.futures_box.setToolTip(self.tr("Show the front-month VN30 futures contract's book"))
        self.futures_box.toggled.connect(lambda _on: self.refresh(force=True))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setDefaultSectionSize(18)
        self.table.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setMinimumSectionSize(30)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.futures_box)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.table)
        self.symbol: str | None = None
        self.stats: LiveStats | None = None
        self._front_month: Callable[[], str | None] = lambda: None
        self._shown_version = -1
        self.timer = RefreshTimer(REFRESH_MS, self)
        self.timer.timeout.connect(self.refresh)

    def attach(self, stats: LiveStats | None, front_month: Callable[[], str | None] = lambda: None) -> None:
        self.stats = stats
        self._front_month = front_month
        if stats is None:
            self.timer.stop()
        else:
            self.timer.start()
            self.refresh(force=True)

    def show_symbol(self, symbol: str | None) -> None:
        self.symbol = symbol
        self.refresh(force=True)

    def shown_symbol(self) -> str | None:
        return self._front_month() if self.futures_box.isChecked() else self.symbol

    def refresh(self, force: bool = False) -> None:
        symbol = self.shown_symbol()
        s = None if self.stats is None or symbol is None else self.stats.symbol(symbol)
        version = -1 if s is None else s.version
        if not force and version == self._shown_version:
            return
        self._shown_version = version
        self.title.setText(self.tr("Depth — {symbol}").format(symbol=symbol) if symbol else self.tr("Depth"))
        self.model.show(s)
