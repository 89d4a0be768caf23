"""The Flow view: the VN30 basket's active buy/sell value by stock, grouped by sector, with the
basket's cumulative value delta over the day and each stock's ATO / continuous / ATC split; a
heatmap of the basket's foreign net value (a grid of tiles in sector order) and each stock's
contribution to the VN30 move in points (weights derived from matched value: an approximation,
see ``desktop_app/index_contribution.py``).

Today's figures come from the live order-flow book (``processing/order_flow.py``, polled once a
second); another day's from the history service. Both give the same values for the same prints,
so switching a finished day from live to stored changes nothing on screen.

The table is a ``QAbstractTableModel`` over declarative columns, sorted through a proxy; the
stock bars follow the table's order, so a click on a header re-sorts the bars too.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import BasisPoint, ClassifiedTrade, ForeignInvestorData, TradeType
from desktop_app.feeds.basket import load_basket
from desktop_app.feeds.sectors import sector_of
from desktop_app.index_contribution import WEIGHTS_NOTE, Contribution, StockMove, contributions
from desktop_app.market_clock import days_bounds, vn_today
from desktop_app.order_flow import BasketFlowBar, SessionSplit, SymbolFlowTotals
from desktop_app.processing.order_flow import OrderFlowBook
from desktop_app.services.history import HistoryService
from desktop_app.ui import board_format
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.charts.axes import CategoryAxis, MarketTimeAxis, market_x
from desktop_app.ui.charts.order_flow_items import BUY_COLOR, SELL_COLOR, CvdCurve
from desktop_app.ui.refresh_timer import RefreshTimer

log = logging.getLogger(__name__)

LIVE_REFRESH_MS = 1000
# the stocks' side (table, bars, heatmap, contributions) and the basket's CVD refresh in alternate
# halves of the period: each once a second, never both in one callback (the basket's minute bars
# are recomputed from the whole day at every refresh)
LIVE_PARTS = 2
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
    FlowColumn(QT_TRANSLATE_NOOP("BasketFlowModel", "Sector"), lambda r: r.sector, is_value=False),
    FlowColumn(QT_TRANSLATE_NOOP("BasketFlowModel", "Symbol"), lambda r: r.totals.symbol, is_value=False),
    FlowColumn(QT_TRANSLATE_NOOP("BasketFlowModel", "Buy (bn)"), lambda r: r.totals.buy_value),
    FlowColumn(QT_TRANSLATE_NOOP("BasketFlowModel", "Sell (bn)"), lambda r: r.totals.sell_value),
    FlowColumn(QT_TRANSLATE_NOOP("BasketFlowModel", "Δ value (bn)"), lambda r: r.totals.delta_value),
    FlowColumn(QT_TRANSLATE_NOOP("BasketFlowModel", "ATO (bn)"), lambda r: r.totals.split.ato_value),
    FlowColumn(QT_TRANSLATE_NOOP("BasketFlowModel", "Continuous (bn)"), lambda r: r.totals.split.continuous_value),
    FlowColumn(QT_TRANSLATE_NOOP("BasketFlowModel", "ATC (bn)"), lambda r: r.totals.split.atc_value),
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
            return QCoreApplication.translate("BasketFlowModel", COLUMNS[section].title)
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


HEATMAP_COLUMNS = 6
HEATMAP_FULL_ALPHA = 220  # the tile with the largest |net| value


def sector_order(symbols: Sequence[str]) -> list[str]:
    return sorted(symbols, key=lambda s: (sector_of(s), s))


class ForeignHeatmapModel(QAbstractTableModel):
    """The basket as a grid of tiles in sector order, each coloured by its foreign net value
    (green net buying, red net selling, stronger for a bigger amount)."""

    def __init__(self, symbols: Sequence[str], parent=None) -> None:
        super().__init__(parent)
        self.symbols = sector_order(symbols)
        self.values: dict[str, tuple[Decimal, Decimal]] = {}  # symbol -> (foreign buy, sell value)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else math.ceil(len(self.symbols) / HEATMAP_COLUMNS)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else HEATMAP_COLUMNS

    def symbol_at(self, row: int, column: int) -> str | None:
        i = row * HEATMAP_COLUMNS + column
        return self.symbols[i] if i < len(self.symbols) else None

    def net_value(self, symbol: str) -> Decimal | None:
        pair = self.values.get(symbol)
        return None if pair is None else pair[0] - pair[1]

    def set_values(self, values: Mapping[str, tuple[Decimal, Decimal]]) -> None:
        self.values = dict(values)
        if self.symbols:
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, HEATMAP_COLUMNS - 1))

    def colour_of(self, symbol: str) -> QColor | None:
        net = self.net_value(symbol)
        nets = [abs(float(n)) for n in (self.net_value(s) for s in self.symbols) if n is not None]
        biggest = max(nets, default=0.0)
        if net is None or not net or biggest <= 0:
            return None
        colour = QColor(board_format.UP_COLOR if net > 0 else board_format.DOWN_COLOR)
        colour.setAlpha(int(40 + (HEATMAP_FULL_ALPHA - 40) * abs(float(net)) / biggest))
        return colour

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        symbol = self.symbol_at(index.row(), index.column())
        if symbol is None:
            return None
        net = self.net_value(symbol)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{symbol}\n{'—' if net is None else f'{float(net) / BILLION:+,.2f}'}"
        if role == Qt.ItemDataRole.BackgroundRole:
            return self.colour_of(symbol)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            pair = self.values.get(symbol)
            if pair is None:
                return self.tr("{symbol} ({sector}): no foreign flow this day").format(
                    symbol=symbol, sector=sector_of(symbol))
            return self.tr("{symbol} ({sector}): foreign buy {buy} bn, sell {sell} bn, net {net} bn VND").format(
                symbol=symbol, sector=sector_of(symbol), buy=billions(pair[0]), sell=billions(pair[1]),
                net=billions(pair[0] - pair[1]))
        return None


@dataclass(frozen=True, slots=True)
class ContributionColumn:
    title: str
    value: Callable[[Contribution], Any]
    text: Callable[[Any], str]


def _opt(fmt: str) -> Callable[[Any], str]:
    return lambda v: "—" if v is None else format(v, fmt)


CONTRIBUTION_COLUMNS: tuple[ContributionColumn, ...] = (
    ContributionColumn(QT_TRANSLATE_NOOP("ContributionModel", "Symbol"), lambda c: c.symbol, str),
    ContributionColumn(QT_TRANSLATE_NOOP("ContributionModel", "Weight %"), lambda c: c.weight * 100, _opt(".1f")),
    ContributionColumn(QT_TRANSLATE_NOOP("ContributionModel", "Change %"), lambda c: None if c.change is None else c.change * 100, _opt("+.2f")),
    ContributionColumn(QT_TRANSLATE_NOOP("ContributionModel", "Points"), lambda c: c.points, _opt("+.2f")),
)
POINTS_COLUMN = 3


class ContributionModel(QAbstractTableModel):
    """One row per basket stock: derived weight, change from the reference, points of the VN30."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[Contribution] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(CONTRIBUTION_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("ContributionModel", CONTRIBUTION_COLUMNS[section].title)
        if role == Qt.ItemDataRole.ToolTipRole:
            return WEIGHTS_NOTE
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], CONTRIBUTION_COLUMNS[index.column()]
        value = column.value(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(value)
        if role == SORT_ROLE:
            return value if value is not None else (float("-inf") if index.column() else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column():
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() >= 2 and value:
            return board_format.UP_COLOR if value > 0 else board_format.DOWN_COLOR
        if role == Qt.ItemDataRole.ToolTipRole:
            return WEIGHTS_NOTE
        return None

    def set_rows(self, rows: Sequence[Contribution]) -> None:
        if [r.symbol for r in rows] == [r.symbol for r in self.rows]:
            self.rows = list(rows)
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(CONTRIBUTION_COLUMNS) - 1))
            return
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_of(self, symbol: str) -> Contribution | None:
        return next((r for r in self.rows if r.symbol == symbol), None)


