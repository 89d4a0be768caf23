"""Read (and upsert) queries over the schema: always parameterised, returning domain values or
numpy column arrays for charts. Every function takes a pool or a connection (``Executor``)."""

from __future__ import annotations

import asyncpg

Executor = asyncpg.Pool | asyncpg.Connection
"""Anything with ``fetch``/``fetchrow``/``fetchval``: the pool, or a connection in a transaction."""
