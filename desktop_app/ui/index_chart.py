"""The VN30 index chart: the day's index line on top, the daily closes below.

What is stored, honestly: there is no table of index values. The intraday line is the ``spot``
column of ``basis_history`` (the VN30 value at each basis point, i.e. whenever the index or the
front-month futures moved while futures traded), and for today the live MI values are appended
as they arrive. The daily line reads ``daily_ohlc`` rows for the symbol ``VN30``; the backfill
imports the basket's stocks, not the index, so that part is empty unless such rows were loaded.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from typing import Callable, Protocol

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication

from desktop_app.market_clock import Market, at_vietnam_time, to_vietnam, trading_open
from desktop_app.processing.live_stats import MarketStats
from desktop_app.ui import board_format as fmt
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.charts.axes import MarketTimeAxis, TradingDayAxis, epoch_of_market_x, market_x
from desktop_app.ui.charts.panel import ChartPanel, break_gaps, sample_at
from desktop_app.ui.history_source import HistorySource
from desktop_app.ui.refresh_timer import RefreshTimer

INDEX_SYMBOL = "VN30"
LIVE_MS = 1000
GAP_RELOAD_S = 120.0  # live values start this far past the stored line: read the stored ones again
RELOAD_EVERY_S = 5.0
RELOADS = 12


class MarketSource(Protocol):
    def market(self) -> MarketStats: ...


class IndexChart(ChartPanel):
    """VN30 intraday (stored spot values + live MI) and daily (daily_ohlc 'VN30' closes)."""

    def __init__(self, on_error: Callable[[str, BaseException], None] | None = None, parent=None) -> None:
        super().__init__(QCoreApplication.translate("IndexChart", "VN30 index"), parent)
        self.intraday_plot: pg.PlotItem = self.layout_widget.addPlot(
            row=0, col=0, axisItems={"bottom": MarketTimeAxis()})
        self.day_axis = TradingDayAxis()
        self.daily_plot: pg.PlotItem = self.layout_widget.addPlot(row=1, col=0, axisItems={"bottom": self.day_axis})
        self.layout_widget.ci.layout.setRowStretchFactor(0, 3)
        self.layout_widget.ci.layout.setRowStretchFactor(1, 2)
        self.intraday_plot.setLabel("left", self.tr("VN30 (points)"))
        self.daily_plot.setLabel("left", self.tr("Daily close"))
        self.intraday_line = self.intraday_plot.plot(pen=pg.mkPen("#50a0f0", width=1.5))
        self.daily_line = self.daily_plot.plot(pen=pg.mkPen("#e8e8e8", width=1.2))
        for line in (self.intraday_line, self.daily_line):
            line.setData(connect="finite")
        self.daily_empty = pg.TextItem(self.tr("No daily VN30 rows stored (the backfill imports the basket's stocks)"),
                                       color="#909090", anchor=(0.5, 0.5))
        self.daily_plot.addItem(self.daily_empty, ignoreBounds=True)
        self.daily_empty.setPos(0.5, 0.5)
        self.tasks = TaskSlots(on_error)
        self.source: HistorySource | None = None
        self.day: date | None = None
        self.stored_ts = np.empty(0)
        self.stored_value = np.empty(0)
        self.live_ts: list[float] = []
        self.live_value: list[float] = []
        self.daily_dates: list[date] = []
        self.daily_close = np.empty(0)
        self.stats: MarketSource | None = None
        self._last_live: datetime | None = None
        self._reloaded_at = float("-inf")
        self._reloads_left = RELOADS
        self._live_timer = RefreshTimer(LIVE_MS, self)
        self._live_timer.timeout.connect(self.poll_live)
        self.track_crosshair(self.intraday_plot, self._readout)

    # ------------------------------------------------------------------ inputs
    def set_source(self, source: HistorySource | None) -> None:
        self.source = source
        self.reload()

    def set_day(self, day: date) -> None:
        if day != self.day:
            self.day = day
            self.live_ts, self.live_value = [], []
            self._last_live = None
            self._reloads_left = RELOADS
            self.reload()

    def attach_stats(self, stats: MarketSource | None) -> None:
        self.stats = stats
        if stats is None:
            self._live_timer.stop()
        else:
            self._live_timer.start()

    def reload(self) -> None:
        if self.source is not None and self.day is not None:
            self.tasks.start("index", self._load(self.day))

    async def wait_loaded(self) -> None:
        await self.tasks.wait_idle()

    # ------------------------------------------------------------------ live
    def poll_live(self) -> None:
        """Append the latest VN30 value (MI) when it is new and belongs to the day on screen."""
        if self.stats is None or self.day is None:
            return
        m = self.stats.market()
        when = m.vn30_time
        if m.vn30_value is None or when is None or when == self._last_live:
            return
        if to_vietnam(when).date() != self.day:
            return
        self._last_live = when
        t = when.timestamp()
        if self.stored_ts.size and t <= self.stored_ts[-1]:
            return  # already stored and shown
        self.live_ts.append(t)
        self.live_value.append(float(m.vn30_value))
        self._draw_intraday()
        # the feed raced ahead of the stored line (a demo catching up, the writer still flushing):
        # read the stored values again, at most every RELOAD_EVERY_S, until the hole is filled
        opens = at_vietnam_time(self.day, trading_open(Market.DERIVATIVES)).timestamp()
        stored_until = self.stored_ts[-1] if self.stored_ts.size else opens
        if (self.live_ts[0] - stored_until > GAP_RELOAD_S and self._reloads_left > 0
                and self.source is not None and self.tasks.running("index") is None
                and time.monotonic() - self._reloaded_at > RELOAD_EVERY_S):
            self._reloaded_at = time.monotonic()
            self._reloads_left -= 1  # a day that was never stored must not be re-read forever
            self.reload()

    # ------------------------------------------------------------------ drawing
    async def _load(self, day: date) -> None:
        assert self.source is not None
        self.set_status(self.tr("Loading…"))
        basis = await self.source.basis_day(day)
        keep = ~np.isnan(basis.spot)
        self.stored_ts, self.stored_value = basis.ts[keep], basis.spot[keep]
        if self.stored_ts.size and self.live_ts:  # live values now stored are shown once
            first_new = next((i for i, t in enumerate(self.live_ts) if t > self.stored_ts[-1]), len(self.live_ts))
            self.live_ts, self.live_value = self.live_ts[first_new:], self.live_value[first_new:]
        series = await self.source.daily(INDEX_SYMBOL)
        self.daily_dates, self.daily_close = series.dates, series.close
        self._draw_intraday()
        self.day_axis.set_dates(self.daily_dates)
        self.daily_line.setData(np.arange(len(self.daily_dates), dtype=float), self.daily_close)
        self.daily_empty.setVisible(not self.daily_dates)
        self.reset_zoom()
        self.loaded.emit()

    def intraday_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """(epoch seconds, value) of the day on screen: stored points, then live ones."""
        if not self.live_ts:
            return self.stored_ts, self.stored_value
        return (np.concatenate([self.stored_ts, np.asarray(self.live_ts)]),
                np.concatenate([self.stored_value, np.asarray(self.live_value)]))

    def _draw_intraday(self) -> None:
        ts, values = self.intraday_columns()
        x, y = break_gaps(market_x(ts), values)
        self.intraday_line.setData(x, y)
        parts = []
        parts.append(self.tr("{n} intraday values").format(n=f"{len(ts):,}") if len(ts)
                     else self.tr("No VN30 values stored for this day"))
        parts.append(self.tr("{n} daily closes").format(n=f"{len(self.daily_dates):,}") if self.daily_dates
                     else self.tr("no daily VN30 rows stored"))
        self.set_status(" · ".join(parts))

    def _readout(self, x: float, _y: float) -> str:
        ts, values = self.intraday_columns()
        i = sample_at(ts, epoch_of_market_x(x))
        if i < 0 or not len(ts):
            return ""
        when = datetime.fromtimestamp(ts[i], timezone.utc)
        return f"{fmt.vietnam_time(when)}  VN30 {fmt.points(values[i])}"
