"""The Flow view: the VN30 basket's active buy/sell value by stock, grouped by sector, with the
basket's cumulative value delta over the day and each stock's ATO / continuous / ATC split.

Today's figures come from the live order-flow book (``processing/order_flow.py``, polled once a
second); another day's from the history service. Both give the same values for the same prints,
so switching a finished day from live to stored changes nothing on screen.

The table is a ``QAbstractTableModel`` over declarative columns, sorted through a proxy; the
stock bars follow the table's order, so a click on a header re-sorts the bars too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QSplitter, QTableView, QVBoxLayout, QWidget

from desktop_app.feeds.basket import load_basket
from desktop_app.feeds.sectors import sector_of
from desktop_app.market_clock import vn_today
from desktop_app.order_flow import BasketFlowBar, SessionSplit, SymbolFlowTotals
from desktop_app.processing.order_flow import OrderFlowBook
from desktop_app.services.history import HistoryService
from desktop_app.ui import board_format
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.charts.axes import MarketTimeAxis, market_x
from desktop_app.ui.charts.order_flow_items import BUY_COLOR, SELL_COLOR, CvdCurve

log = logging.getLogger(__name__)

LIVE_REFRESH_MS = 1000
BILLION = 1e9
_ZERO = Decimal(0)
SORT_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True, slots=True)
class FlowRow:
    sector: str
    totals: SymbolFlowTotals


@dataclass(frozen=True, slots=True)
class FlowColumn:
    """One table column: its title and the row's raw value (sorting and charts use it)."""

    title: str
    value: Callable[[FlowRow], Any]
    is_value: bool = True  # a VND amount shown in billions


COLUMNS: tuple[FlowColumn, ...] = (
    FlowColumn("Sector", lambda r: r.sector, is_value=False),
    FlowColumn("Symbol", lambda r: r.totals.symbol, is_value=False),
    FlowColumn("Buy (bn)", lambda r: r.totals.buy_value),
    FlowColumn("Sell (bn)", lambda r: r.totals.sell_value),
    FlowColumn("Δ value (bn)", lambda r: r.totals.delta_value),
    FlowColumn("ATO (bn)", lambda r: r.totals.split.ato_value),
    FlowColumn("Continuous (bn)", lambda r: r.totals.split.continuous_value),
    FlowColumn("ATC (bn)", lambda r: r.totals.split.atc_value),
)
BUY_COLUMN, SELL_COLUMN, DELTA_COLUMN = 2, 3, 4


def billions(value: Decimal) -> str:
    return f"{float(value) / BILLION:,.2f}"


def empty_totals(symbol: str) -> SymbolFlowTotals:
    return SymbolFlowTotals(symbol, _ZERO, _ZERO, _ZERO, SessionSplit(0, _ZERO, 0, _ZERO, 0, _ZERO))


