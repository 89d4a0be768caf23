"""Daily candlesticks + volume from ``daily_ohlc``: trading days without gaps (x = bar index).

While today's bar is not yet in ``daily_ohlc`` the live feed's running OHLC is drawn after the last
stored day as a lighter, translucent candle (``LiveDailyBar``); it is display only, never stored.
With no stored history at all, a banner over the chart offers the backfill
(``backfill_requested``), and a lone live candle sits inside a few weeks' width, not at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from desktop_app.market_clock import vn_today
from desktop_app.domain import DailyBar, StoredAlert
from desktop_app.processing.live_stats import SymbolStats
from desktop_app.ui import board_format
from desktop_app.ui.alert_text import localized_message
from desktop_app.ui.charts.axes import TradingDayAxis
from desktop_app.ui.charts.items import CandlestickItem, OhlcArrays, StackedBarItem
from desktop_app.ui.charts.panel import ChartPanel
from desktop_app.ui.charts.price_volume import PriceVolumePlots

DEFAULT_VISIBLE_BARS = 250  # about one trading year on first paint; zoom out for the rest
MIN_VISIBLE_BARS = 30  # a short history (or today's live bar alone) still reads as candles
RIGHT_MARGIN_BARS = 2
LONE_BAR_SPAN = 15  # bars' width of the view around today's live candle when nothing is stored  # room right of the latest candle, so it is not cut by the edge


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Column form of daily bars, the shape the chart draws from."""

    dates: list[date]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    @classmethod
    def from_bars(cls, bars: Sequence[DailyBar]) -> "DailySeries":
        usable = [b for b in bars if b.close is not None]
        n = len(usable)

        def col(name: str, fallback: str = "close") -> np.ndarray:
            return np.fromiter(
                (float(getattr(b, name) if getattr(b, name) is not None else getattr(b, fallback))
                 for b in usable),
                dtype=np.float64, count=n,
            )

        return cls(
            dates=[b.date for b in usable],
            open=col("open"), high=col("high"), low=col("low"), close=col("close"),
            volume=np.fromiter((float(b.volume or 0) for b in usable), dtype=np.float64, count=n),
        )


@dataclass(frozen=True, slots=True)
class LiveDailyBar:
    """Today's running bar from the live feed (VND, shares)."""

    day: date
    open: float
    high: float
    low: float
    close: float
    volume: float

    @classmethod
    def from_stats(cls, stats: SymbolStats, day: date) -> "LiveDailyBar | None":
        """None until the feed has seen a print today. The exchange's session high/low and
        cumulative volume win over the prints seen (the app may have started mid-session); like the
        board, the candle is matched trading only (put-throughs move neither price nor volume)."""
        close = stats.close if stats.close is not None else stats.last
        if stats.open is None or close is None:
            return None
        o, c = float(stats.open), float(close)
        highs = [v for v in (stats.high, stats.day_high) if v is not None]
        lows = [v for v in (stats.low, stats.day_low) if v is not None]
        volume = stats.matched_volume or (stats.buy_volume + stats.sell_volume + stats.neutral_volume
                                          + stats.auction_volume)  # DailyOhlc counts matching only
        return cls(day, o, max([o, c, *map(float, highs)]), min([o, c, *map(float, lows)]), c, float(volume))


