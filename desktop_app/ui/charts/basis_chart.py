"""Basis: front-month VN30 futures against the VN30 index, and the basis line around zero."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication

from desktop_app.domain import BasisPoint, StoredAlert
from desktop_app.ui import board_format
from desktop_app.ui.alert_text import localized_message
from desktop_app.ui.charts.axes import epoch_of_market_x, market_x
from desktop_app.ui.charts.panel import (
    ChartLine, ChartPanel, break_gaps, replace_markers, float_column, sample_at,
)


@dataclass(frozen=True, slots=True)
class BasisColumns:
    ts: np.ndarray
    futures: np.ndarray
    spot: np.ndarray
    basis: np.ndarray
    futures_symbol: str = ""

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def from_points(cls, rows: Sequence[BasisPoint]) -> "BasisColumns":
        return cls(
            ts=float_column(rows, lambda r: r.timestamp.timestamp()),
            futures=float_column(rows, lambda r: float(r.futures_price)),
            spot=float_column(rows, lambda r: float(r.spot_value)),
            basis=float_column(rows, lambda r: float(r.basis)),
            futures_symbol=rows[-1].futures_symbol if rows else "",
        )


class BasisChart(ChartPanel):
    def __init__(self, parent=None) -> None:
        super().__init__(QCoreApplication.translate("BasisChart", "Basis"), parent)
        self.level_plot, self.basis_plot = self.add_stacked_time_plots()
        self.level_plot.setLabel("left", self.tr("Points"))
        self.basis_plot.setLabel("left", self.tr("Basis (points)"))
        self.futures_line = self.level_plot.plot(name="Futures", pen=pg.mkPen("#f0a030", width=1.5))
        self.spot_line = self.level_plot.plot(name="VN30", pen=pg.mkPen("#50a0f0", width=1.5))
        self.zero_line = ChartLine(angle=0, pos=0, pen=pg.mkPen("#a0a0a0", width=1))
        self.basis_plot.addItem(self.zero_line)
        self.basis_line = self.basis_plot.plot(
            name="Basis", pen=pg.mkPen("#e8e8e8", width=1.5),
            fillLevel=0, brush=pg.mkBrush(80, 160, 240, 50),
        )
        for line in (self.futures_line, self.spot_line, self.basis_line):
            line.setData(connect="finite")
            line.setClipToView(True)
            line.setDownsampling(auto=True, method="peak")
        self.markers: pg.ScatterPlotItem | None = None
        self.columns = BasisColumns.from_points([])
        self.crosshair = self.track_crosshair(self.basis_plot, self._readout, linked=[self.level_plot])

    def set_columns(self, cols: BasisColumns) -> None:
        self.reset_crosshair()
        self.columns = cols
        ts, futures, spot, basis = break_gaps(market_x(cols.ts), cols.futures, cols.spot, cols.basis)
        self.futures_line.setData(ts, futures)
        self.spot_line.setData(ts, spot)
        self.basis_line.setData(ts, basis)
        self.reset_zoom()
        label = f" ({cols.futures_symbol})" if cols.futures_symbol else ""
        self.set_status(self.tr("{n} points").format(n=f"{len(cols):,}") + label if len(cols)
                        else self.tr("No basis stored for this day"))
        self.loaded.emit()

    def set_alerts(self, alerts: Sequence[StoredAlert]) -> None:
        cols = self.columns
        xs, ys, tips = [], [], []
        for alert in alerts if len(cols) else ():
            t = alert.created_at.timestamp()
            i = max(0, sample_at(cols.ts, t))
            xs.append(market_x(t))
            ys.append(float(cols.basis[i]))
            message = localized_message(alert.alert_type, alert.message or alert.alert_type)
            tips.append(f"{board_format.vietnam_time(alert.created_at)} {message}")
        self.markers = replace_markers(self.basis_plot, self.markers, xs, ys, tips)

    def _readout(self, x: float, y: float) -> str:
        cols = self.columns
        i = sample_at(cols.ts, epoch_of_market_x(x))
        if i < 0 or not len(cols):
            return ""
        when = datetime.fromtimestamp(cols.ts[i], timezone.utc)
        return QCoreApplication.translate(
            "ChartReadout", "{time}  futures {futures}  VN30 {spot}  basis {basis}").format(
            time=board_format.vietnam_time(when), futures=board_format.points(cols.futures[i]),
            spot=board_format.points(cols.spot[i]), basis=board_format.signed_points(cols.basis[i]))
