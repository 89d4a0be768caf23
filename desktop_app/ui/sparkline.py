"""Per-row sparklines on the board: the day's price (reference marked) and the value delta (CVD).

The model hands a ``Sparkline`` through ``SPARK_ROLE``: floats, converted from the stats'
per-minute points by a ``FloatSeries`` per cell. A series only grows at its end and only its last
point moves (the current minute), so each board refresh converts one or two points, not the day;
the delegate scales them with numpy and paints one polygon. At 5,000 prints/s every row changes
at every refresh: a full board repaint must stay a few milliseconds, not a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Hashable, Sequence

import numpy as np
from pyqtgraph.functions import arrayToQPolygonF
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_app.ui import board_format as fmt

SPARK_ROLE = Qt.ItemDataRole.UserRole + 2
_MARGIN = 2.0
_WIDTH = 1.2  # the line's pen
_FINISHED_KEPT = 512  # cached finished parts (two sparkline columns per board row)
_SELECTED = QStyle.StateFlag.State_Selected.value


@dataclass(frozen=True, slots=True)
class Sparkline:
    """What one sparkline cell draws: its points, oldest first, and the level it is read against
    (the reference price for the price line, 0 for the delta line)."""

    points: Sequence[Decimal | float]
    baseline: Decimal | float | None
    is_reference: bool = True  # the baseline is the reference price (else a zero line)
    key: Hashable | None = None  # the cell it is drawn in, when the delegate may cache its finished part
    revision: int = 0  # changes whenever a point other than the last one changed (see FloatSeries)

    def baseline_colour(self) -> QColor:
        return fmt.REFERENCE_COLOR if self.is_reference else fmt.NEUTRAL_COLOR

    def colour(self) -> QColor:
        """Green above the baseline, red below, the reference yellow on it (board colours)."""
        if not len(self.points) or self.baseline is None:
            return fmt.NEUTRAL_COLOR
        last = self.points[-1]
        if last > self.baseline:  # type: ignore[operator]
            return fmt.UP_COLOR
        if last < self.baseline:  # type: ignore[operator]
            return fmt.DOWN_COLOR
        return fmt.REFERENCE_COLOR


class FloatSeries:
    """The float copy of one growing per-minute series, kept up to date point by point.

    A series' finished minutes never change: when the points before the last one seen are the
    same as before, only that last one (it may have moved) and the new ones are converted.
    Anything else (a new day, the oldest minute dropped) converts the whole series again."""

    __slots__ = ("_buffer", "_source", "revision")

    def __init__(self) -> None:
        self._buffer = np.empty(64, dtype=np.float64)
        self._source: tuple[Decimal | float, ...] = ()
        self.revision = 0  # bumped whenever more than the last point changed

    def update(self, points: Sequence[Decimal | float]) -> np.ndarray:
        """The points as a read-only float array (a copy: later updates never change it)."""
        points = tuple(points)  # a tuple is not copied
        seen = self._source
        n = len(points)
        start = len(seen) - 1 if seen and n >= len(seen) and points[:len(seen) - 1] == seen[:-1] else 0
        if n != len(seen) or start != len(seen) - 1:
            self.revision += 1
        if n > len(self._buffer):
            grown = np.empty(max(n, 2 * len(self._buffer)), dtype=np.float64)
            grown[:start] = self._buffer[:start]
            self._buffer = grown
        buffer = self._buffer
        for i in range(start, n):
            buffer[i] = float(points[i])
        self._source = points
        out = buffer[:n].copy()
        out.flags.writeable = False
        return out


def _drawn(values: np.ndarray, columns: int) -> np.ndarray:
    """The indices worth drawing: all of them, or when there are more points than pixel columns,
    per column its lowest and highest point (plus the first and the last), in order; the line
    looks the same and the stroke, whose cost grows with its points, stays bounded."""
    n = len(values)
    if n <= 2 * columns:
        return np.arange(n)
    column = (np.arange(n) * columns) // n
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    by_value = np.lexsort((values, column))  # per column (contiguous, in order), lowest first
    ends = np.r_[starts[1:], n] - 1
    return np.unique(np.concatenate(([0, n - 1], by_value[starts], by_value[ends])))


def _moving_from(drawn: np.ndarray, n: int, columns: int) -> int:
    """The position in ``drawn`` where the part the last point can move starts: the last point
    alone, or when thinned, the points of the last pixel column (its lowest and highest may be
    the last point). Everything before it stays put while only the last point moves."""
    if len(drawn) == n:
        return n - 1
    last_column = ((n - 1) * columns) // n
    return int(np.searchsorted((drawn * columns) // n, last_column))


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where a line's points go in a rectangle: x of point i, the value scale, the baseline's y."""

    left: float
    step: float
    bottom: float
    low: float
    scale: float  # pixels per unit of value
    base_y: float | None

    @staticmethod
    def of(values: np.ndarray, base: float | None, left: float, top: float, width: float,
           height: float) -> _Layout:
        low, high = float(values.min()), float(values.max())
        if base is not None:
            low, high = min(low, base), max(high, base)
        span = high - low or 1.0
        n = len(values)
        bottom = top + height
        return _Layout(left, width / (n - 1) if n > 1 else 0.0, bottom, low, height / span,
                       None if base is None else bottom - (base - low) / span * height)

    def polygon(self, values: np.ndarray, drawn: np.ndarray) -> QPolygonF:
        """The points at the indices ``drawn``."""
        return arrayToQPolygonF(self.left + drawn * self.step, self.bottom - (values[drawn] - self.low) * self.scale)


