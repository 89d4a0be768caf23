"""Custom pyqtgraph items that stay fast over thousands of bars.

Both items draw only the bars inside the visible x range and switch to a coarser level of detail
when a bar would be narrower than a few pixels: neighbouring bars are merged into buckets (high =
max, low = min, open = first, close = last; stacked volumes summed), so ten years of daily bars
zoomed out cost about one bucket per few pixels instead of one QRect per day. The source arrays
stay untouched and are what tests read back (``CandlestickItem.data``, ``StackedBarItem.stacks``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from desktop_app.ui import board_format

MIN_BAR_PX = 3.0  # below this width bars are merged into buckets


@dataclass(frozen=True, slots=True)
class OhlcArrays:
    x: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @classmethod
    def empty(cls) -> "OhlcArrays":
        z = np.zeros(0, dtype=np.float64)
        return cls(z, z, z, z, z)


def _visible_slice(x: np.ndarray, x0: float, x1: float, pad: float) -> slice:
    lo = int(np.searchsorted(x, x0 - pad, side="left"))
    hi = int(np.searchsorted(x, x1 + pad, side="right"))
    return slice(lo, hi)


def _bucket_starts(n: int, per_bucket: int) -> np.ndarray:
    return np.arange(0, n, per_bucket, dtype=np.int64)


class _RangeAwareItem(pg.GraphicsObject):
    """Shared plumbing: the visible x range and data-units-per-pixel from the view."""

    def _view_x_range(self) -> tuple[float, float] | None:
        vb = self.getViewBox()
        if vb is None:
            return None
        (x0, x1), _ = vb.viewRange()
        return x0, x1

    def _units_per_px(self) -> float:
        vb = self.getViewBox()
        if vb is None:
            return 0.0
        (x0, x1), _ = vb.viewRange()
        width = max(1.0, vb.width())
        return (x1 - x0) / width


class CandlestickItem(_RangeAwareItem):
    """Daily candles: x is the bar index (trading days without gaps) or any increasing value."""

    def __init__(self, bar_width: float = 0.7, live: bool = False) -> None:
        super().__init__()
        self.live = live  # a still-running bar: light outline over a translucent body
        self.data = OhlcArrays.empty()
        self._bar_width = bar_width
        self._bounds = QRectF()
        self.last_paint_buckets = 0  # how many candles the last paint drew (LOD is visible in tests)

    def set_data(self, data: OhlcArrays) -> None:
        self.prepareGeometryChange()
        self.data = data
        if len(data):
            lo = float(np.nanmin(data.low))
            hi = float(np.nanmax(data.high))
            self._bounds = QRectF(
                float(data.x[0]) - 1.0, lo, float(data.x[-1] - data.x[0]) + 2.0, max(hi - lo, 1e-9)
            )
        else:
            self._bounds = QRectF()
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802 (auto-range on visible y)
        d = self.data
        if not len(d):
            return None
        if ax == 0:
            return float(d.x[0]) - 1.0, float(d.x[-1]) + 1.0
        if orthoRange is not None:
            sl = _visible_slice(d.x, orthoRange[0], orthoRange[1], 0.0)
            if sl.stop > sl.start:
                return float(np.nanmin(d.low[sl])), float(np.nanmax(d.high[sl]))
        return float(np.nanmin(d.low)), float(np.nanmax(d.high))

    def paint(self, p: QPainter, *args) -> None:
        d = self.data
        rng = self._view_x_range()
        if not len(d) or rng is None:
            return
        sl = _visible_slice(d.x, rng[0], rng[1], 2.0)
        x, o, h, l, c = d.x[sl], d.open[sl], d.high[sl], d.low[sl], d.close[sl]
        n = len(x)
        if n == 0:
            return
        units_per_px = self._units_per_px()
        spacing = float(np.median(np.diff(x))) if n > 1 else 1.0
        bar_px = spacing / units_per_px if units_per_px > 0 else MIN_BAR_PX
        width = self._bar_width * spacing
        if bar_px < MIN_BAR_PX:
            per = int(math.ceil(MIN_BAR_PX / max(bar_px, 1e-9)))
            starts = _bucket_starts(n, per)
            ends = np.minimum(starts + per - 1, n - 1)
            x = (x[starts] + x[ends]) / 2.0
            o = o[starts]
            c = c[ends]
            h = np.maximum.reduceat(h, starts)
            l = np.minimum.reduceat(l, starts)
            width = self._bar_width * spacing * per
        self.last_paint_buckets = len(x)
        up = c >= o
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for mask, color in ((up, board_format.UP_COLOR), (~up, board_format.DOWN_COLOR)):
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            pen = QPen(color.lighter(170) if self.live else color)
            pen.setCosmetic(True)
            p.setPen(pen)
            if self.live:
                fill = QColor(color)
                fill.setAlpha(70)
                p.setBrush(QBrush(fill))
            else:
                p.setBrush(QBrush(color))
            p.drawLines([QLineF(QPointF(x[i], l[i]), QPointF(x[i], h[i])) for i in idx])
            half = width / 2.0
            p.drawRects(
                [QRectF(x[i] - half, min(o[i], c[i]), width, abs(c[i] - o[i]) or 1e-9) for i in idx]
            )


class StackedBarItem(_RangeAwareItem):
    """Stacked vertical bars (volume by trade type, or up/down volume); zero-height parts skipped."""

    def __init__(self, colors: list[QColor], bar_width: float) -> None:
        super().__init__()
        self.colors = list(colors)
        self.x = np.zeros(0, dtype=np.float64)
        self.stacks: list[np.ndarray] = [np.zeros(0) for _ in colors]
        self._bar_width = bar_width
        self._bounds = QRectF()

    def set_data(self, x: np.ndarray, stacks: list[np.ndarray], bar_width: float | None = None) -> None:
        if len(stacks) != len(self.colors):
            raise ValueError(f"expected {len(self.colors)} stacks, got {len(stacks)}")
        self.prepareGeometryChange()
        self.x = np.asarray(x, dtype=np.float64)
        self.stacks = [np.asarray(s, dtype=np.float64) for s in stacks]
        if bar_width is not None:
            self._bar_width = bar_width
        total = self.total()
        if len(self.x):
            top = float(total.max()) if len(total) else 0.0
            self._bounds = QRectF(
                float(self.x[0]) - self._bar_width,
                0.0,
                float(self.x[-1] - self.x[0]) + 2 * self._bar_width,
                max(top, 1e-9),
            )
        else:
            self._bounds = QRectF()
        self.update()

    def total(self) -> np.ndarray:
        if not self.stacks:
            return np.zeros(0)
        return np.sum(np.vstack(self.stacks), axis=0) if len(self.x) else np.zeros(0)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802
        if not len(self.x):
            return None
        if ax == 0:
            return float(self.x[0]) - self._bar_width, float(self.x[-1]) + self._bar_width
        total = self.total()
        if orthoRange is not None:
            sl = _visible_slice(self.x, orthoRange[0], orthoRange[1], 0.0)
            if sl.stop > sl.start:
                return 0.0, float(total[sl].max())
        return 0.0, float(total.max())

    def paint(self, p: QPainter, *args) -> None:
        rng = self._view_x_range()
        if not len(self.x) or rng is None:
            return
        sl = _visible_slice(self.x, rng[0], rng[1], self._bar_width)
        x = self.x[sl]
        parts = [s[sl] for s in self.stacks]
        n = len(x)
        if n == 0:
            return
        width = self._bar_width
        units_per_px = self._units_per_px()
        bar_px = width / units_per_px if units_per_px > 0 else MIN_BAR_PX
        if bar_px < MIN_BAR_PX:
            per = int(math.ceil(MIN_BAR_PX / max(bar_px, 1e-9)))
            starts = _bucket_starts(n, per)
            x = x[starts]
            parts = [np.add.reduceat(s, starts) / per for s in parts]  # mean keeps the scale
            width = width * per
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(pg.mkPen(None))
        base = np.zeros(len(x))
        for heights, color in zip(parts, self.colors):
            idx = np.flatnonzero(heights > 0)
            if len(idx):
                p.setBrush(QBrush(color))
                p.drawRects([QRectF(x[i] - width / 2.0, base[i], width, heights[i]) for i in idx])
            base = base + heights
