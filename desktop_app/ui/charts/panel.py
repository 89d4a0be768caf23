"""The frame every history chart shares: a toolbar, a pyqtgraph layout, crosshair, PNG export.

Concrete charts (daily, intraday, foreign, basis) fill the layout and implement ``readout(x, y)``
for the crosshair's text; loading data is theirs too, through the repositories.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.ui.charts.axes import VietnamTimeAxis

log = logging.getLogger(__name__)

pg.setConfigOptions(antialias=False, background="#101418", foreground="#c8ccd0")

ALERT_BRUSH = pg.mkBrush(255, 200, 40, 220)

Row = TypeVar("Row")


class Crosshair:
    """Vertical + horizontal lines following the mouse over one plot, with a read-out callback.

    Mouse moves are rate-limited by ``pg.SignalProxy`` so a fast mouse never floods the loop.
    """

    def __init__(self, plot: pg.PlotItem, on_move: Callable[[float, float], None],
                 linked: list[pg.PlotItem] | None = None) -> None:
        self.plot = plot
        pen = pg.mkPen("#808890", width=1, style=Qt.PenStyle.DashLine)
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        self.hline = pg.InfiniteLine(angle=0, movable=False, pen=pen)
        plot.addItem(self.vline, ignoreBounds=True)
        plot.addItem(self.hline, ignoreBounds=True)
        self._linked_lines = []
        for other in linked or []:
            line = pg.InfiniteLine(angle=90, movable=False, pen=pen)
            other.addItem(line, ignoreBounds=True)
            self._linked_lines.append(line)
        self._on_move = on_move
        self._proxy = pg.SignalProxy(plot.scene().sigMouseMoved, rateLimit=30, slot=self._moved)

    def _moved(self, event) -> None:
        pos = event[0]
        if not self.plot.sceneBoundingRect().contains(pos):
            return
        point = self.plot.vb.mapSceneToView(pos)
        self.move_to(point.x(), point.y())

    def move_to(self, x: float, y: float) -> None:
        self.vline.setPos(x)
        self.hline.setPos(y)
        for line in self._linked_lines:
            line.setPos(x)
        self._on_move(x, y)


class ChartPanel(QWidget):
    """Toolbar (title, read-out, Reset zoom, Save PNG…) over a ``GraphicsLayoutWidget``."""

    loaded = Signal()  # emitted after new data is on screen (tests and the bench wait on it)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(f"<b>{title}</b>")
        self.readout_label = QLabel("")
        self.readout_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label = QLabel("")
        self.status_label.setStyleSheet("color: #909090;")
        reset = QPushButton("Reset zoom")
        reset.clicked.connect(self.reset_zoom)
        save = QPushButton("Save PNG…")
        save.clicked.connect(self._ask_export_png)
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        self.controls = QHBoxLayout()
        bar.addLayout(self.controls)
        bar.addWidget(self.status_label)
        bar.addStretch(1)
        bar.addWidget(self.readout_label)
        bar.addWidget(reset)
        bar.addWidget(save)
        self.layout_widget = pg.GraphicsLayoutWidget()
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addLayout(bar)
        box.addWidget(self.layout_widget, 1)

    def add_stacked_time_plots(self) -> tuple[pg.PlotItem, pg.PlotItem]:
        """Two time plots, one over the other, sharing the x range; only the lower shows the times."""
        upper: pg.PlotItem = self.layout_widget.addPlot(row=0, col=0, axisItems={"bottom": VietnamTimeAxis()})
        lower: pg.PlotItem = self.layout_widget.addPlot(row=1, col=0, axisItems={"bottom": VietnamTimeAxis()})
        lower.setXLink(upper)
        upper.getAxis("bottom").setStyle(showValues=False)
        for plot in (upper, lower):
            plot.addLegend(offset=(5, 5))
        return upper, lower

    def plots(self) -> list[pg.PlotItem]:
        return [
            item for item in self.layout_widget.ci.items.keys() if isinstance(item, pg.PlotItem)
        ]

    def reset_zoom(self) -> None:
        for plot in self.plots():
            plot.enableAutoRange()

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def export_png(self, path: Path, width: int | None = None) -> Path:
        """Render the whole chart (all its plots) to a PNG file."""
        exporter = pyqtgraph.exporters.ImageExporter(self.layout_widget.ci)
        if width:
            exporter.parameters()["width"] = width
        exporter.export(str(path))
        return path

    def _ask_export_png(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save chart as PNG", "chart.png", "PNG (*.png)")
        if name:
            try:
                self.export_png(Path(name))
            except OSError as exc:
                log.error("cannot save chart PNG to %s: %s", name, exc)
                self.set_status(f"Could not save: {exc}")


def float_column(rows: Sequence[Row], value: Callable[[Row], float]) -> np.ndarray:
    """One float64 column from a sequence of domain values (pyqtgraph draws numpy arrays)."""
    return np.fromiter((value(r) for r in rows), dtype=np.float64, count=len(rows))


def sample_at(ts: np.ndarray, t: float) -> int:
    """Index of the last sample at or before ``t`` in sorted times (-1 when ``t`` precedes them all):
    what a crosshair or an alert marker reads."""
    return int(np.searchsorted(ts, t, side="right")) - 1


GAP_S = 600.0  # no line is drawn across a pause this long (the 11:30-13:00 lunch break)


def break_gaps(x: np.ndarray, *ys: np.ndarray, gap: float = GAP_S) -> tuple[np.ndarray, ...]:
    """Insert a NaN after each pause longer than ``gap`` so a ``connect="finite"`` line breaks."""
    cut = np.flatnonzero(np.diff(x) > gap) + 1
    if not len(cut):
        return (x, *ys)
    return (np.insert(x, cut, x[cut - 1] + 1.0), *(np.insert(np.asarray(y, dtype=np.float64), cut, np.nan) for y in ys))


def alert_markers(times: list[float], values: list[float], tips: list[str]) -> pg.ScatterPlotItem:
    """Alert markers with a hover tooltip each (the alert's message)."""
    item = pg.ScatterPlotItem(
        size=11, symbol="t1", pen=pg.mkPen("#202020"), brush=ALERT_BRUSH,
        hoverable=True, tip=lambda x, y, data: str(data),
        hoverSize=15,
    )
    item.setData(x=times, y=values, data=tips)
    item.setZValue(20)
    return item


def scene_point(plot: pg.PlotItem, x: float, y: float) -> QPointF:
    """The scene position of a data point (tests hover there)."""
    return plot.vb.mapViewToScene(QPointF(x, y))
