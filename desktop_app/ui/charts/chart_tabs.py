"""The central history view: daily, intraday, foreign flow and basis charts for one symbol.

Loads run as tasks on the app's loop, one slot per chart: changing the symbol or the day cancels
the loads that became stale, so a fast click through the watchlist never paints an old symbol.
Live prints for today's symbol are buffered and appended by a timer (coalesced, ~4 Hz).
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Callable, Protocol

from PySide6.QtCore import QCoreApplication, QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import ClassifiedTrade
from desktop_app.market_clock import Market, days_bounds, to_vietnam, trading_open, vn_today
from desktop_app.market_rules import futures_limits, hose_limits, is_futures_symbol
from desktop_app.processing.order_flow import OrderFlowBook, SymbolDayFlow
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.charts.basis_chart import BasisChart
from desktop_app.processing.live_stats import SymbolStats
from desktop_app.ui.charts.daily_chart import DailyChart, LiveDailyBar
from desktop_app.ui.charts.foreign_chart import ForeignChart
from desktop_app.ui.charts.intraday_bars_chart import IntradayBarsChart
from desktop_app.ui.charts.intraday_chart import IntradayChart, TradeColumns
from desktop_app.ui.charts.intraday_range import DAY, RANGES, IntradayRange
from desktop_app.ui.history_source import HistorySource
from desktop_app.ui.refresh_timer import RefreshTimer

log = logging.getLogger(__name__)

LIVE_APPEND_MS = 250
FLOW_RELOAD_S = 5.0  # today's overlays from history when the live book missed part of the day
LIVE_BAR_MS = 1000  # today's running daily candle: a trader reads it, it need not flicker


class DayStatsSource(Protocol):
    """What the processor's ``LiveStats`` offers for the running daily bar."""

    @property
    def trading_date(self) -> date | None: ...
    def symbol(self, symbol: str) -> SymbolStats | None: ...


def day_levels(symbol: str, ref: Decimal | float | None) -> tuple[float | None, float | None, float | None]:
    """(reference, ceiling, floor) of a day from its reference price (the previous close)."""
    if ref is None:
        return None, None, None
    if is_futures_symbol(symbol):
        floor, ceiling = futures_limits(Decimal(str(ref)))
        return float(ref), float(ceiling), float(floor)
    floor_i, ceiling_i = hose_limits(int(ref))
    return float(ref), float(ceiling_i), float(floor_i)