def polyline(line: Sparkline, left: float, top: float, width: float, height: float) -> tuple[QPolygonF, float | None]:
    """The line's polygon inside the rectangle and the baseline's y (None when it has none)."""
    values = np.asarray(line.points, dtype=np.float64)
    layout = _Layout.of(values, None if line.baseline is None else float(line.baseline), left, top, width, height)
    return layout.polygon(values, _drawn(values, max(1, int(width)))), layout.base_y


@dataclass(frozen=True, slots=True)
class _Finished:
    """A cell's line without the part its last point moves, painted once: valid while the other
    points (the series' revision), the cell's size, the scale and the colours stay the same."""

    key: tuple
    image: QPixmap


class SparklineDelegate(QStyledItemDelegate):
    """Paints a ``Sparkline`` (from ``SPARK_ROLE``) in its cell; a cell without one stays blank.

    A line with a ``key`` (the board's cells) keeps the part that no longer moves (every point
    but the current minute's) as a pixmap: a repaint draws the pixmap and the last segment.
    The stroke of a 1.2 px antialiased line costs about a microsecond per point, and the whole
    board repaints at every refresh during the busiest minutes."""

    painted = 0  # cells painted with a line (tests read it)

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._finished: dict[Hashable, _Finished] = {}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        rect = option.rect
        if option.state.value & _SELECTED:
            painter.fillRect(rect, option.palette.highlight())
        line = index.data(SPARK_ROLE)
        if not isinstance(line, Sparkline) or not len(line.points):
            return
        values = np.asarray(line.points, dtype=np.float64)
        base = None if line.baseline is None else float(line.baseline)
        width, height = rect.width() - 2 * _MARGIN, rect.height() - 2 * _MARGIN
        layout = _Layout.of(values, base, _MARGIN, _MARGIN, width, height)  # in the cell's coordinates
        colour = line.colour()
        drawn = _drawn(values, max(1, int(width)))
        moving = _moving_from(drawn, len(values), max(1, int(width)))
        painter.save()
        painter.translate(rect.left(), rect.top())
        if line.key is None or moving < 2:
            self._draw(painter, line, layout, values, drawn, colour, width)
        else:
            ratio = painter.device().devicePixelRatioF()
            key = (line.revision, rect.width(), rect.height(), ratio, len(values), layout.low, layout.scale,
                   colour.rgba(), line.is_reference)
            finished = self._finished.get(line.key)
            if finished is None or finished.key != key:
                if len(self._finished) >= _FINISHED_KEPT:
                    self._finished.clear()
                image = QPixmap(round(rect.width() * ratio), round(rect.height() * ratio))
                image.setDevicePixelRatio(ratio)
                image.fill(Qt.GlobalColor.transparent)
                canvas = QPainter(image)
                self._draw(canvas, line, layout, values, drawn[:moving], colour, width)
                canvas.end()
                finished = self._finished[line.key] = _Finished(key, image)
            painter.drawPixmap(0, 0, finished.image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(colour, _WIDTH))
            painter.drawPolyline(layout.polygon(values, drawn[moving - 1:]))
        painter.restore()
        type(self).painted += 1

    @staticmethod
    def _draw(painter: QPainter, line: Sparkline, layout: _Layout, values: np.ndarray, drawn: np.ndarray,
              colour: QColor, width: float) -> None:
        """The baseline, dotted, then the line through the points at ``drawn``."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if layout.base_y is not None:
            painter.setPen(QPen(line.baseline_colour(), 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(_MARGIN, layout.base_y), QPointF(_MARGIN + width - 1, layout.base_y))
        painter.setPen(QPen(colour, _WIDTH))
        poly = layout.polygon(values, drawn)
        if poly.size() == 1:
            painter.drawPoint(poly.at(0))
        else:
            painter.drawPolyline(poly)
