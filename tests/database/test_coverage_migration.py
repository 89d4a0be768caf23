"""Revision 0003 on a database where restarts stored alerts twice: one copy of each alert stays
(the acknowledged one when there is one), the unique key is in place, downgrade drops only 0003."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import pytest

from desktop_app.domain import VIETNAM_TZ
from tests.support.migrations import migrate

AT = datetime(2026, 4, 8, 10, 15, tzinfo=VIETNAM_TZ)


async def test_0003_keeps_one_copy_of_each_alert_preferring_the_acknowledged_one(empty_database_url: str) -> None:
    await migrate(empty_database_url, "upgrade", "0002")
    conn = await asyncpg.connect(empty_database_url)
    try:
        insert = "INSERT INTO alerts (symbol, alert_type, message, created_at, acknowledged_at) VALUES ($1, $2, $3, $4, $5)"
        await conn.execute(insert, "FPT", "floor_hit", "first run", AT, None)
        await conn.execute(insert, "FPT", "floor_hit", "second run", AT, AT)  # the one the user acknowledged
        await conn.execute(insert, "FPT", "floor_hit", "third run", AT, None)
        await conn.execute(insert, "ACB", "block_trade", "once", AT, None)
        await conn.execute(insert, "ACB", "block_trade", "again", AT, None)
        await migrate(empty_database_url, "upgrade", "0003")
        rows = await conn.fetch("SELECT symbol, message FROM alerts ORDER BY symbol")
        assert [(r["symbol"], r["message"]) for r in rows] == [("ACB", "once"), ("FPT", "second run")]
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(insert, "FPT", "floor_hit", "fourth run", AT, None)
        await migrate(empty_database_url, "downgrade", "0002")
        assert await conn.fetchval("SELECT to_regclass('ingest_coverage')") is None
        await conn.execute(insert, "FPT", "floor_hit", "allowed again without the key", AT, None)
    finally:
        await conn.close()