class ChartTabs(QWidget):
    symbolChanged = Signal(str)
    priceAlertRequested = Signal(str, object, object)  # symbol, threshold (Decimal VND), last (float or None)
    backfill_requested = Signal()  # the daily chart's empty state asks for Data → Backfill

    def __init__(self, on_error: Callable[[str, BaseException], None] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.source: HistorySource | None = None
        self.symbol: str | None = None
        self.day: date = vn_today()
        self.tasks = TaskSlots(on_error)
        self.symbol_label = QLabel("<b>—</b>")
        self.symbol_label.setStyleSheet("font-size: 15px;")
        self.day_edit = QDateEdit()
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("dd/MM/yyyy")
        self.day_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        self.day_edit.dateChanged.connect(self._day_edited)
        top = QHBoxLayout()
        top.addWidget(self.symbol_label)
        top.addStretch(1)
        top.addWidget(QLabel(self.tr("Day:")))
        top.addWidget(self.day_edit)
        self.range: IntradayRange = DAY
        self.range_combo = QComboBox()
        self.range_combo.setToolTip(self.tr("Intraday span ending at the chosen day"))
        for r in RANGES:
            self.range_combo.addItem(QCoreApplication.translate("ChartTabs", r.label), r.label)
        self.range_combo.currentIndexChanged.connect(self._range_chosen)
        top.addWidget(self.range_combo)
        self.tabs = QTabWidget()
        self.daily = DailyChart()
        self.daily.backfill_requested.connect(self.backfill_requested)
        self.intraday = IntradayChart()  # one day, every print
        self.intraday.priceAlertRequested.connect(self._price_alert_requested)
        self.intraday.bigTradeMinChanged.connect(lambda _v: self._start_flow())
        self.book: OrderFlowBook | None = None  # today's live order flow (the CVD, VWAP, ... overlays)
        self._flow_loaded_at = 0.0  # monotonic time of the last stored overlay load
        self.intraday_bars = IntradayBarsChart()  # longer spans, SQL-aggregated bars
        self.intraday_stack = QStackedWidget()
        self.intraday_stack.addWidget(self.intraday)
        self.intraday_stack.addWidget(self.intraday_bars)
        self.foreign = ForeignChart()
        self.basis = BasisChart()
        self.tabs.addTab(self.intraday_stack, self.tr("Intraday"))
        self.tabs.addTab(self.daily, self.tr("Daily"))
        self.tabs.addTab(self.foreign, self.tr("Foreign flow"))
        self.tabs.addTab(self.basis, self.tr("Basis"))
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.tabs, 1)
        self._live_buffer: list[ClassifiedTrade] = []
        self._live_timer = RefreshTimer(LIVE_APPEND_MS, self)
        self._live_timer.timeout.connect(self._flush_live)
        self._live_timer.start()
        self._intraday_ready = False
        self.stats: DayStatsSource | None = None
        self._live_bar_timer = RefreshTimer(LIVE_BAR_MS, self)
        self._live_bar_timer.timeout.connect(self.refresh_live_bar)

    # ------------------------------------------------------------------ public
    def set_source(self, source: HistorySource | None) -> None:
        self.source = source
        if source is not None and self.symbol:
            self.reload()

    def attach_stats(self, stats: DayStatsSource | None) -> None:
        """Live statistics of the running pipeline: today's bar on the daily chart, ~1/s."""
        self.stats = stats
        if stats is None:
            self._live_bar_timer.stop()
            self.daily.set_live_bar(None)
        else:
            self._live_bar_timer.start()
            self.refresh_live_bar()

    def attach_order_flow(self, book: OrderFlowBook | None) -> None:
        """The live order-flow book: today's overlays come from it; its threshold (Settings'
        big-print value) becomes the chart's."""
        self.book = book
        if book is not None:
            self.intraday.set_big_trade_min_value(book.big_trade_min_value)
        if self._intraday_ready:
            self._start_flow()

    def live_flow(self) -> SymbolDayFlow | None:
        """The live book's figures for the symbol and day on screen, if it holds the whole day so
        far: a book started mid-day (the app restarted) lacks the stored morning, and then the
        overlays come from history, reloaded every ``FLOW_RELOAD_S`` while prints arrive."""
        flow = self.book.symbol(self.symbol) if self.book is not None and self.symbol else None
        if flow is None or flow.day != self.day:
            return None
        return flow if flow.volume >= self.intraday.matched_volume() else None

    def _start_flow(self) -> None:
        if self.symbol is None or self.range is not DAY:
            return
        flow = self.live_flow()
        if flow is not None:
            running = self.tasks.running("flow")
            if running is not None:
                running.cancel()  # a stored day's load would overwrite the live figures
            self.intraday.clear_order_flow()
            self.intraday.show_live_flow(flow)
        elif self.source is not None:
            self.tasks.start("flow", self._load_flow(self.symbol, self.day))

    async def _load_flow(self, symbol: str, day: date) -> None:
        assert self.source is not None
        self._flow_loaded_at = time.monotonic()
        self.intraday.clear_order_flow()
        cols = await self.source.order_flow_day(symbol, day, self.intraday.big_trade_min_value)
        self.intraday.set_order_flow(cols.start, cols.cvd, cols.vwap, cols.profile, cols.big_trades)

    def _price_alert_requested(self, threshold: Decimal, last: float | None) -> None:
        if self.symbol:
            self.priceAlertRequested.emit(self.symbol, threshold, last)

    def refresh_live_bar(self) -> None:
        stats, symbol = self.stats, self.symbol
        s = stats.symbol(symbol) if stats is not None and symbol else None
        if s is None:
            self.daily.set_live_bar(None)
            return
        day = stats.trading_date  # type: ignore[union-attr]
        if day is None and s.last_update is not None:
            day = vn_today(s.last_update)
        self.daily.set_live_bar(LiveDailyBar.from_stats(s, day) if day is not None else None)
        if day == self.day and self._intraday_ready and s.ref_price is not None:
            # the exchange's own figures for the day on screen win over the previous close
            self.intraday.set_levels(*(None if v is None else float(v) for v in (s.ref_price, s.ceiling, s.floor)))

    def show_symbol(self, symbol: str) -> None:
        if symbol == self.symbol:
            return
        self.symbol = symbol
        self.daily.set_live_bar(None)  # the old symbol's running bar; the new one after its load
        for chart in (self.daily, self.intraday, self.intraday_bars, self.foreign, self.basis):
            chart.reset_crosshair()  # what the crosshair read belongs to the old symbol
        self.symbol_label.setText(f"<b>{symbol}</b>")
        self.symbolChanged.emit(symbol)
        self.reload(basis=False)

    def set_day(self, day: date) -> None:
        if day != self.day:
            self.day_edit.setDate(QDate(day.year, day.month, day.day))  # -> _day_edited

    def set_range(self, span: IntradayRange | str) -> None:
        """Choose the intraday span (an entry of ``RANGES`` or its label)."""
        label = span if isinstance(span, str) else span.label
        index = self.range_combo.findData(label)
        if index < 0:
            raise ValueError(f"unknown intraday range {label!r}")
        self.range_combo.setCurrentIndex(index)  # -> _range_chosen

    def open_at(self, symbol: str, when: datetime) -> None:
        """Show ``symbol`` around ``when`` (double-click on an alert)."""
        local = to_vietnam(when)
        self.range_combo.blockSignals(True)
        self.range_combo.setCurrentIndex(RANGES.index(DAY))
        self.range_combo.blockSignals(False)
        self._show_range(DAY)
        self.day_edit.blockSignals(True)
        self.day_edit.setDate(QDate(local.year, local.month, local.day))
        self.day_edit.blockSignals(False)
        self.day = local.date()
        self.symbol = None
        self.show_symbol(symbol)
        self.tabs.setCurrentWidget(self.intraday_stack)
        self.tasks.start("focus", self._focus_after_load(when))

    def reload(self, basis: bool = True) -> None:
        if self.source is None or self.symbol is None:
            return
        self.tasks.start("daily", self._load_daily(self.symbol))
        self._start_intraday()
        self.tasks.start("foreign", self._load_foreign(self.symbol, self.day))
        if basis or self.basis.columns.ts.size == 0:
            self.tasks.start("basis", self._load_basis(self.day))

    def on_live_trade(self, trade: ClassifiedTrade) -> None:
        """Pipeline subscriber hook: cheap, only buffers prints of the symbol and day on screen
        (a replay of an old file must not draw into today's chart)."""
        if (self.range is DAY and trade.symbol == self.symbol
                and vn_today(trade.timestamp) == self.day):
            self._live_buffer.append(trade)

    async def wait_loaded(self) -> None:
        await self.tasks.wait_idle()

    # ------------------------------------------------------------------ loads
    async def _load_daily(self, symbol: str) -> None:
        assert self.source is not None
        self.daily.set_status(self.tr("Loading…"))
        series = await self.source.daily(symbol)
        self.daily.set_series(series, symbol)
        self.refresh_live_bar()
        if series.dates:
            start, end = days_bounds(series.dates[0], series.dates[-1])
            self.daily.set_alerts(await self.source.alerts(symbol, start, end))

    async def _load_intraday(self, symbol: str, day: date) -> None:
        assert self.source is not None
        self.intraday.set_status(self.tr("Loading…"))
        cols = await self.source.trades_day(symbol, day)
        before = await self.source.daily(symbol, day - timedelta(days=20), day - timedelta(days=1))
        self.intraday.set_columns(cols)
        # the day's reference is the previous session's close (the live stats refine it for today)
        self.intraday.set_levels(*day_levels(symbol, before.close[-1] if len(before.close) else None))
        if len(cols):  # prints buffered while the query ran may already be in it
            last = float(cols.ts[-1])
            self._live_buffer = [t for t in self._live_buffer if t.timestamp.timestamp() > last]
        self._intraday_ready = True
        self.refresh_live_bar()
        self._start_flow()
        start, end = days_bounds(day, day)
        self.intraday.set_alerts(await self.source.alerts(symbol, start, end))

    async def _load_bars(self, symbol: str, day: date, span: IntradayRange) -> None:
        assert self.source is not None
        self.intraday_bars.set_status(self.tr("Loading…"))
        first = span.start(day)
        cols = await self.source.bars(symbol, first, day, span.bucket)
        market = Market.DERIVATIVES if is_futures_symbol(symbol) else Market.HOSE
        self.intraday_bars.set_columns(
            cols, f"{span.bucket_label()}, {first:%d/%m/%Y} – {day:%d/%m/%Y}", trading_open(market)
        )

    async def _load_foreign(self, symbol: str, day: date) -> None:
        assert self.source is not None
        self.foreign.set_status(self.tr("Loading…"))
        self.foreign.set_columns(await self.source.foreign_day(symbol, day))

    async def _load_basis(self, day: date) -> None:
        assert self.source is not None
        self.basis.set_status(self.tr("Loading…"))
        cols = await self.source.basis_day(day)
        self.basis.set_columns(cols)
        if cols.futures_symbol:
            start, end = days_bounds(day, day)
            self.basis.set_alerts(await self.source.alerts(cols.futures_symbol, start, end))

    async def _focus_after_load(self, when: datetime) -> None:
        for slot in ("daily", "intraday"):
            task = self.tasks.running(slot)
            if task is not None:
                try:
                    await task
                except Exception:  # reported by the slot's own error handler
                    return
        self.intraday.show_time(when.timestamp())
        self.daily.show_day(vn_today(when))

    # ------------------------------------------------------------------ slots
    def _day_edited(self, qdate: QDate) -> None:
        self.day = date(qdate.year(), qdate.month(), qdate.day())
        self.reload(basis=True)

    def _range_chosen(self, index: int) -> None:
        span = RANGES[index]
        if span is self.range:
            return
        self._show_range(span)
        if self.source is not None and self.symbol is not None:
            self._start_intraday()

    def _show_range(self, span: IntradayRange) -> None:
        self.range = span
        self.intraday_stack.setCurrentWidget(self.intraday if span is DAY else self.intraday_bars)

    def _start_intraday(self) -> None:
        """One slot for both views: a newer day, symbol or span cancels the stale load."""
        assert self.symbol is not None
        self._intraday_ready = False
        self._live_buffer.clear()
        stale = self.tasks.running("flow")
        if stale is not None:
            stale.cancel()  # the previous symbol's or day's overlays
        self.intraday.clear_order_flow()
        if self.range is DAY:
            self.tasks.start("intraday", self._load_intraday(self.symbol, self.day))
        else:
            self.tasks.start("intraday", self._load_bars(self.symbol, self.day, self.range))

    def _flush_live(self) -> None:
        if not self._live_buffer or not self._intraday_ready or self.range is not DAY:
            return
        batch, self._live_buffer = self._live_buffer, []
        self.intraday.append(TradeColumns.from_trades(batch))
        flow = self.live_flow()
        if flow is not None:
            self.intraday.show_live_flow(flow)
        elif time.monotonic() - self._flow_loaded_at >= FLOW_RELOAD_S and self.tasks.running("flow") is None:
            self._start_flow()

