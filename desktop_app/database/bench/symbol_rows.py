"""Rows a benchmark writes into the app's own tables under a symbol of its own, and their removal.

Why: ``stock-tracker bench ui`` paints the real charts, which read the app's tables; it loads a
symbol-day of trades and years of daily bars under a made-up symbol (``ZZBENCH``) and must leave
nothing behind. Trades go in with one plain COPY: they bypass the ``BatchWriter`` and therefore
the minute aggregate, so only ``trades`` and ``daily_ohlc`` hold rows of that symbol.
"""

from __future__ import annotations

from typing import Sequence

import asyncpg

from desktop_app.database.schema import TRADE_COPY_COLUMNS
from desktop_app.domain import ClassifiedTrade

__all__ = ["copy_trades", "delete_symbol_rows"]


async def copy_trades(pool: asyncpg.Pool, trades: Sequence[ClassifiedTrade]) -> int:
    """COPY ``trades`` into ``trades`` in one go; returns how many were written."""
    records = [(t.symbol, t.price, t.volume, t.value, t.trade_type.value, t.bid_price, t.ask_price, t.timestamp)
               for t in trades]
    async with pool.acquire() as conn:
        await conn.copy_records_to_table("trades", records=records, columns=list(TRADE_COPY_COLUMNS))
    return len(records)


async def delete_symbol_rows(executor: asyncpg.Pool | asyncpg.Connection, symbol: str) -> None:
    """Remove every daily bar and trade of ``symbol`` (what ``copy_trades`` and the daily-bar
    upsert left for it)."""
    await executor.execute("DELETE FROM daily_ohlc WHERE symbol = $1", symbol)
    await executor.execute("DELETE FROM trades WHERE symbol = $1", symbol)
