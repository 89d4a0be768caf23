"""The asyncpg pool (the seed's 5-20 connections) and the one entry point others use: ``Database``.

``Database.open(settings)`` starts the embedded server when no external DSN is configured, checks
that the database answers (bounded by ``CONNECT_TIMEOUT_S``), applies migrations, and opens the
pool; ``async with Database.open(settings) as database`` also closes it (and stops the server it
started) on exit. It is the only start-up sequence: the app runtime (``services/runtime.py``) and
``db upgrade|current`` (``server_dsn``) go through it. A database that cannot be used — unreachable, wrong password, unknown role or database —
raises ``DatabaseConfigurationError`` with one line the user can act on (the CLI exits 2 with it).

NUMERIC columns come back as ``Decimal`` (asyncpg's default codec, exact for prices); TIMESTAMPTZ
as aware UTC datetimes, which the repositories convert to Vietnam time.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Generator
from urllib.parse import urlsplit

import asyncpg

from desktop_app.config import Settings, mask_dsn
from desktop_app.database.embedded import EmbeddedPostgres
from desktop_app.errors import DatabaseConfigurationError
from desktop_app.lifecycle import Lifecycle

log = logging.getLogger(__name__)

PoolProvider = Callable[[], Awaitable[asyncpg.Pool]]
"""Where a long-lived writer gets its pool before each attempt (a database may come and go)."""


def as_pool_provider(database: Any, user: str) -> PoolProvider:
    """A ``Database``, an ``asyncpg.Pool`` or an async pool provider, as a pool provider."""
    if isinstance(database, asyncpg.Pool):
        pool = database

        async def fixed() -> asyncpg.Pool:
            return pool

        return fixed
    if hasattr(database, "pool"):

        async def from_database() -> asyncpg.Pool:
            return database.pool

        return from_database
    if callable(database):
        return database
    raise TypeError(f"{user} needs a Database, an asyncpg.Pool or an async pool provider")

CONNECT_TIMEOUT_S = 5.0
POOL_MIN_SIZE = 5
POOL_MAX_SIZE = 20
SERVER_SETTINGS = {"application_name": "stock-tracker"}


def _describe_failure(exc: BaseException, timeout: float) -> str:
    """Why a connection attempt failed, in words a user can act on (one line)."""
    if isinstance(exc, asyncpg.InvalidPasswordError):
        return "password authentication failed (check the user name and password)"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"the database does not exist ({_first_line(exc)})"
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return f"the server refused this user ({_first_line(exc)})"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return f"no answer within {timeout:g} s (is the host right and the server up?)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({_first_line(exc)})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is PostgreSQL running on that host and port?)"
    if isinstance(exc, OSError):
        return f"cannot reach the server ({_first_line(exc)})"
    if isinstance(exc, asyncpg.PostgresError):
        return _first_line(exc)
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_CONNECT_ERRORS = (OSError, asyncio.TimeoutError, TimeoutError, asyncpg.PostgresError,
                   asyncpg.InterfaceError)


def configuration_error(
    dsn: str, exc: BaseException, timeout: float = CONNECT_TIMEOUT_S
) -> DatabaseConfigurationError:
    reason = _describe_failure(exc, timeout)
    return DatabaseConfigurationError(f"cannot use the database {mask_dsn(dsn)}: {reason}")


async def ensure_reachable(dsn: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Open and close one connection; raise ``DatabaseConfigurationError`` if that fails."""
    try:
        conn = await asyncio.wait_for(
            asyncpg.connect(dsn, timeout=timeout, server_settings=SERVER_SETTINGS), timeout + 1
        )
    except _CONNECT_ERRORS as exc:
        raise configuration_error(dsn, exc, timeout) from None
    await conn.close()


Progress = Callable[[str], None]


def _silent(_text: str) -> None:
    """The default progress report: nobody is watching the steps."""


async def _start_server(settings: Settings, progress: Progress) -> tuple[str, EmbeddedPostgres | None]:
    """The DSN to use and, when this process had to start it, the embedded server's handle."""
    if settings.database_url is not None:
        progress("Connecting to PostgreSQL…")
        return settings.database_url, None
    progress("Starting embedded PostgreSQL…")
    embedded = EmbeddedPostgres(settings.embedded_dir)
    return (await embedded.start_async()).dsn(), embedded


