"""A PostgreSQL address nothing listens on: the database outage the writer and pipeline tests need."""

from __future__ import annotations

import socket

import asyncpg


def unreachable_dsn() -> str:
    """A DSN on a free loopback port (bound then released, so a connect is refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://nobody@127.0.0.1:{port}/nothing"


async def unreachable_pool() -> asyncpg.Pool:
    """A real pool to a port nothing listens on (min_size=0: it connects on acquire, and fails)."""
    return await asyncpg.create_pool(unreachable_dsn(), min_size=0, max_size=1, timeout=2)
