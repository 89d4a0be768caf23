"""Intraday bars over several days (5 days to a year): candles + volume by trade type.

Long spans are drawn from SQL-aggregated bars, not prints. x is the bar index (``BarTimeAxis``
labels it in Vietnam market time), so nights, weekends and the lunch break leave no empty
stretches; the volume under each bar is stacked active buy / active sell / neutral / auction like
the one-day chart. The crosshair reads the bar's OHLC and its volume split.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

import numpy as np
from PySide6.QtCore import QCoreApplication

from desktop_app.market_clock import trading_open
from desktop_app.ui import board_format
from desktop_app.ui.charts.axes import BarTimeAxis
from desktop_app.ui.charts.intraday_chart import (
    LEGEND_LABELS, TYPE_COLORS, TYPE_LABELS, put_through_note, volume_key_tooltip, volume_split,
)
from desktop_app.ui.charts.items import CandlestickItem, OhlcArrays, StackedBarItem
from desktop_app.ui.charts.panel import ChartPanel
from desktop_app.ui.charts.price_volume import PriceVolumePlots


@dataclass(frozen=True, slots=True)
class BarColumns:
    """Bars as columns: bucket start (epoch s), OHLC in VND, volume by type (stack order)."""

    start: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    by_type: np.ndarray  # shape (len(TYPE_LABELS), n): buy, sell, neutral, auction
    bucket: timedelta = timedelta(minutes=1)

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @classmethod
    def empty(cls) -> "BarColumns":
        z = np.zeros(0, dtype=np.float64)
        return cls(z, z, z, z, z, np.zeros((len(TYPE_LABELS), 0)))


class IntradayBarsChart(ChartPanel):
    def __init__(self, parent=None) -> None:
        super().__init__(QCoreApplication.translate("IntradayBarsChart", "Intraday"), parent)
        self.axis = BarTimeAxis()
        self.volume_axis = BarTimeAxis()
        self.panes = PriceVolumePlots(self, self.axis, self.volume_axis, "Volume / bar", self._readout)
        self.price_plot = self.panes.price_plot
        self.volume_plot = self.panes.volume_plot
        self.crosshair = self.panes.crosshair
        self.candles = CandlestickItem()
        self.price_plot.addItem(self.candles)
        self.volume_bars = StackedBarItem(list(TYPE_COLORS), 0.8)
        self.volume_plot.addItem(self.volume_bars)
        self.add_legend([(QCoreApplication.translate("IntradayChart", label), c.name())
                         for label, c in zip(LEGEND_LABELS, TYPE_COLORS)],
                        tooltip=volume_key_tooltip())
        self.status_label.hint = put_through_note()
        self.columns = BarColumns.empty()

    def set_columns(self, cols: BarColumns, label: str = "", opens_at: time = trading_open()) -> None:
        """``opens_at``: when continuous trading opens for the symbol (a bar binned from an earlier
        hour is labelled from there)."""
        self.reset_crosshair()
        self.columns = cols
        x = np.arange(len(cols), dtype=np.float64)
        bucket_s = cols.bucket.total_seconds()
        opens_s = opens_at.hour * 3600 + opens_at.minute * 60
        self.axis.set_starts(cols.start, bucket_s, opens_s)
        self.volume_axis.set_starts(cols.start, bucket_s, opens_s)
        self.candles.set_data(OhlcArrays(x, cols.open / 1000.0, cols.high / 1000.0, cols.low / 1000.0,
                                         cols.close / 1000.0))
        self.volume_bars.set_data(x, list(cols.by_type))
        self.reset_zoom()
        minutes = int(bucket_s // 60)
        per = (QCoreApplication.translate("ChartReadout", "{n} min").format(n=minutes) if minutes < 60 or minutes % 60
               else QCoreApplication.translate("ChartReadout", "{n} h").format(n=minutes // 60))
        self.volume_plot.setLabel("left", QCoreApplication.translate("ChartReadout", "Volume / {per}").format(per=per),
                                  units="sh")
        if len(cols):
            count = (QCoreApplication.translate("ChartReadout", "{n} bar") if len(cols) == 1
                     else QCoreApplication.translate("ChartReadout", "{n} bars")).format(n=f"{len(cols):,}")
            self.set_status(f"{count}{' · ' + label if label else ''}")
        else:
            self.set_status(self.tr("No trades stored in this range"))
        self.panes.set_last(float(cols.close[-1]) / 1000.0 if len(cols) else None)
        self.loaded.emit()

    def _readout(self, x: float, y: float) -> str:
        cols = self.columns
        i = int(round(x))
        if not 0 <= i < len(cols):
            return ""
        t = self.axis.local_time_at(i)
        b = cols.by_type[:, i]
        p = board_format.price_thousands
        return QCoreApplication.translate(
            "ChartReadout", "{time}  O {open}  H {high}  L {low}  C {close}  {volumes}").format(
            time=f"{t:%d/%m/%Y %H:%M}", open=p(cols.open[i]), high=p(cols.high[i]), low=p(cols.low[i]),
            close=p(cols.close[i]), volumes=volume_split(b))