class BasketFlowModel(QAbstractTableModel):
    """One row per basket member: sector, buy/sell/Δ value, session split."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[FlowRow] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], COLUMNS[index.column()]
        value = column.value(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return billions(value) if column.is_value else value
        if role == SORT_ROLE:
            return float(value) if column.is_value else value
        if role == Qt.ItemDataRole.TextAlignmentRole and column.is_value:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == DELTA_COLUMN and value:
            return board_format.UP_COLOR if value > 0 else board_format.DOWN_COLOR
        return None

    def set_totals(self, totals: Sequence[SymbolFlowTotals]) -> None:
        """Replace the rows: in place when the same symbols come back (keeps the view's sort)."""
        rows = sorted((FlowRow(sector_of(t.symbol), t) for t in totals),
                      key=lambda r: (r.sector, -r.totals.delta_value))
        if [r.totals.symbol for r in rows] == [r.totals.symbol for r in self.rows]:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def row_of(self, symbol: str) -> FlowRow | None:
        return next((r for r in self.rows if r.totals.symbol == symbol), None)


class FlowView(QWidget):
    """Basket order flow for one day: table + stock bars + sector bars + basket CVD."""

    def __init__(self, on_error: Callable[[str, BaseException], None] | None = None,
                 symbols: Sequence[str] | None = None, today: Callable[[], date] = vn_today, parent=None) -> None:
        super().__init__(parent)
        self.symbols = tuple(symbols) if symbols is not None else load_basket().symbols
        self.today = today
        self.tasks = TaskSlots(on_error)
        self.history: HistoryService | None = None
        self.book: OrderFlowBook | None = None
        self.day = today()
        self.basket_bars: list[BasketFlowBar] = []
        self._follow_live = True  # show the live day until the user picks another

        self.model = BasketFlowModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)

        self.stock_plot = pg.PlotWidget()
        self.stock_plot.setTitle("Active buy / sell value by stock (bn VND)")
        self.stock_plot.showGrid(y=True, alpha=0.2)
        self.buy_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=BUY_COLOR)
        self.sell_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=SELL_COLOR)
        self.stock_plot.addItem(self.buy_bars)
        self.stock_plot.addItem(self.sell_bars)
        self.sector_plot = pg.PlotWidget()
        self.sector_plot.setTitle("Δ value by sector (bn VND)")
        self.sector_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brushes=[])
        self.sector_plot.addItem(self.sector_bars)
        self.cvd_plot = pg.PlotWidget(axisItems={"bottom": MarketTimeAxis()})  # lunch cut out, as the charts
        self.cvd_plot.setTitle("Basket cumulative Δ value (bn VND)")
        self.cvd_plot.showGrid(x=True, y=True, alpha=0.2)
        self.cvd = CvdCurve()
        self.cvd_plot.addItem(self.cvd)
        self.sector_names: list[str] = []
        self.sector_deltas = np.zeros(0)

        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        self.date_edit.dateChanged.connect(self._date_changed)
        self.source_label = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("Day"))
        top.addWidget(self.date_edit)
        top.addWidget(self.source_label)
        top.addStretch(1)
        charts = QSplitter(Qt.Orientation.Vertical)
        for w in (self.stock_plot, self.sector_plot, self.cvd_plot):
            charts.addWidget(w)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(charts)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(split, 1)

        for signal in (self.proxy.layoutChanged, self.proxy.modelReset, self.proxy.dataChanged):
            signal.connect(self._redraw_bars)
        self.timer = QTimer(self)
        self.timer.setInterval(LIVE_REFRESH_MS)
        self.timer.timeout.connect(self.refresh_live)
        self.timer.start()
        self.model.set_totals([empty_totals(s) for s in self.symbols])

    # ------------------------------------------------------------------ wiring
    def set_history(self, history: HistoryService | None) -> None:
        self.history = history
        self.show_day(self.day)

    def attach_live(self, book: OrderFlowBook) -> None:
        self.book = book
        self.refresh_live()

    @property
    def live_day(self) -> date:
        """The live book's trading day (a replay or the demo may run another day than today)."""
        return self.book.day if self.book is not None and self.book.day is not None else self.today()

    @property
    def is_live(self) -> bool:
        return self.book is not None and self.day == self.live_day

    def show_day(self, day: date) -> None:
        self.day = day
        if self.is_live:
            self.refresh_live()
        elif self.history is not None:
            self.source_label.setText("loading…")
            self.tasks.start("flow-day", self._load(day))

    def _date_changed(self, qd: QDate) -> None:
        day = date(qd.year(), qd.month(), qd.day())
        self._follow_live = day == self.live_day
        self.show_day(day)

    # ------------------------------------------------------------------ data
    def refresh_live(self) -> None:
        """Today's figures from the live book (a no-op when another day is shown)."""
        if self.book is None:
            return
        if self._follow_live and self.day != self.live_day:  # the feed moved on to a new day
            self.day = self.live_day
            self.date_edit.blockSignals(True)
            self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
            self.date_edit.blockSignals(False)
        if not self.is_live:
            return
        totals = []
        for symbol in self.symbols:
            flow = self.book.symbol(symbol)
            totals.append(flow.totals() if flow is not None and flow.day == self.day else empty_totals(symbol))
        self._show(totals, self.book.basket_flow(self.symbols), "live")

    async def _load(self, day: date) -> None:
        assert self.history is not None
        totals = await self.history.basket_totals(self.symbols, day)
        bars = await self.history.basket_flow(self.symbols, day, 1)
        if day == self.day and not self.is_live:
            self._show(totals, bars, "stored")

    def _show(self, totals: Sequence[SymbolFlowTotals], bars: list[BasketFlowBar], source: str) -> None:
        self.model.set_totals(totals)
        self.basket_bars = bars
        starts = market_x(np.array([b.time.timestamp() for b in bars], dtype=np.float64))
        self.cvd.set_bars(starts, [float(b.cvd_value) / BILLION for b in bars], 60)
        by_sector: dict[str, float] = {}
        for row in self.model.rows:
            by_sector[row.sector] = by_sector.get(row.sector, 0.0) + float(row.totals.delta_value) / BILLION
        self.sector_names = sorted(by_sector)
        self.sector_deltas = np.array([by_sector[s] for s in self.sector_names])
        self.sector_bars.setOpts(
            x=np.arange(len(self.sector_names)), height=self.sector_deltas,
            brushes=[pg.mkBrush(BUY_COLOR if d >= 0 else SELL_COLOR) for d in self.sector_deltas],
        )
        self.sector_plot.getAxis("bottom").setTicks([list(enumerate(self.sector_names))])
        self.source_label.setText(f"{source}: {len(bars)} minutes")
        self._redraw_bars()

    # ------------------------------------------------------------------ stock bars in table order
    def symbols_in_view_order(self) -> list[str]:
        return [self.proxy.index(i, 1).data() for i in range(self.proxy.rowCount())]

    def stock_bar_heights(self) -> tuple[np.ndarray, np.ndarray]:
        """(buy, −sell) in bn VND, in the table's current order."""
        rows = [self.model.row_of(s) for s in self.symbols_in_view_order()]
        buy = np.array([float(r.totals.buy_value) / BILLION for r in rows if r is not None])
        sell = np.array([-float(r.totals.sell_value) / BILLION for r in rows if r is not None])
        return buy, sell

    def _redraw_bars(self, *_: object) -> None:
        buy, sell = self.stock_bar_heights()
        x = np.arange(len(buy))
        self.buy_bars.setOpts(x=x, height=buy)
        self.sell_bars.setOpts(x=x, height=sell)
        self.stock_plot.getAxis("bottom").setTicks([list(enumerate(self.symbols_in_view_order()))])
