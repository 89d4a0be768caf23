"""``stock-tracker db upgrade|current|url``: the database in use, its schema revision, upgrades."""

from __future__ import annotations

from desktop_app.config import Settings, mask_dsn
from desktop_app.database.embedded import DATABASE_NAME, SUPERUSER, EmbeddedPostgres

# asyncpg, Alembic and SQLAlchemy are imported only by the commands that talk to the server:
# `db url` stays instant.


def describe_url(settings: Settings) -> str:
    """The DSN in use, password masked; for the embedded server, read from its config (no start)."""
    if settings.database_url is not None:
        return mask_dsn(settings.database_url)
    embedded = EmbeddedPostgres(settings.embedded_dir)
    port = embedded.configured_port()
    if port is None:
        return f"embedded PostgreSQL, not created yet (it will live in {settings.embedded_dir})"
    return f"postgresql://{SUPERUSER}:***@127.0.0.1:{port}/{DATABASE_NAME} (embedded, {settings.embedded_dir})"


async def upgrade(settings: Settings) -> str:
    from desktop_app.database.connection import server_dsn
    from desktop_app.database.migrate import upgrade_to_head

    async with server_dsn(settings) as dsn:
        revision = await upgrade_to_head(dsn)
    return f"database at head: {revision}"


async def current(settings: Settings) -> str:
    from desktop_app.database.connection import server_dsn
    from desktop_app.database.migrate import current_revision, head_revision

    async with server_dsn(settings) as dsn:
        revision = await current_revision(dsn)
    head = head_revision()
    if revision is None:
        return "database has no schema yet (run `stock-tracker db upgrade`)"
    if revision == head:
        return f"{revision} (head)"
    return f"{revision} (head is {head}: run `stock-tracker db upgrade`)"
