"""Move a test database to one Alembic revision (the migration tests start below head)."""

from __future__ import annotations

from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from desktop_app.database.migrate import alembic_config, sqlalchemy_url


async def migrate(dsn: str, direction: str, target: str) -> None:
    """``alembic upgrade|downgrade <target>`` on ``dsn`` through the app's own Alembic config."""
    engine = create_async_engine(sqlalchemy_url(dsn), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            def run(sync_conn) -> None:  # type: ignore[no-untyped-def]
                config = alembic_config()
                config.attributes["connection"] = sync_conn
                getattr(command, direction)(config, target)

            await conn.run_sync(run)
            await conn.commit()
    finally:
        await engine.dispose()
