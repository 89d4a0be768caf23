"""The frame every history chart shares: a toolbar, a pyqtgraph layout, crosshair, PNG export.

Concrete charts (daily, intraday, foreign, basis) fill the layout and give a read-out hook
``readout(x, y) -> str`` for the crosshair's text. The read-out and the status line live in
``ElidedLabel`` s whose size hints do not depend on their text: hovering a chart or a long status
never changes the window's size (a long text is elided and its whole reads in the tooltip).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget,
)

from desktop_app.ui.charts.axes import MarketTimeAxis

log = logging.getLogger(__name__)

pg.setConfigOptions(antialias=False, background="#101418", foreground="#c8ccd0")

ALERT_BRUSH = pg.mkBrush(255, 200, 40, 220)

Row = TypeVar("Row")


class ChartLine(pg.InfiniteLine):
    """pyqtgraph's ``InfiniteLine`` that survives its view being torn down: while a closing chart
    deletes its scene, the stock line asks a view box that is already gone for its size, and the
    exception inside Qt's virtual call takes the process down."""

    def _computeBoundingRect(self) -> QRectF:  # noqa: N802 (pyqtgraph API)
        try:
            return super()._computeBoundingRect()
        except (AttributeError, RuntimeError):  # the view box went away mid-call: nothing to draw
            if self.getViewBox() is not None:
                raise  # not the teardown case: a real error
            return QRectF()


