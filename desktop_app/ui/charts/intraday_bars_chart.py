"""Intraday bars over several days (5 days to a year): close line + volume by trade type.

Long spans are drawn from SQL-aggregated bars, not prints. x is the bar index (``BarTimeAxis``
labels it in Vietnam time), so nights, weekends and the lunch break leave no empty stretches; the
volume under each bar is stacked active buy / active sell / neutral / auction like the one-day
chart. The crosshair reads the bar's OHLC and its volume split.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop_app.ui import board_format
from desktop_app.ui.charts.axes import BarTimeAxis
from desktop_app.ui.charts.intraday_chart import TYPE_COLORS, TYPE_LABELS
from desktop_app.ui.charts.items import StackedBarItem
from desktop_app.ui.charts.panel import ChartPanel, Crosshair


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
        super().__init__("Intraday", parent)
        self.axis = BarTimeAxis()
        self.volume_axis = BarTimeAxis()
        self.price_plot: pg.PlotItem = self.layout_widget.addPlot(row=0, col=0, axisItems={"bottom": self.axis})
        self.volume_plot: pg.PlotItem = self.layout_widget.addPlot(
            row=1, col=0, axisItems={"bottom": self.volume_axis}
        )
        self.layout_widget.ci.layout.setRowStretchFactor(0, 3)
        self.layout_widget.ci.layout.setRowStretchFactor(1, 1)
        self.volume_plot.setXLink(self.price_plot)
        self.price_plot.getAxis("bottom").setStyle(showValues=False)
        self.price_plot.setLabel("left", "Price (thousand VND)")
        self.volume_plot.setLabel("left", "Volume / bar", units="sh")
        for plot in (self.price_plot, self.volume_plot):
            plot.setMouseEnabled(x=True, y=False)
            plot.vb.setAutoVisible(y=True)
        self.price_line = pg.PlotDataItem(pen=pg.mkPen("#e8e8e8", width=1))
        self.price_line.setClipToView(True)
        self.price_line.setDownsampling(auto=True, method="peak")
        self.price_plot.addItem(self.price_line)
        self.volume_bars = StackedBarItem(list(TYPE_COLORS), 0.8)
        self.volume_plot.addItem(self.volume_bars)
        legend = QLabel(" ".join(
            f"<span style='color:{c.name()}'>■</span> {label}" for label, c in zip(TYPE_LABELS, TYPE_COLORS)
        ))
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setStyleSheet("color: #a0a4a8;")
        self.controls.addWidget(legend)
        self.columns = BarColumns.empty()
        self.crosshair = Crosshair(self.price_plot, self._readout, linked=[self.volume_plot])

    def set_columns(self, cols: BarColumns, label: str = "") -> None:
        self.columns = cols
        x = np.arange(len(cols), dtype=np.float64)
        self.axis.set_starts(cols.start)
        self.volume_axis.set_starts(cols.start)
        self.price_line.setData(x, cols.close / 1000.0)
        self.volume_bars.set_data(x, list(cols.by_type))
        self.reset_zoom()
        minutes = int(cols.bucket.total_seconds() // 60)
        per = f"{minutes} min" if minutes < 60 or minutes % 60 else f"{minutes // 60} h"
        self.volume_plot.setLabel("left", f"Volume / {per}", units="sh")
        if len(cols):
            self.set_status(f"{len(cols):,} bars{', ' + label if label else ''}")
        else:
            self.set_status("No trades stored in this range")
        self.loaded.emit()

    def _readout(self, x: float, y: float) -> None:
        cols = self.columns
        i = int(round(x))
        if not 0 <= i < len(cols):
            self.readout_label.setText("")
            return
        t = self.axis.local_time_at(i)
        b = cols.by_type[:, i]
        p = board_format.price_thousands
        v = board_format.volume
        self.readout_label.setText(
            f"{t:%d/%m/%Y %H:%M}  O {p(cols.open[i])}  H {p(cols.high[i])}  L {p(cols.low[i])}"
            f"  C {p(cols.close[i])}  buy {v(b[0])} sell {v(b[1])} neutral {v(b[2])} auction {v(b[3])}"
        )
