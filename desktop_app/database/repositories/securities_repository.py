"""The cached securities list (``securities``): replace one source's rows, read them, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

import asyncpg

from desktop_app.database.repositories import Executor
from desktop_app.instruments import Security, SecurityKind, SecuritySource

_UPSERT = """
INSERT INTO securities (source, symbol, market, name_vi, name_en, kind, updated_at)
SELECT $1, s.symbol, s.market, s.name_vi, s.name_en, s.kind, $7
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
     AS s(symbol, market, name_vi, name_en, kind)
ON CONFLICT (source, symbol) DO UPDATE
SET market = EXCLUDED.market, name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en,
    kind = EXCLUDED.kind, updated_at = EXCLUDED.updated_at
"""


async def replace_source(pool: asyncpg.Pool, source: SecuritySource, rows: Sequence[Security],
                         updated_at: datetime) -> int:
    """Make ``source``'s rows exactly ``rows`` in one transaction (delisted symbols go)."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute(
                _UPSERT, source.value,
                [r.symbol for r in rows], [r.market for r in rows], [r.name_vi for r in rows],
                [r.name_en for r in rows], [r.kind.value for r in rows], updated_at,
            )
            await conn.execute(
                "DELETE FROM securities WHERE source = $1 AND NOT (symbol = ANY($2::text[]))",
                source.value, [r.symbol for r in rows],
            )
    return len(rows)


async def list_source(executor: Executor, source: SecuritySource) -> list[Security]:
    rows = await executor.fetch(
        "SELECT symbol, market, name_vi, name_en, kind FROM securities WHERE source = $1 ORDER BY symbol",
        source.value,
    )
    return [Security(r[0], r[1], r[2], r[3], SecurityKind(r[4])) for r in rows]


async def last_updated(executor: Executor, source: SecuritySource) -> datetime | None:
    """When ``source``'s rows were last replaced (None: never)."""
    return await executor.fetchval("SELECT max(updated_at) FROM securities WHERE source = $1", source.value)

