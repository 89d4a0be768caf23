"""The one history service: everything the UI and the history API read about the past.

Why one service: the charts, the alert review table and the HTTP API used to call the
repositories each in their own way (and the UI held raw pools). Now both read through
``HistoryService``, so a query, a default or a definition lives in one place, and the UI never
sees a repository or a pool. Results are frozen dataclasses (domain values, or the repositories'
column arrays for charts, re-exported here so callers import them from the service).

Order flow (cumulative delta, VWAP, volume at price, big prints, basket flow) is computed here
from the repository's per-bar and per-price sums, with the definitions in
``desktop_app.order_flow`` that the live aggregates (``processing/order_flow.py``) share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Sequence

import asyncpg

from desktop_app.database.repositories import (
    alert_repository,
    basis_repository,
    foreign_repository,
    ohlc_repository,
    order_flow_repository,
    trade_repository,
)
from desktop_app.database.repositories.alert_repository import AlertFilter, AlertNotFoundError
from desktop_app.database.repositories.basis_repository import BasisColumns
from desktop_app.database.repositories.foreign_repository import ForeignColumns
from desktop_app.database.repositories.ohlc_repository import DailyColumns
from desktop_app.database.repositories.trade_repository import TRADE_TYPE_CODES, MinuteBars, TradeColumns
from desktop_app.domain import BasisPoint, ClassifiedTrade, DailyBar, ForeignInvestorData, StoredAlert
from desktop_app.feeds.basket import load_basket
from desktop_app.market_clock import day_bounds
from desktop_app.order_flow import (
    BasketFlowBar,
    BigTrade,
    FlowBar,
    SymbolFlowTotals,
    VolumeProfile,
    basket_bars,
    flow_bars,
    symbol_totals,
    volume_profile,
)

__all__ = [
    "HistoryService", "BasisDay", "AlertFilter", "AlertNotFoundError", "BasisColumns", "DailyColumns",
    "ForeignColumns", "MinuteBars", "TradeColumns", "TRADE_TYPE_CODES", "FlowBar", "VolumeProfile",
    "BigTrade", "BasketFlowBar", "SymbolFlowTotals",
]


@dataclass(frozen=True, slots=True, eq=False)
class BasisDay:
    """One day of basis points as columns, and the contract quoted last that day ("" if none)."""

    columns: BasisColumns
    futures_symbol: str


class HistoryService:
    """Read-only (except acknowledging alerts) access to stored history over one asyncpg pool.

    The pool is owned by the caller (the runtime opens and closes it); the service only borrows
    connections from it, so it is cheap to build and safe to share between views."""

    __slots__ = ("_pool",)

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # ------------------------------------------------------------------ daily bars
    async def daily_bars(self, symbol: str, start: date, end: date) -> list[DailyBar]:
        """Daily bars, oldest first, both ends inclusive."""
        return await ohlc_repository.daily_bars(self._pool, symbol, start, end)

    async def daily_columns(self, symbol: str, start: date, end: date) -> DailyColumns:
        return await ohlc_repository.daily_columns(self._pool, symbol, start, end)

    # ------------------------------------------------------------------ trades and minute bars
    async def trades_between(
        self, symbol: str, start: datetime, end: datetime, limit: int = 1000, offset: int = 0
    ) -> list[ClassifiedTrade]:
        """One page of prints in ``[start, end)``, oldest first."""
        return await trade_repository.trades_between(self._pool, symbol, start, end, limit, offset)

    async def trade_columns_for_day(self, symbol: str, day: date) -> TradeColumns:
        return await trade_repository.trade_columns_for_day(self._pool, symbol, day)

    async def minute_bars(
        self, symbol: str, start: datetime, end: datetime, bucket: timedelta = trade_repository.ONE_MINUTE
    ) -> MinuteBars:
        return await trade_repository.minute_bars(self._pool, symbol, start, end, bucket=bucket)

    # ------------------------------------------------------------------ foreign flow and basis
    async def foreign_between(
        self, symbol: str, start: datetime, end: datetime, limit: int = 1000, offset: int = 0
    ) -> list[ForeignInvestorData]:
        return await foreign_repository.foreign_between(self._pool, symbol, start, end, limit, offset)

    async def foreign_columns(self, symbol: str, start: datetime, end: datetime) -> ForeignColumns:
        return await foreign_repository.foreign_columns(self._pool, symbol, start, end)

    async def basis_between(
        self, start: datetime, end: datetime, limit: int = 1000, offset: int = 0,
        futures_symbol: str | None = None,
    ) -> list[BasisPoint]:
        return await basis_repository.basis_between(
            self._pool, start, end, limit, offset, futures_symbol=futures_symbol
        )

    async def basis_day(self, start: datetime, end: datetime) -> BasisDay:
        """The basis in ``[start, end)`` as columns, named by the contract of its last point."""
        columns = await basis_repository.basis_columns(self._pool, start, end)
        symbol = ""
        if len(columns):
            last = await basis_repository.basis_between(self._pool, start, end, 1, len(columns) - 1)
            symbol = last[0].futures_symbol if last else ""
        return BasisDay(columns, symbol)

    # ------------------------------------------------------------------ alerts
    async def alerts_between(self, symbol: str, start: datetime, end: datetime) -> list[StoredAlert]:
        """A symbol's alerts in ``[start, end)``, oldest first (chart markers)."""
        return await alert_repository.alerts_between(self._pool, symbol, start, end)

    async def list_alerts(self, alert_filter: AlertFilter, limit: int, offset: int) -> list[StoredAlert]:
        """One page of alerts matching ``alert_filter``, newest first."""
        return await alert_repository.list_alerts(self._pool, alert_filter, limit, offset)

    async def count_alerts(self, alert_filter: AlertFilter) -> int:
        return await alert_repository.count_alerts(self._pool, alert_filter)

    async def acknowledge_alert(self, alert_id: int, note: str | None) -> StoredAlert:
        """Mark an alert reviewed (the first acknowledgement time is kept); the note is replaced."""
        return await alert_repository.acknowledge(self._pool, alert_id, note)

    # ------------------------------------------------------------------ order flow
    async def flow(self, symbol: str, day: date, interval_minutes: int = 1) -> list[FlowBar]:
        """One symbol-day's order-flow bars of ``interval_minutes`` (bars holding trades only)."""
        start, end = day_bounds(day)
        sums = await order_flow_repository.flow_bar_sums(self._pool, symbol, start, end, interval_minutes)
        return flow_bars(sums)

    async def volume_profile(self, symbol: str, day: date) -> VolumeProfile:
        """One symbol-day's volume at price with its POC and value area."""
        start, end = day_bounds(day)
        return volume_profile(await order_flow_repository.price_levels(self._pool, symbol, start, end))

    async def big_trades(self, symbol: str, day: date, min_value: Decimal) -> list[BigTrade]:
        """One symbol-day's prints worth at least ``min_value`` VND, auctions left out, in time order."""
        start, end = day_bounds(day)
        return await order_flow_repository.big_trades(self._pool, symbol, start, end, min_value)

    async def basket_flow(
        self, symbols: Sequence[str] | None, day: date, interval_minutes: int = 1
    ) -> list[BasketFlowBar]:
        """Active buy/sell value of ``symbols`` (None: the VN30 basket shipped in resources) summed
        per bar, with the running value delta."""
        if symbols is None:
            symbols = load_basket().symbols
        start, end = day_bounds(day)
        sums = await order_flow_repository.basket_value_sums(self._pool, symbols, start, end, interval_minutes)
        return basket_bars(sums)

    async def basket_totals(self, symbols: Sequence[str] | None, day: date) -> list[SymbolFlowTotals]:
        """Each symbol's active buy/sell value and ATO / continuous / ATC split over a day, in the
        order given (None: the VN30 basket); a symbol without prints gets zeros."""
        if symbols is None:
            symbols = load_basket().symbols
        start, end = day_bounds(day)
        sums = await order_flow_repository.type_sums(self._pool, symbols, start, end)
        return [symbol_totals(symbol, sums.get(symbol, [])) for symbol in symbols]
