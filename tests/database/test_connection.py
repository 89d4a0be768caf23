"""Connecting: the pool, health checks, Database.open, and one clear line for every unusable DSN."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from desktop_app.config import Settings
from desktop_app.database.connection import Database, connect_dsn, ensure_reachable
from desktop_app.database.migrate import head_revision
from desktop_app.errors import DatabaseConfigurationError

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD_S = 20  # a bound against hangs, not a speed goal


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with(dsn: str, *, user: str | None = None, password: str | None = None, database: str | None = None) -> str:
    parts = urlsplit(dsn)
    netloc = f"{user or parts.username}:{password if password is not None else parts.password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc, path="/" + (database or parts.path.strip("/"))))


@pytest.fixture
async def role_with_password(pg_admin_dsn: str) -> AsyncIterator[tuple[str, str]]:
    role, password = f"r_{uuid.uuid4().hex[:8]}", "right-password"
    conn = await asyncpg.connect(pg_admin_dsn)
    try:
        await conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        yield role, password
    finally:
        await conn.execute(f"DROP ROLE IF EXISTS {role}")
        await conn.close()


async def _config_error(dsn: str, timeout: float = 5.0) -> str:
    with pytest.raises(DatabaseConfigurationError) as caught:
        await asyncio.wait_for(connect_dsn(dsn, timeout=timeout), HANG_GUARD_S)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("cannot use the database ")
    return message


async def test_pool_answers_health_checks_until_closed(database_url: str) -> None:
    database = await connect_dsn(database_url, min_size=2, max_size=3)
    assert await database.health_check()
    assert database.pool.get_min_size() == 2 and database.pool.get_max_size() == 3
    assert await database.pool.fetchval("SELECT count(*) FROM trades") == 0
    await database.close()
    assert not await database.health_check()
    await database.close()  # idempotent


async def test_open_as_a_context_manager_closes_on_exit_and_on_error(database_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=database_url)
    steps: list[str] = []
    async with Database.open(settings, min_size=1, max_size=1, progress=steps.append) as database:
        assert await database.health_check()
    assert database._closed and not await database.health_check()
    assert steps == ["Connecting to PostgreSQL…", "Applying migrations…", "Opening the connection pool…"]

    with pytest.raises(LookupError):
        async with Database.open(settings, migrate=False, min_size=1, max_size=1) as failing:
            raise LookupError("the body failed")
    assert failing._closed and failing.pool.is_closing()


async def test_open_with_an_external_url_migrates_first(empty_database_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=empty_database_url)
    database = await Database.open(settings, min_size=1, max_size=2)
    try:
        assert database.embedded is None and await database.health_check()
        assert await database.pool.fetchval("SELECT version_num FROM alembic_version") == head_revision()
        password = urlsplit(empty_database_url).password
        if password:
            assert password not in database.masked_dsn and ":***@" in database.masked_dsn
    finally:
        await database.close()


async def test_unreachable_port(pg_admin_dsn: str) -> None:
    dsn = f"postgresql://someone:secret@127.0.0.1:{_free_port()}/stock_tracker"
    message = await _config_error(dsn)
    assert "connection refused" in message and "secret" not in message and "someone:***@" in message


async def test_wrong_password(pg_admin_dsn: str, role_with_password: tuple[str, str]) -> None:
    role, password = role_with_password
    await ensure_reachable(_with(pg_admin_dsn, user=role, password=password, database="postgres"))
    try:
        await ensure_reachable(_with(pg_admin_dsn, user=role, password="wrong", database="postgres"))
    except DatabaseConfigurationError as exc:
        assert "password authentication failed" in str(exc) and "wrong" not in str(exc)
    else:
        pytest.skip("this test server does not check passwords (trust auth)")


async def test_missing_database(pg_admin_dsn: str) -> None:
    message = await _config_error(_with(pg_admin_dsn, database="no_such_database_here"))
    assert 'database "no_such_database_here" does not exist' in message


async def test_a_server_that_never_answers_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept, then say nothing
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        message = await _config_error(f"postgresql://u:p@127.0.0.1:{port}/db", timeout=0.5)
        assert "no answer within 0.5 s" in message
    finally:
        server.close()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["refused", "missing_db"])
def test_cli_with_a_bad_url_exits_2_with_one_line(kind: str, pg_admin_dsn: str, tmp_path: Path) -> None:
    dsn = (f"postgresql://u:pw@127.0.0.1:{_free_port()}/db" if kind == "refused"
           else _with(pg_admin_dsn, database="no_such_database_here"))
    result = _cli("db", "current", env={"STOCK_TRACKER_DATABASE_URL": dsn, "STOCK_TRACKER_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stock-tracker: cannot use the database"), result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def fresh_home() -> Iterator[Path]:
    # Not tmp_path: as root the embedded server's user must traverse the parents (see test_embedded).
    path = Path(tempfile.mkdtemp(prefix="stock-tracker-cli-home-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
async def test_db_commands_work_headless_on_an_empty_home_and_the_app_reuses_the_cluster(
    fresh_home: Path,
) -> None:
    env = {"STOCK_TRACKER_HOME": str(fresh_home)}
    before = _cli("db", "url", env=env)
    assert before.returncode == 0 and "not created yet" in before.stdout
    upgraded = _cli("db", "upgrade", env=env)
    assert (upgraded.returncode, upgraded.stdout.strip()) == (0, f"database at head: {head_revision()}"), upgraded.stderr
    current = _cli("db", "current", env=env)
    assert (current.returncode, current.stdout.strip()) == (0, f"{head_revision()} (head)")
    url = _cli("db", "url", env=env).stdout.strip()
    assert url.startswith("postgresql://postgres:***@127.0.0.1:") and url.endswith(
        f"/stock_tracker (embedded, {fresh_home / 'pgdata'})")
    from desktop_app.database.embedded import EmbeddedPostgres

    assert not EmbeddedPostgres(fresh_home / "pgdata").is_running()  # each command stopped it again

    # the app (Database.open) starts the same cluster, finds it migrated, and stops it on close
    database = await Database.open(Settings(home=fresh_home), min_size=1, max_size=2)
    try:
        assert database.embedded is not None and database.embedded.is_running()
        assert f":{database.embedded.configured_port()}/" in url
        assert await database.pool.fetchval("SELECT version_num FROM alembic_version") == head_revision()
        assert await database.health_check()
    finally:
        await database.close()
    assert not database.embedded.is_running()


async def test_health_check_follows_a_server_outage(db, pg_server_control) -> None:  # type: ignore[no-untyped-def]
    assert await db.health_check()
    pg_server_control.stop_immediate()
    try:
        assert not pg_server_control.is_running()
        assert not await db.health_check()
    finally:
        pg_server_control.start()
    # the pool replaces its dead connections: the same Database works again
    for _ in range(10):
        if await db.health_check():
            break
    assert await db.health_check()
    assert await db.pool.fetchval("SELECT count(*) FROM alerts") == 0
