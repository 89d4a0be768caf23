"""Per-row sparklines on the board: the day's price (reference marked) and the value delta (CVD).

The model hands a ``Sparkline`` through ``SPARK_ROLE``: the stats' per-minute points, kept by
reference (no copy, no conversion on the feed's path). The delegate converts and scales them
only when a visible cell paints, so a board of 30 rows costs a few hundred float conversions per
repaint of the changed rows, nothing per print.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_app.ui import board_format as fmt

SPARK_ROLE = Qt.ItemDataRole.UserRole + 2
_MARGIN = 2.0


@dataclass(frozen=True, slots=True)
class Sparkline:
    """What one sparkline cell draws: its points, oldest first, and the level it is read against
    (the reference price for the price line, 0 for the delta line)."""

    points: Sequence[Decimal | float]
    baseline: Decimal | float | None
    is_reference: bool = True  # the baseline is the reference price (else a zero line)

    def baseline_colour(self) -> QColor:
        return fmt.REFERENCE_COLOR if self.is_reference else fmt.NEUTRAL_COLOR

    def colour(self) -> QColor:
        """Green above the baseline, red below, the reference yellow on it (board colours)."""
        if not self.points or self.baseline is None:
            return fmt.NEUTRAL_COLOR
        last = self.points[-1]
        if last > self.baseline:  # type: ignore[operator]
            return fmt.UP_COLOR
        if last < self.baseline:  # type: ignore[operator]
            return fmt.DOWN_COLOR
        return fmt.REFERENCE_COLOR


def polyline(line: Sparkline, left: float, top: float, width: float, height: float) -> tuple[QPolygonF, float | None]:
    """The line's polygon inside the rectangle and the baseline's y (None when it has none)."""
    values = [float(v) for v in line.points]
    base = None if line.baseline is None else float(line.baseline)
    low = min(values) if base is None else min(min(values), base)
    high = max(values) if base is None else max(max(values), base)
    span = high - low or 1.0
    step = width / (len(values) - 1) if len(values) > 1 else 0.0
    bottom = top + height
    poly = QPolygonF([QPointF(left + i * step, bottom - (v - low) / span * height) for i, v in enumerate(values)])
    return poly, None if base is None else bottom - (base - low) / span * height


class SparklineDelegate(QStyledItemDelegate):
    """Paints a ``Sparkline`` (from ``SPARK_ROLE``) in its cell; a cell without one stays blank."""

    painted = 0  # cells painted with a line (tests read it)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        line = index.data(SPARK_ROLE)
        if not isinstance(line, Sparkline) or not line.points:
            return
        rect = option.rect
        poly, base_y = polyline(line, rect.left() + _MARGIN, rect.top() + _MARGIN,
                                rect.width() - 2 * _MARGIN, rect.height() - 2 * _MARGIN)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if base_y is not None:
            pen = QPen(line.baseline_colour(), 1, Qt.PenStyle.DotLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(rect.left() + _MARGIN, base_y), QPointF(rect.right() - _MARGIN, base_y))
        painter.setPen(QPen(line.colour(), 1.2))
        if poly.size() == 1:
            painter.drawPoint(poly.at(0))
        else:
            painter.drawPolyline(poly)
        painter.restore()
        type(self).painted += 1
