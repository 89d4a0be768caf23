"""Time and sales (khớp lệnh): the selected symbol's matched prints, newest first.

At the ATC burst the whole market prints ~5,000 times a second, so the model never touches the
view per print: prints for the shown symbol are buffered and folded in by a timer, one row insert
per batch, and the tape is a bounded deque (``capacity`` rows) so its memory stays flat however
long the app runs. Big prints (value ≥ a threshold, 1 bn VND by default) are highlighted, as
traders watch for "cá mập".
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from desktop_app.domain import ClassifiedTrade, TradeType
from desktop_app.market_rules import is_futures_symbol
from desktop_app.ui import board_format as fmt
from desktop_app.ui.refresh_timer import RefreshTimer

DEFAULT_CAPACITY = 2_000
DEFAULT_BIG_PRINT_VND = Decimal(1_000_000_000)
FLUSH_MS = 100

TYPE_LABELS: dict[TradeType, str] = {
    TradeType.BUY: QT_TRANSLATE_NOOP("TapeModel", "Buy"),
    TradeType.SELL: QT_TRANSLATE_NOOP("TapeModel", "Sell"),
    TradeType.NEUTRAL: QT_TRANSLATE_NOOP("TapeModel", "Neutral"),
    TradeType.ATO: QT_TRANSLATE_NOOP("TapeModel", "ATO"),
    TradeType.ATC: QT_TRANSLATE_NOOP("TapeModel", "ATC"),
    TradeType.PUT_THROUGH: QT_TRANSLATE_NOOP("TapeModel", "Put-through"),
}
TYPE_COLOURS: dict[TradeType, QColor] = {
    TradeType.BUY: fmt.UP_COLOR,
    TradeType.SELL: fmt.DOWN_COLOR,
    TradeType.NEUTRAL: fmt.NEUTRAL_COLOR,
    TradeType.ATO: fmt.AUCTION_COLOR,
    TradeType.ATC: fmt.AUCTION_COLOR,
    TradeType.PUT_THROUGH: fmt.NEUTRAL_COLOR,
}
BIG_PRINT_BACKGROUND = QColor(255, 196, 0, 70)


@dataclass(frozen=True, slots=True)
class TapeColumn:
    """One tape column: its header and how a print reads in it."""

    title: str
    text: Callable[[ClassifiedTrade], str]
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _price(t: ClassifiedTrade) -> str:
    return fmt.points(t.price) if is_futures_symbol(t.symbol) else fmt.price_thousands(t.price)


def _value(t: ClassifiedTrade) -> str:
    if is_futures_symbol(t.symbol):
        return fmt.volume(t.volume)  # contracts; a futures "value" in points is meaningless here
    return fmt.value_millions(t.value)


COLUMNS: tuple[TapeColumn, ...] = (
    TapeColumn(QT_TRANSLATE_NOOP("TapeModel", "Time"), lambda t: fmt.vietnam_time(t.timestamp), Qt.AlignmentFlag.AlignCenter),
    TapeColumn(QT_TRANSLATE_NOOP("TapeModel", "Price"), _price),
    TapeColumn(QT_TRANSLATE_NOOP("TapeModel", "Volume"), lambda t: fmt.volume(t.volume)),
    TapeColumn(QT_TRANSLATE_NOOP("TapeModel", "Value (mn)"), _value),
    TapeColumn(QT_TRANSLATE_NOOP("TapeModel", "Type"),
               lambda t: QCoreApplication.translate("TapeModel", TYPE_LABELS[t.trade_type]), Qt.AlignmentFlag.AlignCenter),
)


class TapeModel(QAbstractTableModel):
    """The tape of one symbol; rows are prints, newest first, at most ``capacity`` of them."""

    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        big_print_vnd: Decimal = DEFAULT_BIG_PRINT_VND,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._rows: deque[ClassifiedTrade] = deque(maxlen=capacity)
        self._pending: list[ClassifiedTrade] = []
        self._symbol: str | None = None
        self._big_print_vnd = big_print_vnd
        self._bold = QFont()
        self._bold.setBold(True)

    # -- feeding -------------------------------------------------------------------------------

    @property
    def symbol(self) -> str | None:
        return self._symbol

    @property
    def capacity(self) -> int:
        return self._rows.maxlen or 0

    def show_symbol(self, symbol: str | None, history: Iterable[ClassifiedTrade] = ()) -> None:
        """Start the tape of ``symbol`` from ``history`` (oldest first), dropping the old tape."""
        self.beginResetModel()
        self._symbol = symbol
        self._pending.clear()
        self._rows.clear()
        for trade in history:
            if trade.symbol == symbol:
                self._rows.appendleft(trade)
        self.endResetModel()

    def add(self, trade: ClassifiedTrade) -> None:
        """Buffer one print; cheap enough for every print of the market (most are skipped)."""
        if trade.symbol == self._symbol:
            self._pending.append(trade)

    def flush(self) -> int:
        """Fold the buffered prints into the rows: one insert at the top, the overflow trimmed."""
        if not self._pending:
            return 0
        batch = self._pending[-self.capacity:]
        self._pending = []
        keep = max(0, self.capacity - len(batch))
        trimmed = len(self._rows) - keep
        if trimmed > 0:
            self.beginRemoveRows(QModelIndex(), keep, len(self._rows) - 1)
            for _ in range(trimmed):
                self._rows.pop()
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, len(batch) - 1)
        for trade in batch:
            self._rows.appendleft(trade)
        self.endInsertRows()
        return len(batch)

    def set_big_print_threshold(self, value_vnd: Decimal) -> None:
        self._big_print_vnd = value_vnd
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    def is_big_print(self, trade: ClassifiedTrade) -> bool:
        """A print worth at least the threshold (stocks; futures count contracts, never big)."""
        return not is_futures_symbol(trade.symbol) and trade.value >= self._big_print_vnd

    def trade_at(self, row: int) -> ClassifiedTrade:
        return self._rows[row]

    def trades(self) -> Sequence[ClassifiedTrade]:
        return tuple(self._rows)

    # -- Qt model --------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("TapeModel", COLUMNS[section].title)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        trade = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(trade)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(TYPE_COLOURS[trade.trade_type])
        if role == Qt.ItemDataRole.BackgroundRole and self.is_big_print(trade):
            return QBrush(BIG_PRINT_BACKGROUND)
        if role == Qt.ItemDataRole.FontRole and self.is_big_print(trade):
            return self._bold
        return None


class TapeView(QWidget):
    """Time and sales panel: a title with the symbol and the tape table."""

    def __init__(self, parent: QWidget | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(parent)
        self.model = TapeModel(capacity=capacity, parent=self)
        self.title = QLabel(self.tr("Time and sales"))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(18)
        self.table.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.table)
        self._timer = RefreshTimer(FLUSH_MS, self)
        self._timer.timeout.connect(self.model.flush)
        self._timer.start()

    def show_symbol(self, symbol: str | None, history: Iterable[ClassifiedTrade] = ()) -> None:
        self.title.setText(self.tr("Time and sales — {symbol}").format(symbol=symbol) if symbol
                           else self.tr("Time and sales"))
        self.model.show_symbol(symbol, history)

    def add(self, trade: ClassifiedTrade) -> None:
        self.model.add(trade)
