"""Alembic environment: async (asyncpg), and able to run on a connection the app hands in.

Two ways in:
* from the app (``desktop_app/database/migrate.py``): the app opens an async engine on its own
  running loop, calls ``connection.run_sync(...)`` and passes the sync connection in
  ``config.attributes["connection"]`` — nothing here starts or nests an event loop;
* from the ``alembic`` command line (developers): no loop is running, so this module creates an
  async engine from ``sqlalchemy.url`` / ``STOCK_TRACKER_DATABASE_URL`` and runs it with
  ``asyncio.run``.
Logging is left alone (no ``fileConfig``): the app's loggers must keep working.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from desktop_app.database.schema import metadata

config = context.config
target_metadata = metadata


def _async_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("STOCK_TRACKER_DATABASE_URL")
    if not url:
        raise RuntimeError(
            "no database URL: set STOCK_TRACKER_DATABASE_URL (or use `stock-tracker db upgrade`, "
            "which also handles the embedded server)"
        )
    from desktop_app.database.migrate import sqlalchemy_url

    return sqlalchemy_url(url)


def _configure_and_run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_async_url(), target_metadata=target_metadata, literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async_migrations() -> None:
    engine = create_async_engine(_async_url(), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_async_migrations())
        return
    raise RuntimeError(
        "alembic env.py called on a running event loop without a connection: "
        "use desktop_app.database.migrate (it passes config.attributes['connection'])"
    )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