class DailyChart(ChartPanel):
    backfill_requested = Signal()  # the empty state's button: open Data → Backfill

    def __init__(self, parent=None) -> None:
        super().__init__(QCoreApplication.translate("DailyChart", "Daily"), parent)
        self.axis = TradingDayAxis()
        self.volume_axis = TradingDayAxis()
        self.panes = PriceVolumePlots(self, self.axis, self.volume_axis, self.tr("Volume"), self._readout)
        self.price_plot = self.panes.price_plot
        self.volume_plot = self.panes.volume_plot
        self.crosshair = self.panes.crosshair
        self.candles = CandlestickItem()
        self.price_plot.addItem(self.candles)
        self.volume_bars = StackedBarItem([board_format.UP_COLOR, board_format.DOWN_COLOR], 0.7)
        self.volume_plot.addItem(self.volume_bars)
        self.live_candle = CandlestickItem(live=True)
        self.live_candle.setVisible(False)
        self.price_plot.addItem(self.live_candle)
        self.live_volume = StackedBarItem([_translucent(board_format.UP_COLOR),
                                           _translucent(board_format.DOWN_COLOR)], 0.7)
        self.live_volume.setVisible(False)
        self.volume_plot.addItem(self.live_volume)
        self.live_bar: LiveDailyBar | None = None  # on screen (None: not shown)
        self._pending_live: LiveDailyBar | None = None  # last offered by the feed
        self.markers: pg.ScatterPlotItem | None = None
        self.series = DailySeries([], *(np.zeros(0) for _ in range(5)))
        self.empty_state = QFrame()
        self.empty_state.setStyleSheet("QFrame { background: #1c2430; border-radius: 4px; }"
                                       " QLabel { color: #e0e4e8; }")
        self.empty_message = QLabel(self.tr("No daily history is stored for this symbol."))
        self.backfill_button = QPushButton(self.tr("Backfill daily history…"))
        self.backfill_button.setToolTip(self.tr("Data → Backfill: fetch past daily OHLC into the database"))
        self.backfill_button.clicked.connect(self.backfill_requested)
        row = QHBoxLayout(self.empty_state)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.empty_message, 1)
        row.addWidget(self.backfill_button)
        self.empty_state.setVisible(False)
        self.body.insertWidget(2, self.empty_state)

    # ------------------------------------------------------------------ data
    def set_series(self, series: DailySeries, symbol: str = "") -> None:
        """Show ``series``; prices are plotted in thousands of VND like the board."""
        self.reset_crosshair()
        self.series = series
        n = len(series.dates)
        x = np.arange(n, dtype=np.float64)
        self.axis.set_dates(series.dates)
        self.volume_axis.set_dates(series.dates)
        self.candles.set_data(OhlcArrays(x, series.open / 1000.0, series.high / 1000.0,
                                         series.low / 1000.0, series.close / 1000.0))
        up = series.close >= series.open
        self.volume_bars.set_data(x, [np.where(up, series.volume, 0.0), np.where(up, 0.0, series.volume)])
        if n:
            self._show_last_bars(n)
            self.set_status(self.tr("{n} trading days, {first} – {last}").format(
                n=f"{n:,}", first=f"{series.dates[0]:%d/%m/%Y}", last=f"{series.dates[-1]:%d/%m/%Y}"))
        else:
            self.set_status(self.tr("No daily bars stored"))
        self.empty_message.setText(self.tr("No daily history is stored for {symbol}.").format(symbol=symbol)
                                        if symbol else self.tr("No daily history is stored for this symbol."))
        self.empty_state.setVisible(n == 0)
        self.panes.set_last(float(series.close[-1]) / 1000.0 if n else None)
        self.live_bar = None  # re-placed after the new series (or dropped: its day is stored)
        self.live_candle.setVisible(False)
        self.live_volume.setVisible(False)
        self._show_live(self._pending_live)
        self.loaded.emit()

    def _show_last_bars(self, n: int) -> None:
        """The latest year (at most), at least a few weeks wide, with a margin right of the last."""
        width = min(max(n, MIN_VISIBLE_BARS), DEFAULT_VISIBLE_BARS)
        right = n - 0.5 + RIGHT_MARGIN_BARS
        self.price_plot.setXRange(right - width - RIGHT_MARGIN_BARS, right, padding=0)

    def set_live_bar(self, bar: LiveDailyBar | None) -> None:
        """Offer today's running bar; drawn only while the stored series does not hold its day."""
        self._pending_live = bar
        if bar != self.live_bar:
            self._show_live(bar)

    def _show_live(self, bar: LiveDailyBar | None) -> None:
        dates = self.series.dates
        if bar is not None and dates and bar.day <= dates[-1]:
            bar = None  # the day is stored now: the real bar replaces the running one
        if bar is None and not self.live_candle.isVisible():
            return
        self.live_bar = bar
        if bar is None:
            self.live_candle.set_data(OhlcArrays.empty())
            self.live_volume.set_data(np.zeros(0), [np.zeros(0), np.zeros(0)])
            self.live_candle.setVisible(False)
            self.live_volume.setVisible(False)
            self.axis.set_dates(dates)
            self.volume_axis.set_dates(dates)
            return
        was_shown = self.live_candle.isVisible()
        x = np.array([float(len(dates))])
        (x0, x1), _ = self.price_plot.vb.viewRange()
        if not dates:  # today alone: a readable candle in the middle, not a sliver at an edge
            self.price_plot.setXRange(-LONE_BAR_SPAN / 2, LONE_BAR_SPAN / 2, padding=0)
        elif not was_shown and x1 >= len(dates) - 1:  # following the latest day: keep today in view
            self.price_plot.setXRange(x0 + 1, x1 + 1, padding=0)
        self.live_candle.set_data(OhlcArrays(x, *(np.array([v / 1000.0]) for v in
                                                  (bar.open, bar.high, bar.low, bar.close))))
        up = bar.close >= bar.open
        self.live_volume.set_data(x, [np.array([bar.volume if up else 0.0]),
                                      np.array([0.0 if up else bar.volume])])
        self.live_candle.setVisible(True)
        self.live_volume.setVisible(True)
        if not was_shown:
            self.axis.set_dates([*dates, bar.day])
            self.volume_axis.set_dates([*dates, bar.day])

    def set_alerts(self, alerts: Sequence[StoredAlert]) -> None:
        index = {d: i for i, d in enumerate(self.series.dates)}
        xs, ys, tips = [], [], []
        for alert in alerts:
            day = vn_today(alert.created_at)
            i = index.get(day)
            if i is None:
                continue
            xs.append(float(i))
            ys.append(float(self.series.high[i]) / 1000.0)
            message = localized_message(alert.alert_type, alert.message or alert.alert_type)
            tips.append(f"{board_format.vietnam_time(alert.created_at, True)} {message}")
        self.panes.set_markers(xs, ys, tips)
        self.markers = self.panes.markers

    def index_of(self, day: date) -> int | None:
        """Bar index of ``day`` or the nearest later trading day (for 'open chart at alert')."""
        i = int(np.searchsorted(np.array([d.toordinal() for d in self.series.dates]), day.toordinal()))
        return i if i < len(self.series.dates) else None

    def show_day(self, day: date, span: int = 60) -> None:
        i = self.index_of(day)
        if i is not None:
            self.price_plot.setXRange(i - span / 2, i + span / 2, padding=0)

    def _readout(self, x: float, y: float) -> str:
        i = int(round(x))
        s = self.series
        live = self.live_bar
        if live is not None and i == len(s.dates):
            return QCoreApplication.translate(
                "ChartReadout", "{day} (live)  O {open}  H {high}  L {low}  C {close}  V {volume}").format(
                day=f"{live.day:%d/%m/%Y}", open=board_format.price_thousands(live.open),
                high=board_format.price_thousands(live.high), low=board_format.price_thousands(live.low),
                close=board_format.price_thousands(live.close), volume=board_format.volume(live.volume))
        if not 0 <= i < len(s.dates):
            return ""
        return QCoreApplication.translate(
            "ChartReadout", "{day}  O {open}  H {high}  L {low}  C {close}  V {volume}").format(
            day=f"{s.dates[i]:%d/%m/%Y}", open=board_format.price_thousands(s.open[i]),
            high=board_format.price_thousands(s.high[i]), low=board_format.price_thousands(s.low[i]),
            close=board_format.price_thousands(s.close[i]), volume=board_format.volume(s.volume[i]))


def _translucent(color: QColor) -> QColor:
    out = QColor(color)
    out.setAlpha(110)
    return out
