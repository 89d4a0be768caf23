"""Foreign flow: cumulative foreign buy / sell / net volume and buy / sell speed per minute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication

from desktop_app.domain import ForeignInvestorData
from desktop_app.ui import board_format
from desktop_app.ui.charts.axes import epoch_of_market_x, market_x
from desktop_app.ui.charts.panel import ChartLine, ChartPanel, break_gaps, float_column, sample_at


@dataclass(frozen=True, slots=True)
class ForeignColumns:
    ts: np.ndarray
    buy: np.ndarray
    sell: np.ndarray
    buy_speed: np.ndarray
    sell_speed: np.ndarray

    @property
    def net(self) -> np.ndarray:
        return self.buy - self.sell

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def from_snapshots(cls, rows: Sequence[ForeignInvestorData]) -> "ForeignColumns":
        return cls(
            ts=float_column(rows, lambda r: r.timestamp.timestamp()),
            buy=float_column(rows, lambda r: r.buy_volume),
            sell=float_column(rows, lambda r: r.sell_volume),
            buy_speed=float_column(rows, lambda r: float(r.buy_speed_per_min)),
            sell_speed=float_column(rows, lambda r: float(r.sell_speed_per_min)),
        )


class ForeignChart(ChartPanel):
    def __init__(self, parent=None) -> None:
        super().__init__(QCoreApplication.translate("ForeignChart", "Foreign flow"), parent)
        self.flow_plot, self.speed_plot = self.add_stacked_time_plots()
        self.flow_plot.setLabel("left", self.tr("Cumulative"), units="sh")
        self.speed_plot.setLabel("left", self.tr("Speed"), units="sh/min")
        self.flow_plot.addItem(ChartLine(angle=0, pos=0, pen=pg.mkPen("#606060")), ignoreBounds=True)
        self.buy_line = self.flow_plot.plot(name="Foreign buy", pen=pg.mkPen(board_format.UP_COLOR, width=1.5))
        self.sell_line = self.flow_plot.plot(name="Foreign sell", pen=pg.mkPen(board_format.DOWN_COLOR, width=1.5))
        self.net_line = self.flow_plot.plot(name="Net", pen=pg.mkPen(board_format.REFERENCE_COLOR, width=2))
        self.buy_speed_line = self.speed_plot.plot(name="Buy speed", pen=pg.mkPen(board_format.UP_COLOR))
        self.sell_speed_line = self.speed_plot.plot(name="Sell speed", pen=pg.mkPen(board_format.DOWN_COLOR))
        for line in (self.buy_line, self.sell_line, self.net_line, self.buy_speed_line, self.sell_speed_line):
            line.setData(connect="finite")
            line.setClipToView(True)
            line.setDownsampling(auto=True, method="peak")
        self.columns = ForeignColumns.from_snapshots([])
        self.crosshair = self.track_crosshair(self.flow_plot, self._readout, linked=[self.speed_plot])

    def set_columns(self, cols: ForeignColumns) -> None:
        self.reset_crosshair()
        self.columns = cols
        ts, buy, sell, net, buy_speed, sell_speed = break_gaps(
            market_x(cols.ts), cols.buy, cols.sell, cols.net, cols.buy_speed, cols.sell_speed)
        self.buy_line.setData(ts, buy)
        self.sell_line.setData(ts, sell)
        self.net_line.setData(ts, net)
        self.buy_speed_line.setData(ts, buy_speed)
        self.sell_speed_line.setData(ts, sell_speed)
        self.reset_zoom()
        self.set_status(self.tr("{n} snapshots").format(n=f"{len(cols):,}") if len(cols)
                        else self.tr("No foreign flow stored for this day"))
        self.loaded.emit()

    def _readout(self, x: float, y: float) -> str:
        cols = self.columns
        i = sample_at(cols.ts, epoch_of_market_x(x))
        if i < 0 or not len(cols):
            return ""
        when = datetime.fromtimestamp(cols.ts[i], timezone.utc)
        return QCoreApplication.translate(
            "ChartReadout", "{time}  buy {buy}  sell {sell}  net {net}  speed {buy_speed}/{sell_speed} per min").format(
            time=board_format.vietnam_time(when), buy=board_format.volume(cols.buy[i]),
            sell=board_format.volume(cols.sell[i]), net=board_format.signed_volume(cols.net[i]),
            buy_speed=board_format.volume(cols.buy_speed[i]), sell_speed=board_format.volume(cols.sell_speed[i]))
