"""Alembic, driven from the app: awaitable on the running loop (qasync in the GUI), no ``asyncio.run``.

The Alembic config is built in code, with ``script_location`` = the installed ``migrations``
package, so migrations work from a ``pip install``-ed app with no ``alembic.ini`` around. Each call
opens a short-lived SQLAlchemy async engine (asyncpg driver, no pooling), and hands its connection
to ``migrations/env.py`` through ``config.attributes["connection"]``.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Callable, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from desktop_app.database.connection import ensure_reachable

log = logging.getLogger(__name__)

T = TypeVar("T")


def migrations_dir() -> Path:
    spec = importlib.util.find_spec("migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the 'migrations' package is not installed next to desktop_app")
    return Path(list(spec.submodule_search_locations)[0])


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migration revisions found"
    return head


def sqlalchemy_url(dsn: str) -> str:
    """``postgresql://…`` -> ``postgresql+asyncpg://…`` (the form SQLAlchemy's asyncio needs)."""
    url = make_url(dsn)
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def _on_connection(dsn: str, work: Callable[[Connection], T]) -> T:
    await ensure_reachable(dsn)
    engine = create_async_engine(sqlalchemy_url(dsn), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            result = await connection.run_sync(work)
            await connection.commit()
            return result
    finally:
        await engine.dispose()


def _run_command(name: str, target: str) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, name)(config, target)

    return run


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade_to_head(dsn: str) -> str:
    """Apply every pending revision; returns the head revision now in the database."""
    await _on_connection(dsn, _run_command("upgrade", "head"))
    revision = await current_revision(dsn)
    assert revision is not None
    log.info("database schema at revision %s", revision)
    return revision


async def downgrade_to_base(dsn: str) -> None:
    await _on_connection(dsn, _run_command("downgrade", "base"))


async def current_revision(dsn: str) -> str | None:
    return await _on_connection(dsn, _current)
