"""Test-wide setup and the PostgreSQL fixtures.

Environment (set before anything imports the app):
* ``QT_QPA_PLATFORM=offscreen`` for the pytest-qt UI tests;
* ``STOCK_TRACKER_HOME`` = a fresh temporary dir, so tests never touch the user's data dir;
* ``STOCK_TRACKER_DATABASE_URL`` is removed, so no test writes into a configured database.

PostgreSQL server for the session, first match wins:
1. ``STOCK_TRACKER_TEST_DATABASE_URL`` — an admin DSN of an external server (CREATE DATABASE rights);
2. testcontainers ``PostgresContainer`` when a Docker engine answers (probed quickly; skipped
   cleanly when Docker is absent);
3. the app's embedded PostgreSQL (``desktop_app.database.embedded``), started once per session
   under a temporary home.
A template database migrated to head is created once per session; each test that asks for a
database gets ``CREATE DATABASE test_x TEMPLATE …`` (fast) and it is dropped afterwards.

Fixtures:
* ``pg_admin_dsn`` (session): DSN of the server's ``postgres`` database, superuser.
* ``database_url`` (function): DSN of a fresh database migrated to head.
* ``empty_database_url`` (function): DSN of a fresh database with NO schema (migration tests).
* ``db`` (function): a connected ``desktop_app.database.connection.Database`` on ``database_url``
  (pool min 1 / max 5 to stay light), closed after the test.
* ``pool`` (function): ``db.pool``.
* ``pg_server_control`` (session, embedded path only — skips otherwise): ``stop_immediate()``
  (``pg_ctl stop -m immediate``: a crash-like outage) and ``start()`` (same host/port again), plus
  ``is_running()``. Tests that stop the server must start it again before they finish.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ["QT_QPA_PLATFORM"] = "offscreen"
_TEST_HOME = tempfile.mkdtemp(prefix="stock-tracker-test-home-")
atexit.register(shutil.rmtree, _TEST_HOME, True)
os.environ["STOCK_TRACKER_HOME"] = _TEST_HOME
os.environ.pop("STOCK_TRACKER_DATABASE_URL", None)

import gc  # noqa: E402
import logging  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import AsyncIterator, Iterator  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

import asyncpg  # noqa: E402
import pytest  # noqa: E402

log = logging.getLogger("tests.conftest")

ENV_TEST_DATABASE_URL = "STOCK_TRACKER_TEST_DATABASE_URL"
_SESSION_CONTROL: dict[str, "PgServerControl"] = {}


def with_database(dsn: str, name: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(autouse=True)
def _collector_never_frozen() -> Iterator[None]:
    """Only the app's entry points tune the garbage collector; a test that froze pytest's fails."""
    yield
    assert gc.get_freeze_count() == 0, "this test froze the garbage collector (speedups.tune_gc_for_streaming)"


@dataclass
class PgServerControl:
    """Stop/start the embedded test server to simulate database outages."""

    embedded: "object"

    def stop_immediate(self) -> None:
        self.embedded.stop_immediate()  # type: ignore[attr-defined]

    def start(self) -> None:
        self.embedded.restart()  # type: ignore[attr-defined]

    def is_running(self) -> bool:
        return self.embedded.is_running()  # type: ignore[attr-defined]


@dataclass
class _Server:
    admin_dsn: str
    control: PgServerControl | None


def _docker_answers() -> bool:
    """True only when a Docker engine is reachable (a quick probe, never raises)."""
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:  # any failure means "no usable Docker": fall through to embedded
        log.info("Docker not usable for tests: %s", exc)
        return False


@pytest.fixture(scope="session")
def _pg_server() -> Iterator[_Server]:
    external = os.environ.get(ENV_TEST_DATABASE_URL)
    if external:
        yield _Server(external, None)
        return
    if _docker_answers():
        try:
            from testcontainers.postgres import PostgresContainer

            container = PostgresContainer("postgres:16-alpine", driver=None)
            container.start()
        except Exception as exc:
            log.warning("testcontainers PostgreSQL failed to start (%s); using the embedded server", exc)
        else:
            try:
                yield _Server(container.get_connection_url(), None)
            finally:
                container.stop()
            return
    from desktop_app.database.embedded import EmbeddedPostgres

    home = Path(tempfile.mkdtemp(prefix="stock-tracker-test-pg-"))
    embedded = EmbeddedPostgres(home / "pgdata", durable=False)
    info = embedded.start()
    control = PgServerControl(embedded)
    _SESSION_CONTROL["control"] = control
    try:
        yield _Server(info.dsn("postgres"), control)
    finally:
        embedded.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin_dsn(_pg_server: _Server) -> str:
    return _pg_server.admin_dsn


@pytest.fixture(scope="session")
def pg_server_control(_pg_server: _Server) -> PgServerControl:
    if _pg_server.control is None:
        pytest.skip("pg_server_control needs the embedded test server")
    return _pg_server.control


async def _admin(pg_admin_dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(pg_admin_dsn, timeout=10)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def _template_database(pg_admin_dsn: str) -> AsyncIterator[str]:
    """A database migrated to head, cloned for every test (created once per session)."""
    from desktop_app.database.migrate import upgrade_to_head

    name = f"tmpl_stock_tracker_{uuid.uuid4().hex[:8]}"
    await _admin(pg_admin_dsn, f'CREATE DATABASE "{name}"')
    await upgrade_to_head(with_database(pg_admin_dsn, name))
    yield name
    await _admin(pg_admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _fresh_database(pg_admin_dsn: str, template: str) -> str:
    control = _SESSION_CONTROL.get("control")
    if control is not None and not control.is_running():
        log.warning("a previous test left the embedded test server stopped; starting it again")
        control.start()
    name = f"test_{uuid.uuid4().hex[:12]}"
    await _admin(pg_admin_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


@pytest.fixture
async def database_url(pg_admin_dsn: str, _template_database: str) -> AsyncIterator[str]:
    name = await _fresh_database(pg_admin_dsn, _template_database)
    yield with_database(pg_admin_dsn, name)
    await _admin(pg_admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def empty_database_url(pg_admin_dsn: str) -> AsyncIterator[str]:
    name = await _fresh_database(pg_admin_dsn, "template0")
    yield with_database(pg_admin_dsn, name)
    await _admin(pg_admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(database_url: str) -> AsyncIterator["object"]:
    from desktop_app.database.connection import connect_dsn

    database = await connect_dsn(database_url, migrate=False, min_size=1, max_size=5)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def pool(db) -> asyncpg.Pool:  # type: ignore[no-untyped-def]
    return db.pool
