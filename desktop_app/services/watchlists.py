"""The user's named watchlists, stored in the database; VN30 is the default and cannot be deleted.

The UI reads and edits lists only through this service. Every edit writes the whole ordered list
of the one watchlist it changes (one transaction), then answers the stored state, so what the
board shows is always what a restart would show.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

from desktop_app.database.repositories import watchlist_repository as repo
from desktop_app.instruments import DEFAULT_WATCHLIST_NAME, Watchlist

log = logging.getLogger(__name__)

WatchlistNotFoundError = repo.WatchlistNotFoundError
WatchlistNameTakenError = repo.WatchlistNameTakenError


class DefaultWatchlistError(ValueError):
    """The VN30 default list cannot be deleted."""


def clean_symbol(symbol: str) -> str:
    text = symbol.strip().upper()
    if not text or len(text) > 20 or not text.isalnum():
        raise ValueError(f"not a symbol: {symbol!r}")
    return text


def clean_name(name: str) -> str:
    text = " ".join(name.split())
    if not text or len(text) > 60:
        raise ValueError("a watchlist name needs 1 to 60 characters")
    return text


class WatchlistService:
    """``pool``: an asyncpg pool; ``default_symbols``: VN30's members for a first start."""

    def __init__(self, pool: Any, default_symbols: Sequence[str]) -> None:
        self._pool = pool
        self._default_symbols = tuple(default_symbols)

    async def lists(self) -> list[Watchlist]:
        """Every list in order; the VN30 default is created on first use."""
        stored = await repo.list_watchlists(self._pool)
        if not any(w.builtin for w in stored):
            try:
                await repo.create_watchlist(self._pool, DEFAULT_WATCHLIST_NAME, self._default_symbols,
                                            builtin=True)
            except WatchlistNameTakenError:  # another window created it meanwhile
                pass
            stored = await repo.list_watchlists(self._pool)
        return stored

    async def get(self, list_id: int) -> Watchlist:
        for watchlist in await self.lists():
            if watchlist.id == list_id:
                return watchlist
        raise WatchlistNotFoundError(f"no watchlist with id {list_id}")

    async def create(self, name: str, symbols: Sequence[str] = ()) -> Watchlist:
        list_id = await repo.create_watchlist(self._pool, clean_name(name),
                                              _unique(clean_symbol(s) for s in symbols))
        return await self.get(list_id)

    async def rename(self, list_id: int, name: str) -> Watchlist:
        await repo.rename_watchlist(self._pool, list_id, clean_name(name))
        return await self.get(list_id)

    async def delete(self, list_id: int) -> None:
        if (await self.get(list_id)).builtin:
            raise DefaultWatchlistError(f"the {DEFAULT_WATCHLIST_NAME} list is the default and stays")
        await repo.delete_watchlist(self._pool, list_id)

    async def add_symbol(self, list_id: int, symbol: str) -> Watchlist:
        """Appended at the end; a symbol already in the list stays where it is."""
        symbol = clean_symbol(symbol)
        current = await self.get(list_id)
        if symbol in current.symbols:
            return current
        return await self.set_symbols(list_id, (*current.symbols, symbol))

    async def remove_symbol(self, list_id: int, symbol: str) -> Watchlist:
        current = await self.get(list_id)
        return await self.set_symbols(list_id, [s for s in current.symbols if s != symbol.upper()])

    async def move_symbol(self, list_id: int, symbol: str, offset: int) -> Watchlist:
        """Move one place up (-1) or down (+1), or any offset, clamped to the list."""
        current = await self.get(list_id)
        symbols = list(current.symbols)
        if symbol not in symbols:
            raise WatchlistNotFoundError(f"{symbol} is not in {current.name}")
        old = symbols.index(symbol)
        new = max(0, min(len(symbols) - 1, old + offset))
        if new == old:
            return current
        symbols.insert(new, symbols.pop(old))
        return await self.set_symbols(list_id, symbols)

    async def set_symbols(self, list_id: int, symbols: Sequence[str]) -> Watchlist:
        """Store the list's symbols in exactly this order (a drag-reorder writes it whole)."""
        await repo.set_symbols(self._pool, list_id, _unique(clean_symbol(s) for s in symbols))
        return await self.get(list_id)


def _unique(symbols: Any) -> list[str]:
    return list(dict.fromkeys(symbols))