@asynccontextmanager
async def server_dsn(settings: Settings, progress: Progress = _silent) -> AsyncIterator[str]:
    """The server's DSN without a pool (``db upgrade|current``); an embedded server started here
    is stopped on exit."""
    dsn, embedded = await _start_server(settings, progress)
    try:
        yield dsn
    finally:
        if embedded is not None:
            await embedded.stop_async()


class _Opening:
    """What ``Database.open`` returns: ``await`` it (the caller closes the database) or use it as
    ``async with`` (closed on exit, error or not)."""

    def __init__(self, open_: Callable[[], Awaitable["Database"]]) -> None:
        self._open = open_
        self._database: Database | None = None

    def __await__(self) -> Generator[Any, None, "Database"]:
        return self._open().__await__()

    async def __aenter__(self) -> "Database":
        self._database = await self._open()
        return self._database

    async def __aexit__(self, *_exc: object) -> None:
        assert self._database is not None
        await self._database.close()


@dataclass(eq=False)
class Database:
    """Owns the pool and, for the embedded database, this process's handle on the server."""

    dsn: str
    pool: asyncpg.Pool
    embedded: EmbeddedPostgres | None = None
    state: Lifecycle = field(default=Lifecycle.RUNNING, repr=False)

    @classmethod
    def open(
        cls, settings: Settings, *, migrate: bool = True,
        min_size: int = POOL_MIN_SIZE, max_size: int = POOL_MAX_SIZE, progress: Progress = _silent,
    ) -> _Opening:
        """Start the embedded server when no external DSN is configured, migrate, open the pool.

        ``progress`` hears each step (the GUI's start-up screen). Whatever fails, a server started
        here is stopped again before the error propagates.
        """

        async def open_() -> Database:
            dsn, embedded = await _start_server(settings, progress)
            try:
                database = await connect_dsn(dsn, migrate=migrate, min_size=min_size, max_size=max_size,
                                             progress=progress)
            except BaseException:
                if embedded is not None:
                    await embedded.stop_async()
                raise
            database.embedded = embedded
            return database

        return _Opening(open_)

    @property
    def _closed(self) -> bool:
        """True once ``close()`` was called (kept for callers that read the old flag)."""
        return self.state is Lifecycle.STOPPED

    @property
    def masked_dsn(self) -> str:
        return mask_dsn(self.dsn)

    async def health_check(self, timeout: float = 2.0) -> bool:
        """True when a pooled connection answers ``SELECT 1`` within ``timeout``."""
        try:
            async with self.pool.acquire(timeout=timeout) as conn:
                return await conn.fetchval("SELECT 1", timeout=timeout) == 1
        except _CONNECT_ERRORS as exc:
            log.warning("database health check failed for %s: %s", self.masked_dsn, _first_line(exc))
            return False

    async def close(self) -> None:
        """Close the pool (waiting briefly for borrowed connections) and release the server."""
        if self.state.ending:
            return
        self.state = Lifecycle.STOPPED
        try:
            await asyncio.wait_for(self.pool.close(), 10)
        except (asyncio.TimeoutError, TimeoutError):
            log.warning("database pool did not close within 10 s; terminating its connections")
            self.pool.terminate()
        finally:
            if self.embedded is not None:
                await self.embedded.stop_async()


async def connect_dsn(
    dsn: str, *, migrate: bool = False, min_size: int = POOL_MIN_SIZE, max_size: int = POOL_MAX_SIZE,
    timeout: float = CONNECT_TIMEOUT_S, progress: Progress = _silent,
) -> Database:
    """A ``Database`` on an explicit DSN (external servers, tests); migrates first if asked."""
    if urlsplit(dsn).scheme not in ("postgresql", "postgres"):
        raise DatabaseConfigurationError(f"not a PostgreSQL URL: {mask_dsn(dsn)}")
    await ensure_reachable(dsn, timeout)
    if migrate:
        from desktop_app.database.migrate import upgrade_to_head

        progress("Applying migrations…")
        await upgrade_to_head(dsn)
    progress("Opening the connection pool…")
    try:
        pool = await asyncio.wait_for(
            asyncpg.create_pool(
                dsn, min_size=min_size, max_size=max_size, timeout=timeout,
                server_settings=SERVER_SETTINGS,
            ),
            timeout * 3,
        )
    except _CONNECT_ERRORS as exc:
        raise configuration_error(dsn, exc, timeout) from None
    return Database(dsn=dsn, pool=pool)
