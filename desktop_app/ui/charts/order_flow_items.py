"""Reusable pyqtgraph items for order flow: a CVD curve, a VWAP line, a volume-at-price histogram
(buy/sell split, POC and value area marked) and big-print bubbles sized by value.

They take plain arrays (or the order-flow values of ``desktop_app.order_flow``) and know nothing
about where they are drawn: x is whatever the host chart uses (epoch seconds or a bar index),
y is price (or CVD). The arrays they were given stay readable (``xs``/``ys``, ``levels``,
``sizes``), and the profile exposes the rectangles it paints (``level_rects``), so tests check
geometry rather than pixels.

Hooking them into a chart::

    cvd = CvdCurve();        cvd_plot.addItem(cvd);     cvd.set_bars(starts, cvd_values, 60)
    vwap = VwapLine();       price_plot.addItem(vwap);  vwap.set_bars(starts, vwap_values, 60)
    profile = VolumeProfileItem(); price_plot.addItem(profile)
    profile.follow_right_edge(price_plot.getViewBox())   # re-anchors on every x-range change
    profile.set_profile(volume_profile)
    bubbles = BigPrintBubbles(); price_plot.addItem(bubbles); bubbles.set_prints(x, price, value, kind)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from desktop_app.domain import TradeType
from desktop_app.order_flow import DEFAULT_BIG_TRADE_MIN_VALUE, BigTrade, VolumeProfile
from desktop_app.ui import board_format

BUY_COLOR = board_format.UP_COLOR
SELL_COLOR = board_format.DOWN_COLOR
OTHER_COLOR = board_format.NEUTRAL_COLOR  # neutral + auction volume
PUT_THROUGH_COLOR = board_format.CEILING_COLOR
POC_COLOR = board_format.REFERENCE_COLOR
VWAP_COLOR = QColor("#f09030")
CVD_COLOR = QColor("#40a0f0")
VALUE_AREA_COLOR = QColor(240, 192, 32, 40)
PROFILE_WIDTH_SHARE = 0.22  # of the visible x range, when following the right edge
BUBBLE_MIN_PX = 8.0
BUBBLE_MAX_PX = 48.0


def _step_edges(starts: np.ndarray, bar_seconds: float) -> np.ndarray:
    """Bar edges for a step curve: each start, then the end of the last bar."""
    starts = np.asarray(starts, dtype=np.float64)
    if not len(starts):
        return starts
    return np.append(starts, starts[-1] + bar_seconds)


def _as_values(values: Sequence[float | None] | np.ndarray) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


class _StepCurve(pg.PlotCurveItem):
    """A value held over each bar (step mode), NaN where there is none."""

    redrawn_from = 0  # the first bar the last update replaced (0: all of them)

    def set_bars(self, starts: np.ndarray, values: Sequence[float | None] | np.ndarray, bar_seconds: float) -> None:
        ys = _as_values(values)
        self.redrawn_from = 0
        if not len(ys):
            self.clear()
            return
        self.setData(x=_step_edges(starts, bar_seconds), y=ys, stepMode="center", connect="finite")

    def update_bars(self, starts: np.ndarray, values: Sequence[float | None] | np.ndarray, bar_seconds: float,
                    first: int) -> None:
        """Live growth: ``starts``/``values`` are the bars from index ``first`` on (the last bar
        drawn, still filling, and the new ones); the bars before ``first`` stay as drawn."""
        old_x, old_y = self.xs, self.ys
        if first <= 0 or first > len(old_y):
            self.set_bars(starts, values, bar_seconds)
            return
        ys = np.concatenate([old_y[:first], _as_values(values)])
        xs = np.concatenate([old_x[:first], _step_edges(starts, bar_seconds)]) if len(starts) else old_x[:first + 1]
        self.setData(x=xs, y=ys, stepMode="center", connect="finite")
        self.redrawn_from = first

    @property
    def xs(self) -> np.ndarray:
        return np.asarray(self.xData if self.xData is not None else np.zeros(0))

    @property
    def ys(self) -> np.ndarray:
        return np.asarray(self.yData if self.yData is not None else np.zeros(0))


class CvdCurve(_StepCurve):
    """Cumulative volume delta per bar (for its own pane under the price)."""

    def __init__(self) -> None:
        super().__init__(pen=pg.mkPen(CVD_COLOR, width=1.5))


class VwapLine(_StepCurve):
    """The session VWAP at the end of each bar, drawn over the price."""

    def __init__(self) -> None:
        super().__init__(pen=pg.mkPen(VWAP_COLOR, width=1.5, style=Qt.PenStyle.DashLine))


@dataclass(frozen=True, slots=True)
class LevelRects:
    """What the profile paints for one price level (data coordinates; empty rects for no volume)."""

    price: float
    buy: QRectF
    sell: QRectF
    other: QRectF


class VolumeProfileItem(pg.GraphicsObject):
    """Volume at price as horizontal bars growing left from an anchor (the plot's right edge):
    active buy nearest the edge, then active sell, then neutral + auction; the value area as a
    band behind them and the POC as a line across."""

    def __init__(self) -> None:
        super().__init__()
        self.prices = np.zeros(0)
        self.buy = np.zeros(0)
        self.sell = np.zeros(0)
        self.other = np.zeros(0)
        self.poc: float | None = None
        self.value_area: tuple[float, float] | None = None
        self.right = 0.0
        self.width = 1.0
        self._view: pg.ViewBox | None = None
        self.setZValue(-5)  # behind the candles, above the grid

    # ------------------------------------------------------------------ data
    def set_profile(self, profile: VolumeProfile) -> None:
        levels = profile.levels
        self.set_levels(
            np.array([float(lv.price) for lv in levels]), np.array([lv.buy_volume for lv in levels], dtype=float),
            np.array([lv.sell_volume for lv in levels], dtype=float),
            np.array([lv.neutral_volume + lv.auction_volume for lv in levels], dtype=float),
            None if profile.poc is None else float(profile.poc),
            None if profile.value_area_low is None or profile.value_area_high is None
            else (float(profile.value_area_low), float(profile.value_area_high)),
        )

    def set_levels(self, prices: np.ndarray, buy: np.ndarray, sell: np.ndarray, other: np.ndarray,
                   poc: float | None, value_area: tuple[float, float] | None) -> None:
        self.prepareGeometryChange()
        self.prices, self.buy, self.sell, self.other = (np.asarray(a, dtype=np.float64) for a in (prices, buy, sell, other))
        self.poc, self.value_area = poc, value_area
        self.update()

    def set_anchor(self, right: float, width: float) -> None:
        """Bars end at ``right`` and the longest spans ``width`` (x data units)."""
        self.prepareGeometryChange()
        self.right, self.width = float(right), max(float(width), 1e-9)
        self.update()

    def follow_right_edge(self, view: pg.ViewBox, share: float = PROFILE_WIDTH_SHARE) -> None:
        """Keep the histogram on ``view``'s right edge, ``share`` of its width wide."""
        self._view = view

        def anchor(*_: object) -> None:
            (x0, x1), _y = view.viewRange()
            self.set_anchor(x1, (x1 - x0) * share)

        view.sigXRangeChanged.connect(anchor)
        anchor()

    # ------------------------------------------------------------------ geometry
    def row_height(self) -> float:
        if len(self.prices) < 2:
            return 1.0
        return float(np.min(np.diff(self.prices))) * 0.9

    def level_rects(self) -> list[LevelRects]:
        total = self.buy + self.sell + self.other
        biggest = float(total.max()) if len(total) else 0.0
        if biggest <= 0:
            return []
        scale = self.width / biggest
        h = self.row_height()
        out = []
        for price, b, s, o in zip(self.prices, self.buy, self.sell, self.other):
            y = price - h / 2
            x = self.right
            rects = []
            for volume in (b, s, o):
                w = volume * scale
                x -= w
                rects.append(QRectF(x, y, w, h))
            out.append(LevelRects(float(price), *rects))
        return out

    def boundingRect(self) -> QRectF:  # noqa: N802
        if not len(self.prices):
            return QRectF()
        h = self.row_height()
        lo, hi = float(self.prices[0]) - h, float(self.prices[-1]) + h
        return QRectF(self.right - self.width, lo, self.width, hi - lo)

    def paint(self, painter: QPainter, *args: object) -> None:
        rects = self.level_rects()
        if not rects:
            return
        h = self.row_height()
        painter.setPen(Qt.PenStyle.NoPen)
        if self.value_area is not None:
            low, high = self.value_area
            painter.setBrush(QBrush(VALUE_AREA_COLOR))
            painter.drawRect(QRectF(self.right - self.width, low - h / 2, self.width, high - low + h))
        for colour, pick in ((BUY_COLOR, 0), (SELL_COLOR, 1), (OTHER_COLOR, 2)):
            painter.setBrush(QBrush(colour))
            for level in rects:
                rect = (level.buy, level.sell, level.other)[pick]
                if rect.width() > 0:
                    painter.drawRect(rect)
        if self.poc is not None:
            pen = QPen(POC_COLOR)
            pen.setCosmetic(True)
            pen.setWidthF(1.5)
            painter.setPen(pen)
            painter.drawLine(QPointF(self.right - self.width, self.poc), QPointF(self.right, self.poc))


_KIND_COLOR = {
    TradeType.BUY: BUY_COLOR, TradeType.SELL: SELL_COLOR, TradeType.PUT_THROUGH: PUT_THROUGH_COLOR,
}


def _bubble_brush(kind: TradeType) -> QBrush:
    colour = QColor(_KIND_COLOR.get(kind, OTHER_COLOR))
    colour.setAlpha(150)  # overlapping prints stay readable
    return pg.mkBrush(colour)


class BigPrintBubbles(pg.ScatterPlotItem):
    """Big prints as circles at (time, price), area growing with value: ``min_value`` draws the
    smallest bubble, and a print four times bigger is twice as wide (capped)."""

    def __init__(self, min_value: float = float(DEFAULT_BIG_TRADE_MIN_VALUE)) -> None:
        super().__init__(pxMode=True, pen=pg.mkPen(255, 255, 255, 120))
        self.min_value = float(min_value)

    def set_prints(self, x: np.ndarray, price: np.ndarray, value: np.ndarray,
                   kinds: Sequence[TradeType]) -> None:
        value = np.asarray(value, dtype=np.float64)
        sizes = np.clip(BUBBLE_MIN_PX * np.sqrt(np.maximum(value, 0) / self.min_value), BUBBLE_MIN_PX, BUBBLE_MAX_PX)
        brushes = [_bubble_brush(k) for k in kinds]
        self.setData(x=np.asarray(x, dtype=np.float64), y=np.asarray(price, dtype=np.float64), size=sizes,
                     brush=brushes)

    def set_trades(self, trades: Sequence[BigTrade]) -> None:
        """Big prints at x = epoch seconds."""
        self.set_prints(np.array([t.time.timestamp() for t in trades]), np.array([float(t.price) for t in trades]),
                        np.array([float(t.value) for t in trades]), [t.trade_type for t in trades])

    @property
    def sizes(self) -> np.ndarray:
        return np.asarray(self.data["size"], dtype=np.float64)
