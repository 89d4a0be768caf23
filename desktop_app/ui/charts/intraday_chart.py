"""Intraday price and per-minute volume by trade type, for one Vietnam trading day.

The price line is every matched print of the day (pyqtgraph clips to the view and downsamples, so
50k prints stay cheap), broken over gaps such as the lunch break; volume is stacked per minute by
classification (active buy, active sell, neutral, auction). Put-through deals are negotiated
off the order book at any price inside the band, so, as on a Vietnamese board, they are left out
of the price line and the volume bars and only counted in the status line. For today the chart keeps growing from the pipeline's live
``ClassifiedTrade`` values, appended in coalesced batches by the owner (``append_trades``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop_app.domain import ClassifiedTrade, StoredAlert, TradeType
from desktop_app.ui import board_format
from desktop_app.ui.charts.axes import VietnamTimeAxis
from desktop_app.ui.charts.items import StackedBarItem
from desktop_app.ui.charts.panel import ChartPanel, Crosshair, alert_markers, break_gaps, sample_at

# stack order and colours of the volume bars; index = type code
TYPE_CODES: dict[TradeType, int] = {
    TradeType.BUY: 0,
    TradeType.SELL: 1,
    TradeType.NEUTRAL: 2,
    TradeType.ATO: 3,
    TradeType.ATC: 3,
    TradeType.PUT_THROUGH: 4,
}
PUT_THROUGH_CODE = 4
TYPE_LABELS = ("Active buy", "Active sell", "Neutral", "Auction (ATO/ATC)")  # stacks drawn
TYPE_COLORS = (
    board_format.UP_COLOR,
    board_format.DOWN_COLOR,
    board_format.NEUTRAL_COLOR,
    board_format.AUCTION_COLOR,
)
MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class TradeColumns:
    """One symbol-day of prints as columns: epoch seconds, price (VND), volume, type code."""

    ts: np.ndarray
    price: np.ndarray
    volume: np.ndarray
    type_code: np.ndarray

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def empty(cls) -> "TradeColumns":
        return cls(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int8))

    @classmethod
    def from_trades(cls, trades: Sequence[ClassifiedTrade]) -> "TradeColumns":
        n = len(trades)
        return cls(
            ts=np.fromiter((t.timestamp.timestamp() for t in trades), dtype=np.float64, count=n),
            price=np.fromiter((float(t.price) for t in trades), dtype=np.float64, count=n),
            volume=np.fromiter((t.volume for t in trades), dtype=np.float64, count=n),
            type_code=np.fromiter((TYPE_CODES[t.trade_type] for t in trades), dtype=np.int8, count=n),
        )

    def matched(self) -> "TradeColumns":
        """Without put-through deals."""
        keep = self.type_code != PUT_THROUGH_CODE
        if keep.all():
            return self
        return TradeColumns(self.ts[keep], self.price[keep], self.volume[keep], self.type_code[keep])

    def concat(self, other: "TradeColumns") -> "TradeColumns":
        merged = TradeColumns(
            np.concatenate([self.ts, other.ts]),
            np.concatenate([self.price, other.price]),
            np.concatenate([self.volume, other.volume]),
            np.concatenate([self.type_code, other.type_code]),
        )
        if len(self) and len(other) and other.ts[0] < self.ts[-1]:
            order = np.argsort(merged.ts, kind="stable")
            merged = TradeColumns(merged.ts[order], merged.price[order], merged.volume[order],
                                  merged.type_code[order])
        return merged


@dataclass(frozen=True, slots=True)
class MinuteVolumes:
    """Volume per minute (epoch seconds of the minute start) split by type code."""

    minute: np.ndarray
    by_type: np.ndarray  # shape (len(TYPE_LABELS), len(minute))

    @classmethod
    def from_columns(cls, cols: TradeColumns) -> "MinuteVolumes":
        """Order-book prints only (put-through excluded)."""
        cols = cols.matched()
        if not len(cols):
            return cls(np.zeros(0), np.zeros((len(TYPE_LABELS), 0)))
        minutes = np.floor(cols.ts / MINUTE) * MINUTE
        uniq, inverse = np.unique(minutes, return_inverse=True)
        by_type = np.zeros((len(TYPE_LABELS), len(uniq)))
        np.add.at(by_type, (cols.type_code.astype(np.int64), inverse), cols.volume)
        return cls(uniq, by_type)


class IntradayChart(ChartPanel):
    def __init__(self, parent=None) -> None:
        super().__init__("Intraday", parent)
        self.price_plot: pg.PlotItem = self.layout_widget.addPlot(
            row=0, col=0, axisItems={"bottom": VietnamTimeAxis()}
        )
        self.volume_plot: pg.PlotItem = self.layout_widget.addPlot(
            row=1, col=0, axisItems={"bottom": VietnamTimeAxis()}
        )
        self.layout_widget.ci.layout.setRowStretchFactor(0, 3)
        self.layout_widget.ci.layout.setRowStretchFactor(1, 1)
        self.volume_plot.setXLink(self.price_plot)
        self.price_plot.getAxis("bottom").setStyle(showValues=False)
        self.price_plot.setLabel("left", "Price (thousand VND)")
        self.volume_plot.setLabel("left", "Volume / min", units="sh")
        for plot in (self.price_plot, self.volume_plot):
            plot.setMouseEnabled(x=True, y=False)
            plot.vb.setAutoVisible(y=True)
        self.price_line = pg.PlotDataItem(pen=pg.mkPen("#e8e8e8", width=1), connect="finite")
        self.price_line.setClipToView(True)
        self.price_line.setDownsampling(auto=True, method="peak")
        self.price_plot.addItem(self.price_line)
        self.ref_line = pg.InfiniteLine(angle=0, movable=False,
                                        pen=pg.mkPen(board_format.REFERENCE_COLOR, width=1))
        self.ref_line.setVisible(False)
        self.price_plot.addItem(self.ref_line, ignoreBounds=True)
        self.volume_bars = StackedBarItem(list(TYPE_COLORS), MINUTE * 0.8)
        self.volume_plot.addItem(self.volume_bars)
        legend = QLabel(" ".join(
            f"<span style='color:{c.name()}'>■</span> {label}" for label, c in zip(TYPE_LABELS, TYPE_COLORS)
        ))
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setStyleSheet("color: #a0a4a8;")
        self.controls.addWidget(legend)
        self.markers: pg.ScatterPlotItem | None = None
        self.columns = TradeColumns.empty()
        self.minutes = MinuteVolumes.from_columns(self.columns)
        self.crosshair = Crosshair(self.price_plot, self._readout, linked=[self.volume_plot])

    # ------------------------------------------------------------------ data
    def set_columns(self, cols: TradeColumns, ref_price: float | None = None) -> None:
        self.columns = cols
        self._redraw()
        if ref_price is not None:
            self.ref_line.setPos(ref_price / 1000.0)
            self.ref_line.setVisible(True)
        else:
            self.ref_line.setVisible(False)
        self.reset_zoom()
        self.set_status(self._describe() if len(cols) else "No trades stored for this day")
        self.loaded.emit()

    def append(self, cols: TradeColumns) -> None:
        """Live prints for the day on screen (already filtered to this symbol)."""
        if not len(cols):
            return
        self.columns = self.columns.concat(cols)
        self._redraw()
        self.set_status(self._describe() + " (live)")

    def _redraw(self) -> None:
        matched = self.columns.matched()
        self.price_line.setData(*break_gaps(matched.ts, matched.price / 1000.0))
        self.minutes = MinuteVolumes.from_columns(matched)
        self.volume_bars.set_data(self.minutes.minute + MINUTE / 2, list(self.minutes.by_type))

    def _describe(self) -> str:
        pt = self.columns.type_code == PUT_THROUGH_CODE
        text = f"{int((~pt).sum()):,} prints"
        if pt.any():
            text += f", put-through {board_format.volume(self.columns.volume[pt].sum())} sh (not drawn)"
        return text

    def set_alerts(self, alerts: Sequence[StoredAlert]) -> None:
        if self.markers is not None:
            self.price_plot.removeItem(self.markers)
            self.markers = None
        cols = self.columns.matched()
        if not alerts or not len(cols):
            return
        xs, ys, tips = [], [], []
        for alert in alerts:
            t = alert.created_at.timestamp()
            i = max(0, sample_at(cols.ts, t))
            xs.append(t)
            ys.append(float(cols.price[i]) / 1000.0)
            tips.append(f"{board_format.vietnam_time(alert.created_at)} {alert.message or alert.alert_type}")
        self.markers = alert_markers(xs, ys, tips)
        self.price_plot.addItem(self.markers)

    def show_time(self, epoch_s: float, span_s: float = 1800.0) -> None:
        self.price_plot.setXRange(epoch_s - span_s / 2, epoch_s + span_s / 2, padding=0)

    def _readout(self, x: float, y: float) -> None:
        cols = self.columns.matched()
        if not len(cols):
            return
        i = sample_at(cols.ts, x)
        if i < 0:
            self.readout_label.setText("")
            return
        m = int(np.searchsorted(self.minutes.minute, np.floor(x / MINUTE) * MINUTE))
        vols = ""
        if m < len(self.minutes.minute) and self.minutes.minute[m] == np.floor(x / MINUTE) * MINUTE:
            b = self.minutes.by_type[:, m]
            vols = f"  min vol buy {board_format.volume(b[0])} sell {board_format.volume(b[1])}"
        from datetime import datetime, timezone

        when = datetime.fromtimestamp(cols.ts[i], timezone.utc)
        self.readout_label.setText(
            f"{board_format.vietnam_time(when)}  last {board_format.price_thousands(cols.price[i])}{vols}"
        )
