"""Watchlists in PostgreSQL: named lists keep their symbols and order across a restart of the
service (a new pool on the same database); VN30 is the default and cannot be deleted."""

from __future__ import annotations

import pytest

from desktop_app.database.connection import connect_dsn
from desktop_app.services.watchlists import (
    DefaultWatchlistError,
    WatchlistNameTakenError,
    WatchlistService,
)
from tests.support.ssi_server import DEFAULT_VN30


async def test_lists_persist_across_a_service_restart(database_url: str) -> None:
    first = await connect_dsn(database_url, min_size=1, max_size=2)
    try:
        service = WatchlistService(first.pool, DEFAULT_VN30)
        (vn30,) = await service.lists()
        assert (vn30.name, vn30.builtin, vn30.symbols) == ("VN30", True, DEFAULT_VN30)
        banks = await service.create("Banks", ["vcb", "ACB"])
        await service.add_symbol(banks.id, "SHB")
        await service.add_symbol(banks.id, "PVS")  # HNX, outside VN30
        await service.add_symbol(banks.id, "ACB")  # already there: stays where it is
        await service.move_symbol(banks.id, "SHB", -2)
        await service.remove_symbol(banks.id, "VCB")
        await service.rename(banks.id, "My banks")
        energy = await service.create("Energy", ["GAS", "PLX", "BSR"])
        with pytest.raises(WatchlistNameTakenError):
            await service.create("Energy")
    finally:
        await first.close()

    second = await connect_dsn(database_url, min_size=1, max_size=2)
    try:
        lists = await WatchlistService(second.pool, ("OTHER",)).lists()
    finally:
        await second.close()
    assert [(w.name, w.symbols) for w in lists] == [
        ("VN30", DEFAULT_VN30),
        ("My banks", ("SHB", "ACB", "PVS")),
        ("Energy", ("GAS", "PLX", "BSR")),
    ]
    assert lists[2].id == energy.id


async def test_the_vn30_default_cannot_be_deleted(pool) -> None:  # type: ignore[no-untyped-def]
    service = WatchlistService(pool, DEFAULT_VN30)
    (vn30,) = await service.lists()
    other = await service.create("Watch")
    with pytest.raises(DefaultWatchlistError):
        await service.delete(vn30.id)
    await service.delete(other.id)
    assert [w.name for w in await service.lists()] == ["VN30"]
    with pytest.raises(ValueError):
        await service.add_symbol(vn30.id, "not a symbol!")