class ElidedLabel(QLabel):
    """One line of plain text in a fixed place: its size hint never follows the text (the layout
    gives it the room there is), a text too long for that room is elided, the whole in the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.hint = ""  # the tooltip while the text fits

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        super().setText(text)
        elided = self.fontMetrics().horizontalAdvance(text) > self.contentsRect().width()
        self.setToolTip("\n\n".join(t for t in (text if elided else "", self.hint) if t))

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, self.fontMetrics().height() + 2)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, self.fontMetrics().height() + 2)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), text)


class Crosshair(QObject):
    """Vertical + horizontal lines following the mouse over one plot, with a read-out callback.

    Mouse moves are rate-limited by ``pg.SignalProxy`` so a fast mouse never floods the loop. The
    lines and the read-out go away when the mouse leaves the plot or the chart (``on_leave``).
    """

    def __init__(self, plot: pg.PlotItem, on_move: Callable[[float, float], None],
                 linked: list[pg.PlotItem] | None = None,
                 on_leave: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.plot = plot
        pen = pg.mkPen("#808890", width=1, style=Qt.PenStyle.DashLine)
        self.vline = ChartLine(angle=90, movable=False, pen=pen)
        self.hline = ChartLine(angle=0, movable=False, pen=pen)
        plot.addItem(self.vline, ignoreBounds=True)
        plot.addItem(self.hline, ignoreBounds=True)
        self._linked = list(linked or [])
        self._linked_lines = []
        for other in self._linked:
            line = ChartLine(angle=90, movable=False, pen=pen)
            other.addItem(line, ignoreBounds=True)
            self._linked_lines.append(line)
        self._on_move = on_move
        self._on_leave = on_leave
        self._set_lines_visible(False)
        self._proxy = pg.SignalProxy(plot.scene().sigMouseMoved, rateLimit=30, slot=self._moved)
        views = plot.scene().views()
        if views:  # the chart's QGraphicsView: a Leave event there means the mouse is gone
            views[0].installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        # a hidden or closing view has nothing to clear (and its scene may be going away)
        if event.type() == QEvent.Type.Leave and watched.isVisible():
            self.clear()
        return False

    def _moved(self, event) -> None:
        pos = event[0]
        if self.plot.sceneBoundingRect().contains(pos):
            point = self.plot.vb.mapSceneToView(pos)
            self.move_to(point.x(), point.y())
            return
        for other in self._linked:  # over the volume pane: the same instant, no price line
            if other.sceneBoundingRect().contains(pos):
                x = other.vb.mapSceneToView(pos).x()
                self.move_to(x, self.plot.vb.viewRange()[1][0])
                self.hline.setVisible(False)
                return
        self.clear()

    def move_to(self, x: float, y: float) -> None:
        self.vline.setPos(x)
        self.hline.setPos(y)
        for line in self._linked_lines:
            line.setPos(x)
        self._set_lines_visible(True)
        self._on_move(x, y)

    def clear(self) -> None:
        """Hide the lines and clear the read-out (the mouse left; the data changed)."""
        self._set_lines_visible(False)
        if self._on_leave is not None:
            self._on_leave()

    def _set_lines_visible(self, visible: bool) -> None:
        for line in (self.vline, self.hline, *self._linked_lines):
            if line.isVisible() != visible:  # no geometry change (and no repaint) when nothing changes
                line.setVisible(visible)


class ChartPanel(QWidget):
    """Toolbar (title, controls, status, Reset zoom, Save PNG…) and a read-out line over a
    ``GraphicsLayoutWidget``. Neither line's width depends on its text."""

    loaded = Signal()  # emitted after new data is on screen (tests and the bench wait on it)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(f"<b>{title}</b>")
        self.readout_label = ElidedLabel("")
        self.status_label = ElidedLabel("")
        self.status_label.setStyleSheet("color: #909090;")
        reset = QPushButton(self.tr("Reset zoom"))
        reset.clicked.connect(self.reset_zoom)
        save = QPushButton(self.tr("Save PNG…"))
        save.clicked.connect(self._ask_export_png)
        bar = QHBoxLayout()
        bar.addWidget(self.title)
        self.controls = QHBoxLayout()
        bar.addLayout(self.controls)
        bar.addWidget(self.status_label, 1)
        bar.addWidget(reset)
        bar.addWidget(save)
        readout_row = QHBoxLayout()
        readout_row.addWidget(self.readout_label, 1)
        self.legend_row = QHBoxLayout()  # a chart's colour key, right of the read-out
        readout_row.addLayout(self.legend_row)
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.layout_widget.setMinimumSize(200, 150)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(2, 2, 2, 2)
        self.body.setSpacing(2)
        self.body.addLayout(bar)
        self.body.addLayout(readout_row)
        self.body.addWidget(self.layout_widget, 1)
        self.crosshairs: list[Crosshair] = []

    def track_crosshair(self, plot: pg.PlotItem, readout: Callable[[float, float], str],
                        linked: list[pg.PlotItem] | None = None) -> Crosshair:
        """A crosshair over ``plot`` whose read-out is ``readout(x, y)`` ('' shows nothing)."""
        crosshair = Crosshair(plot, lambda x, y: self.readout_label.setText(readout(x, y)),
                              linked, on_leave=self.clear_readout)
        self.crosshairs.append(crosshair)
        return crosshair

    def clear_readout(self) -> None:
        self.readout_label.setText("")

    def reset_crosshair(self) -> None:
        """New data (another symbol, day or span): what the crosshair read is stale."""
        for crosshair in self.crosshairs:
            crosshair.clear()
        self.clear_readout()

    def add_legend(self, entries: Sequence[tuple[str, str]], tooltip: str = "") -> QLabel:
        """A colour key (label, colour name) right of the read-out."""
        legend = QLabel(" ".join(f"<span style='color:{c}'>■</span> {label}" for label, c in entries))
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setStyleSheet("color: #a0a4a8;")
        legend.setToolTip(tooltip)
        self.legend_row.addWidget(legend)
        return legend

    def add_stacked_time_plots(self) -> tuple[pg.PlotItem, pg.PlotItem]:
        """Two market-time plots (x = ``market_x``: lunch cut out), one over the other, sharing the
        x range; only the lower shows the times."""
        upper: pg.PlotItem = self.layout_widget.addPlot(row=0, col=0, axisItems={"bottom": MarketTimeAxis()})
        lower: pg.PlotItem = self.layout_widget.addPlot(row=1, col=0, axisItems={"bottom": MarketTimeAxis()})
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
        """A non-blocking save dialog (``open`` + a signal: no nested event loop under qasync)."""
        dialog = QFileDialog(self, self.tr("Save chart as PNG"), "chart.png", "PNG (*.png)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("png")
        dialog.fileSelected.connect(self._save_png_to)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _save_png_to(self, name: str) -> None:
        try:
            self.export_png(Path(name))
        except OSError as exc:
            log.error("cannot save chart PNG to %s: %s", name, exc)
            self.set_status(self.tr("Could not save: {error}").format(error=exc))


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


def replace_markers(plot: pg.PlotItem, old: pg.ScatterPlotItem | None, xs: Sequence[float],
                    ys: Sequence[float], tips: Sequence[str]) -> pg.ScatterPlotItem | None:
    """Swap a plot's alert markers for new ones (None when there are none to show)."""
    if old is not None:
        plot.removeItem(old)
    if not len(xs):
        return None
    item = alert_markers(list(xs), list(ys), list(tips))
    plot.addItem(item)
    return item


def scene_point(plot: pg.PlotItem, x: float, y: float) -> QPointF:
    """The scene position of a data point (tests hover there)."""
    return plot.vb.mapViewToScene(QPointF(x, y))
