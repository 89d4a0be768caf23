"""Settings' "Test connection": can this PostgreSQL URL be used? Answered without touching the
running app's pool, so the UI can ask before the user saves a new database."""

from __future__ import annotations

import asyncio

from desktop_app.config import mask_dsn, validate_database_url
from desktop_app.database.connection import connect_dsn
from desktop_app.errors import ConfigurationError

TEST_TIMEOUT_S = 3.0


async def check_database_url(url: str, timeout: float = TEST_TIMEOUT_S) -> str:
    """Open and close one pool on ``url``; a line for the user. Raises ConfigurationError."""
    validate_database_url(url)
    database = await asyncio.wait_for(
        connect_dsn(url, migrate=False, min_size=1, max_size=1, timeout=timeout), timeout * 4
    )
    try:
        ok = await database.health_check(timeout)
    finally:
        await database.close()
    if not ok:
        raise ConfigurationError(f"{mask_dsn(url)} connected but did not answer SELECT 1")
    return f"Connected to {mask_dsn(url)}"