def _loop_running() -> bool:
    """A timer tick outside the app's asyncio loop (the app shutting down) starts no load."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def matched_value(totals: SymbolFlowTotals) -> Decimal:
    """The day's order-matching value: ATO + continuous + ATC (put-throughs are not in the split)."""
    split = totals.split
    return split.ato_value + split.continuous_value + split.atc_value


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

        self.stock_plot = pg.PlotWidget(axisItems={"bottom": CategoryAxis()})
        self.stock_plot.setTitle(self.tr("Active buy / sell value by stock (bn VND)"))
        self.stock_plot.showGrid(y=True, alpha=0.2)
        self.buy_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=BUY_COLOR)
        self.sell_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=SELL_COLOR)
        self.stock_plot.addItem(self.buy_bars)
        self.stock_plot.addItem(self.sell_bars)
        self.sector_plot = pg.PlotWidget(axisItems={"bottom": CategoryAxis()})
        self.sector_plot.setTitle(self.tr("Δ value by sector (bn VND)"))
        self.sector_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brushes=[])
        self.sector_plot.addItem(self.sector_bars)
        self.cvd_plot = pg.PlotWidget(axisItems={"bottom": MarketTimeAxis()})  # lunch cut out, as the charts
        self.cvd_plot.setTitle(self.tr("Basket cumulative Δ value (bn VND)"))
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
        top.addWidget(QLabel(self.tr("Day")))
        top.addWidget(self.date_edit)
        top.addWidget(self.source_label)
        top.addStretch(1)
        charts = QSplitter(Qt.Orientation.Vertical)
        for w in (self.stock_plot, self.sector_plot, self.cvd_plot):
            charts.addWidget(w)
        self.heatmap_model = ForeignHeatmapModel(self.symbols, self)
        self.heatmap = QTableView()
        self.heatmap.setModel(self.heatmap_model)
        self.heatmap.horizontalHeader().setVisible(False)
        self.heatmap.verticalHeader().setVisible(False)
        for header in (self.heatmap.horizontalHeader(), self.heatmap.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(24)
        self.heatmap.setToolTip(self.tr("Foreign investors' net value today (buy − sell, bn VND), the basket "
                                        "in sector order; darker = bigger"))
        self.contribution_model = ContributionModel(self)
        self.contribution_proxy = QSortFilterProxyModel(self)
        self.contribution_proxy.setSourceModel(self.contribution_model)
        self.contribution_proxy.setSortRole(SORT_ROLE)
        self.contributions_table = QTableView()
        self.contributions_table.setModel(self.contribution_proxy)
        self.contributions_table.setSortingEnabled(True)
        self.contributions_table.sortByColumn(POINTS_COLUMN, Qt.SortOrder.DescendingOrder)
        self.contributions_table.verticalHeader().setVisible(False)
        self.contribution_label = QLabel()
        self.contribution_label.setToolTip(WEIGHTS_NOTE)
        self.contribution_label.setWordWrap(True)
        contribution_page = QWidget()
        contribution_box = QVBoxLayout(contribution_page)
        contribution_box.setContentsMargins(0, 0, 0, 0)
        contribution_box.addWidget(self.contributions_table, 1)
        contribution_box.addWidget(self.contribution_label)
        self.left_tabs = QTabWidget()
        self.left_tabs.addTab(self.table, self.tr("By stock"))
        self.left_tabs.addTab(self.heatmap, self.tr("Foreign net"))
        self.left_tabs.addTab(contribution_page, self.tr("VN30 points"))
        self.left_tabs.setTabToolTip(2, WEIGHTS_NOTE)
        # live inputs of the heatmap and the contributions (``on_value``), for the live day
        self.live_foreign: dict[str, ForeignInvestorData] = {}
        self.live_last: dict[str, Decimal] = {}
        self.live_index_level: float | None = None
        self.ref_prices: dict[str, Decimal] = {}  # the live day's reference prices (previous closes)
        self._refs_day: date | None = None
        self.index_level: float | None = None  # what the contributions were computed with
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.left_tabs)
        split.addWidget(charts)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(split, 1)

        for signal in (self.proxy.layoutChanged, self.proxy.modelReset, self.proxy.dataChanged):
            signal.connect(self._redraw_bars)
        self.timer = RefreshTimer(LIVE_REFRESH_MS // LIVE_PARTS, self)
        self._part = 0
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.model.set_totals([empty_totals(s) for s in self.symbols])

    def _tick(self) -> None:
        """The 1 Hz live refresh, only while the view can be seen: a tab behind Alerts costs the
        event loop nothing at the ATC peak (a refresh is a few ms of tables and plots). The
        stocks and the basket take turns (``LIVE_PARTS``)."""
        if self.isVisible():
            self._part = (self._part + 1) % LIVE_PARTS
            self.refresh_live(stocks=self._part == 1, basket=self._part == 0)

    def showEvent(self, event) -> None:  # noqa: N802 - catch up at once when the tab is opened
        super().showEvent(event)
        self.refresh_live()

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

    def on_value(self, value: object) -> None:
        """Processor subscriber (cheap): the latest foreign flow, last price and VN30 level."""
        kind = type(value)
        if kind is ClassifiedTrade:
            if value.trade_type is not TradeType.PUT_THROUGH:  # type: ignore[attr-defined]
                self.live_last[value.symbol] = value.price  # type: ignore[attr-defined]
        elif kind is ForeignInvestorData:
            self.live_foreign[value.symbol] = value  # type: ignore[attr-defined]
        elif kind is BasisPoint:
            self.live_index_level = float(value.spot_value)  # type: ignore[attr-defined]

    def show_day(self, day: date) -> None:
        self.day = day
        if self.is_live:
            self.refresh_live()
        elif self.history is not None:
            self.source_label.setText(self.tr("loading…"))
            self.tasks.start("flow-day", self._load(day))

    def _date_changed(self, qd: QDate) -> None:
        day = date(qd.year(), qd.month(), qd.day())
        self._follow_live = day == self.live_day
        self.show_day(day)

    # ------------------------------------------------------------------ data
    def refresh_live(self, *, stocks: bool = True, basket: bool = True) -> None:
        """Today's figures from the live book (a no-op when another day is shown): the stocks'
        side, the basket's CVD, or (the default) both."""
        if self.book is None:
            return
        if self._follow_live and self.day != self.live_day:  # the feed moved on to a new day
            self.day = self.live_day
            self.date_edit.blockSignals(True)
            self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
            self.date_edit.blockSignals(False)
        if not self.is_live:
            return
        if stocks:
            totals = []
            for symbol in self.symbols:
                flow = self.book.symbol(symbol)
                totals.append(flow.totals() if flow is not None and flow.day == self.day else empty_totals(symbol))
            self._show_stocks(totals)
            self.heatmap_model.set_values({s: (f.buy_value, f.sell_value) for s, f in self.live_foreign.items()
                                           if vn_today(f.timestamp) == self.day})
            if self.history is not None and self._refs_day != self.day and _loop_running():
                self._refs_day = self.day
                self.tasks.start("flow-refs", self._load_refs(self.day))
            self._show_contributions([StockMove(t.symbol, self.ref_prices.get(t.symbol), self.live_last.get(t.symbol),
                                                matched_value(t)) for t in totals], self.live_index_level)
        if basket:
            self._show_basket(self.book.basket_flow(self.symbols), "live")

    async def _load_refs(self, day: date) -> None:
        """The live day's reference prices: each stock's previous close in the daily bars."""
        assert self.history is not None
        refs = {}
        for symbol in self.symbols:
            bars = await self.history.daily_bars(symbol, day - timedelta(days=20), day - timedelta(days=1))
            if bars:
                refs[symbol] = bars[-1].close
        if day == self.day:
            self.ref_prices = refs

    def _show_contributions(self, moves: Sequence[StockMove], index_level: float | None) -> None:
        self.index_level = index_level
        rows = contributions(moves, index_level)
        self.contribution_model.set_rows(rows)
        points = [r.points for r in rows if r.points is not None]
        level = self.tr("VN30 level unknown: no points") if index_level is None else f"VN30 {index_level:,.2f}"
        self.contribution_label.setText(self.tr("{level} · Σ {points} points (weights: share of matched value today, "
                                                "an approximation — hover for how)").format(
            level=level, points=f"{sum(points):+.2f}"))

    async def _load(self, day: date) -> None:
        assert self.history is not None
        totals = await self.history.basket_totals(self.symbols, day)
        bars = await self.history.basket_flow(self.symbols, day, 1)
        foreign, moves, level = await self._load_stored_extras(day, totals)
        if day == self.day and not self.is_live:
            self._show(totals, bars, "stored")
            self.heatmap_model.set_values(foreign)
            self._show_contributions(moves, level)

    async def _load_stored_extras(
        self, day: date, totals: Sequence[SymbolFlowTotals]
    ) -> tuple[dict[str, tuple[Decimal, Decimal]], list[StockMove], float | None]:
        """A stored day's foreign values (the day's last snapshot per stock), the stocks' moves
        (reference = previous close, last = the day's close) and the VN30's last level."""
        assert self.history is not None
        start, end = days_bounds(day, day)
        foreign: dict[str, tuple[Decimal, Decimal]] = {}
        moves = []
        for t in totals:
            n = len(await self.history.foreign_columns(t.symbol, start, end))
            if n:
                last = (await self.history.foreign_between(t.symbol, start, end, 1, n - 1))[0]
                foreign[t.symbol] = (last.buy_value, last.sell_value)
            bars = await self.history.daily_bars(t.symbol, day - timedelta(days=20), day)
            close = bars[-1].close if bars and bars[-1].date == day else None
            before = [b for b in bars if b.date < day]
            moves.append(StockMove(t.symbol, before[-1].close if before else None, close, matched_value(t)))
        basis = await self.history.basis_day(start, end)
        spot = basis.columns.spot_value
        level = float(spot[-1]) if len(spot) else None
        return foreign, moves, level

    def _show(self, totals: Sequence[SymbolFlowTotals], bars: list[BasketFlowBar], source: str) -> None:
        self._show_stocks(totals)
        self._show_basket(bars, source)

    def _show_stocks(self, totals: Sequence[SymbolFlowTotals]) -> None:
        """The table, the sector bars and the stock bars."""
        self.model.set_totals(totals)
        by_sector: dict[str, float] = {}
        for row in self.model.rows:
            by_sector[row.sector] = by_sector.get(row.sector, 0.0) + float(row.totals.delta_value) / BILLION
        self.sector_names = sorted(by_sector)
        self.sector_deltas = np.array([by_sector[s] for s in self.sector_names])
        self.sector_bars.setOpts(
            x=np.arange(len(self.sector_names)), height=self.sector_deltas,
            brushes=[pg.mkBrush(BUY_COLOR if d >= 0 else SELL_COLOR) for d in self.sector_deltas],
        )
        self.sector_plot.getAxis("bottom").set_names(self.sector_names)
        self._redraw_bars()

    def _show_basket(self, bars: list[BasketFlowBar], source: str) -> None:
        """The basket's cumulative value delta, minute by minute."""
        self.basket_bars = bars
        starts = market_x(np.array([b.time.timestamp() for b in bars], dtype=np.float64))
        self.cvd.set_bars(starts, [float(b.cvd_value) / BILLION for b in bars], 60)
        self.source_label.setText(self.tr("{source}: {n} minutes").format(source=source, n=len(bars)))

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
        self.stock_plot.getAxis("bottom").set_names(self.symbols_in_view_order())
