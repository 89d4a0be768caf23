"""What the history views read, through the database repositories (the UI never writes SQL).

One small adapter turns repository results into the column form the charts draw, so the chart
widgets stay free of database types and the queries stay in ``desktop_app.database``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Sequence

import asyncpg

from desktop_app.database.repositories import (
    alert_repository,
    basis_repository,
    foreign_repository,
    ohlc_repository,
    trade_repository,
)
from desktop_app.domain import StoredAlert
from desktop_app.ui.charts.basis_chart import BasisColumns
from desktop_app.ui.charts.daily_chart import DailySeries, day_bounds
from desktop_app.ui.charts.foreign_chart import ForeignColumns
from desktop_app.ui.charts.intraday_chart import TradeColumns

DAILY_HISTORY_START = date(2000, 1, 1)  # HOSE opened in July 2000
ROW_LIMIT = 1_000_000


class HistorySource:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def daily(self, symbol: str, start: date = DAILY_HISTORY_START, end: date | None = None) -> DailySeries:
        end = end or date.today() + timedelta(days=1)
        bars = await ohlc_repository.daily_bars(self.pool, symbol, start, end)
        return DailySeries.from_bars(bars)

    async def trades_day(self, symbol: str, day: date) -> TradeColumns:
        trades = await trade_repository.trades_for_day(self.pool, symbol, day)
        return TradeColumns.from_trades(trades)

    async def foreign_day(self, symbol: str, day: date) -> ForeignColumns:
        start, end = day_bounds(day, day)
        rows = await foreign_repository.foreign_between(self.pool, symbol, start, end, ROW_LIMIT, 0)
        return ForeignColumns.from_snapshots(rows)

    async def basis_day(self, day: date) -> BasisColumns:
        start, end = day_bounds(day, day)
        rows = await basis_repository.basis_between(self.pool, start, end, ROW_LIMIT, 0)
        return BasisColumns.from_points(rows)

    async def alerts(self, symbol: str, start: datetime, end: datetime) -> Sequence[StoredAlert]:
        return await alert_repository.alerts_between(self.pool, symbol, start, end)
