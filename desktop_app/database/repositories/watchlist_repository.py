"""The user's watchlists (``watchlists``, ``watchlist_symbols``): lists with their ordered symbols.

Every write that touches positions runs in one transaction, so a list is never stored half
reordered.
"""

from __future__ import annotations

from typing import Sequence

import asyncpg

from desktop_app.database.repositories import Executor
from desktop_app.instruments import Watchlist


class WatchlistNotFoundError(LookupError):
    """No list with that id (deleted meanwhile)."""


class WatchlistNameTakenError(ValueError):
    """Another list already has that name."""


async def list_watchlists(executor: Executor) -> list[Watchlist]:
    rows = await executor.fetch(
        """
        SELECT w.id, w.name, w.position, w.builtin,
               coalesce(array_agg(s.symbol ORDER BY s.position) FILTER (WHERE s.symbol IS NOT NULL),
                        '{}') AS symbols
        FROM watchlists w LEFT JOIN watchlist_symbols s ON s.watchlist_id = w.id
        GROUP BY w.id ORDER BY w.position, w.id
        """
    )
    return [Watchlist(r[0], r[1], r[2], r[3], tuple(r[4])) for r in rows]


async def create_watchlist(pool: asyncpg.Pool, name: str, symbols: Sequence[str] = (),
                           *, builtin: bool = False) -> int:
    async with pool.acquire() as conn, conn.transaction():
        try:
            list_id = await conn.fetchval(
                "INSERT INTO watchlists (name, position, builtin) "
                "SELECT $1, coalesce(max(position) + 1, 0), $2 FROM watchlists RETURNING id",
                name, builtin,
            )
        except asyncpg.UniqueViolationError:
            raise WatchlistNameTakenError(f"a watchlist named {name!r} exists already") from None
        await _write_symbols(conn, list_id, symbols)
    return int(list_id)


async def rename_watchlist(executor: Executor, list_id: int, name: str) -> None:
    try:
        result = await executor.execute("UPDATE watchlists SET name = $2 WHERE id = $1", list_id, name)
    except asyncpg.UniqueViolationError:
        raise WatchlistNameTakenError(f"a watchlist named {name!r} exists already") from None
    if result.endswith(" 0"):
        raise WatchlistNotFoundError(f"no watchlist with id {list_id}")


async def delete_watchlist(executor: Executor, list_id: int) -> None:
    result = await executor.execute("DELETE FROM watchlists WHERE id = $1 AND NOT builtin", list_id)
    if result.endswith(" 0"):
        raise WatchlistNotFoundError(f"no deletable watchlist with id {list_id}")


async def set_symbols(pool: asyncpg.Pool, list_id: int, symbols: Sequence[str]) -> None:
    """Store the list's symbols in exactly this order."""
    async with pool.acquire() as conn, conn.transaction():
        exists = await conn.fetchval("SELECT 1 FROM watchlists WHERE id = $1 FOR UPDATE", list_id)
        if exists is None:
            raise WatchlistNotFoundError(f"no watchlist with id {list_id}")
        await conn.execute("DELETE FROM watchlist_symbols WHERE watchlist_id = $1", list_id)
        await _write_symbols(conn, list_id, symbols)


async def _write_symbols(conn: asyncpg.Connection, list_id: int, symbols: Sequence[str]) -> None:
    await conn.executemany(
        "INSERT INTO watchlist_symbols (watchlist_id, symbol, position) VALUES ($1, $2, $3)",
        [(list_id, s, i) for i, s in enumerate(symbols)],
    )
