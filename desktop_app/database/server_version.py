"""The PostgreSQL server's version string, for reports that must say what they measured on."""

from __future__ import annotations

from desktop_app.database.repositories import Executor


async def server_version(executor: Executor) -> str:
    """``SHOW server_version`` (e.g. ``"16.4"``)."""
    return str(await executor.fetchval("SHOW server_version"))
