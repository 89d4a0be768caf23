"""What the chart views read: a thin adapter over the one history service.

It only turns the service's column arrays into the column form the charts draw (float arrays,
chart stack codes), so the chart widgets stay free of database types; every query is the
service's (``services/history.py``), which the history API reads through too. No pool and no
repository reach the UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Sequence

import numpy as np

from desktop_app.domain import StoredAlert
from desktop_app.order_flow import BigTrade, FlowBar, VolumeProfile
from desktop_app.market_clock import vn_today
from desktop_app.services.history import TRADE_TYPE_CODES, HistoryService
from desktop_app.ui.charts.basis_chart import BasisColumns
from desktop_app.market_clock import days_bounds
from desktop_app.ui.charts.daily_chart import DailySeries
from desktop_app.ui.charts.foreign_chart import ForeignColumns
from desktop_app.ui.charts.intraday_bars_chart import BarColumns
from desktop_app.ui.charts.intraday_chart import TYPE_CODES, TradeColumns

DAILY_HISTORY_START = date(2000, 1, 1)  # HOSE opened in July 2000

# repository type code -> chart stack index (unknown codes, -1, count as neutral)
_TYPE_LUT = np.full(len(TRADE_TYPE_CODES) + 1, TYPE_CODES[next(iter(TYPE_CODES))], np.int8)
for _t, _code in TRADE_TYPE_CODES.items():
    _TYPE_LUT[_code] = TYPE_CODES.get(_t, 2)
_TYPE_LUT[-1] = 2


@dataclass(frozen=True, slots=True, eq=False)
class OrderFlowColumns:
    """A symbol-day's order flow as the chart items draw it (``ui/charts/order_flow_items.py``):
    1-minute bars at x = epoch seconds, the profile and the big prints."""

    start: np.ndarray  # float64 epoch seconds of each bar's start
    cvd: np.ndarray  # float64
    vwap: np.ndarray  # float64, NaN where none
    profile: VolumeProfile
    big_trades: tuple[BigTrade, ...]

    @classmethod
    def of(cls, bars: Sequence[FlowBar], profile: VolumeProfile, big: Sequence[BigTrade]) -> "OrderFlowColumns":
        """From the history service's values or the live book's (the same types)."""
        return cls(
            start=np.array([b.time.timestamp() for b in bars], dtype=np.float64),
            cvd=np.array([b.cvd for b in bars], dtype=np.float64),
            vwap=np.array([np.nan if b.vwap is None else float(b.vwap) for b in bars], dtype=np.float64),
            profile=profile, big_trades=tuple(big),
        )


def _dates(days: np.ndarray) -> list[date]:
    return days.astype("datetime64[D]").astype(object).tolist()


class HistorySource:
    """The charts' reads, as chart columns, through ``history``."""

    def __init__(self, history: HistoryService) -> None:
        self.history = history

    async def daily(self, symbol: str, start: date = DAILY_HISTORY_START, end: date | None = None) -> DailySeries:
        end = end or vn_today() + timedelta(days=1)
        c = await self.history.daily_columns(symbol, start, end)
        keep = ~np.isnan(c.close)
        close = c.close[keep]

        def filled(a: np.ndarray) -> np.ndarray:
            a = a[keep]
            return np.where(np.isnan(a), close, a)

        return DailySeries(
            dates=_dates(c.date[keep]), open=filled(c.open), high=filled(c.high), low=filled(c.low),
            close=close, volume=np.nan_to_num(c.volume[keep]),
        )

    async def trades_day(self, symbol: str, day: date) -> TradeColumns:
        c = await self.history.trade_columns_for_day(symbol, day)
        return TradeColumns(
            ts=np.asarray(c.epoch_s, dtype=np.float64),
            price=np.asarray(c.price, dtype=np.float64),
            volume=np.asarray(c.volume, dtype=np.float64),
            type_code=_TYPE_LUT[np.asarray(c.trade_type, dtype=np.int64)],
        )

    async def bars(self, symbol: str, first: date, last: date, bucket: timedelta) -> BarColumns:
        """Bars of ``bucket`` over the Vietnam days ``first``..``last`` (inclusive), from the
        per-minute aggregate (never the raw prints: a year is millions of them)."""
        start, end = days_bounds(first, last)
        b = await self.history.minute_bars(symbol, start, end, bucket)
        return BarColumns(
            start=np.asarray(b.minute_epoch_s, dtype=np.float64),
            open=np.asarray(b.open, dtype=np.float64), high=np.asarray(b.high, dtype=np.float64),
            low=np.asarray(b.low, dtype=np.float64), close=np.asarray(b.close, dtype=np.float64),
            by_type=np.vstack([np.asarray(a, dtype=np.float64) for a in
                               (b.buy_volume, b.sell_volume, b.neutral_volume, b.auction_volume)]),
            bucket=bucket,
        )

    async def foreign_day(self, symbol: str, day: date) -> ForeignColumns:
        start, end = days_bounds(day, day)
        c = await self.history.foreign_columns(symbol, start, end)
        return ForeignColumns(
            ts=np.asarray(c.epoch_s, dtype=np.float64),
            buy=np.asarray(c.buy_volume, dtype=np.float64),
            sell=np.asarray(c.sell_volume, dtype=np.float64),
            buy_speed=np.asarray(c.buy_speed_per_min, dtype=np.float64),
            sell_speed=np.asarray(c.sell_speed_per_min, dtype=np.float64),
        )

    async def basis_day(self, day: date) -> BasisColumns:
        start, end = days_bounds(day, day)
        basis = await self.history.basis_day(start, end)
        c, symbol = basis.columns, basis.futures_symbol
        return BasisColumns(
            ts=np.asarray(c.epoch_s, dtype=np.float64), futures=np.asarray(c.futures_price, dtype=np.float64),
            spot=np.asarray(c.spot_value, dtype=np.float64), basis=np.asarray(c.basis, dtype=np.float64),
            futures_symbol=symbol,
        )

    async def alerts(self, symbol: str, start: datetime, end: datetime) -> Sequence[StoredAlert]:
        return await self.history.alerts_between(symbol, start, end)

    async def order_flow_day(self, symbol: str, day: date, big_trade_min_value: Decimal) -> OrderFlowColumns:
        """A stored day's order flow for the chart panes (today's comes from the live book)."""
        bars = await self.history.flow(symbol, day, 1)
        profile = await self.history.volume_profile(symbol, day)
        big = await self.history.big_trades(symbol, day, big_trade_min_value)
        return OrderFlowColumns.of(bars, profile, big)
