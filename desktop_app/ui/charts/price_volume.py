"""The price pane over the volume pane that the daily, intraday and multi-day charts share.

One builder instead of the same setup in three charts: two plots sharing x (only the lower shows
its labels), pan and zoom along x only, the y-axes rescaled to what is visible on every zoom or
pan, the crosshair with the chart's read-out hook, alert markers, and the day's reference /
ceiling / floor lines with a last-price tag.
"""

from __future__ import annotations

from typing import Callable, Sequence

import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt

from desktop_app.ui import board_format
from desktop_app.ui.charts.panel import ChartLine, ChartPanel, replace_markers

PRICE_LABEL = QT_TRANSLATE_NOOP("PriceVolumePlots", "Price (k VND)")  # short: the price pane is ~150 px tall on a laptop
_LEVEL_COLORS = {
    "ref": board_format.REFERENCE_COLOR,
    "ceiling": board_format.CEILING_COLOR,
    "floor": board_format.FLOOR_COLOR,
}


class PriceVolumePlots:
    def __init__(self, panel: ChartPanel, price_axis: pg.AxisItem, volume_axis: pg.AxisItem,
                 volume_label: str, readout: Callable[[float, float], str],
                 lower_axis: pg.AxisItem | None = None, lower_label: str = "") -> None:
        """``lower_axis``: a third pane under the volume (the intraday CVD), same x, same crosshair."""
        layout = panel.layout_widget
        self.price_plot: pg.PlotItem = layout.addPlot(row=0, col=0, axisItems={"bottom": price_axis})
        self.volume_plot: pg.PlotItem = layout.addPlot(row=1, col=0, axisItems={"bottom": volume_axis})
        layout.ci.layout.setRowStretchFactor(0, 3)
        layout.ci.layout.setRowStretchFactor(1, 1)
        self.volume_plot.setXLink(self.price_plot)
        self.lower_plot: pg.PlotItem | None = None
        if lower_axis is not None:
            self.lower_plot = layout.addPlot(row=2, col=0, axisItems={"bottom": lower_axis})
            layout.ci.layout.setRowStretchFactor(2, 1)
            self.lower_plot.setXLink(self.price_plot)
            self.lower_plot.setLabel("left", lower_label)
        lower = [self.lower_plot] if self.lower_plot is not None else []
        self.price_plot.getAxis("bottom").setStyle(showValues=False)
        self.price_plot.setLabel("left", QCoreApplication.translate("PriceVolumePlots", PRICE_LABEL))
        self.volume_plot.setLabel("left", volume_label, units="sh")
        for plot in (self.price_plot, self.volume_plot, *lower):
            plot.setMouseEnabled(x=True, y=False)
            plot.vb.setAutoVisible(y=True)
            plot.getAxis("left").setWidth(62)  # both panes' plot areas line up, whatever the digits
        self.price_plot.sigXRangeChanged.connect(self._follow_x)
        self.crosshair = panel.track_crosshair(self.price_plot, readout, linked=[self.volume_plot, *lower])
        self.markers: pg.ScatterPlotItem | None = None
        self.levels: dict[str, pg.InfiniteLine] = {}
        for name, color in _LEVEL_COLORS.items():
            line = ChartLine(angle=0, movable=False,
                                   pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
            line.setVisible(False)
            line.setZValue(-5)
            self.price_plot.addItem(line, ignoreBounds=True)
            self.levels[name] = line
        self.last_tag = ChartLine(
            angle=0, movable=False, pen=pg.mkPen("#c8ccd0", width=1, style=Qt.PenStyle.DotLine),
            label="{value:,.2f}",
            labelOpts={"position": 1.0, "anchors": [(1, 0.5), (1, 0.5)], "color": "#101418",
                       "fill": "#c8ccd0", "movable": False},
        )
        self.last_tag.setVisible(False)
        self.last_tag.setZValue(15)
        self.price_plot.addItem(self.last_tag, ignoreBounds=True)

    def _follow_x(self, *_args) -> None:
        """Every x change (zoom, pan, reset, live growth) rescales y to the visible data."""
        for plot in (self.price_plot, self.volume_plot, *([self.lower_plot] if self.lower_plot else [])):
            plot.vb.enableAutoRange(axis=pg.ViewBox.YAxis)

    def set_markers(self, xs: Sequence[float], ys: Sequence[float], tips: Sequence[str]) -> None:
        """Alert markers (replacing the previous ones); none when ``xs`` is empty."""
        self.markers = replace_markers(self.price_plot, self.markers, xs, ys, tips)

    def set_levels(self, ref: float | None, ceiling: float | None, floor: float | None) -> None:
        """Reference, ceiling and floor (thousands of VND, or points); None hides a line."""
        for name, value in (("ref", ref), ("ceiling", ceiling), ("floor", floor)):
            line = self.levels[name]
            line.setVisible(value is not None)
            if value is not None:
                line.setPos(value)

    def set_last(self, price: float | None, ref: float | None = None) -> None:
        """The last-price tag at the right edge, coloured against the reference like the board."""
        if price is None:
            self.last_tag.setVisible(False)
            return
        color = (board_format.NEUTRAL_COLOR if ref is None or price == ref else
                 board_format.UP_COLOR if price > ref else board_format.DOWN_COLOR)
        self.last_tag.setVisible(True)  # first: a hidden line's label does not follow its value
        self.last_tag.label.fill = pg.mkBrush(color)
        self.last_tag.setPos(price)
        self.last_tag.label.valueChanged()
