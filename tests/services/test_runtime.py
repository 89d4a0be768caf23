"""The app runtime: what each mode starts, the one stop order, and that a failure at any step
leaves nothing running (no pool, no server, no embedded PostgreSQL, no signal handler)."""

from __future__ import annotations

import ast
import asyncio
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from desktop_app.api.server import ApiBindError, bind_socket
from desktop_app.config import Settings
from desktop_app.errors import DatabaseConfigurationError, MissingCredentialsError
from desktop_app.feeds.basket import find_resource
from desktop_app.feeds.spec import FeedSpec
from desktop_app.lifecycle import Lifecycle
from desktop_app.services.metrics import MetricsBindError
from desktop_app.services.runtime import Mode, Runtime
from tests.support.unreachable_database import unreachable_dsn

SAMPLE = find_resource("sample_replay.jsonl")
PACKAGE = Path(__file__).resolve().parents[2] / "desktop_app"


def record_stops(order: list[str], name: str, obj: Any, method: str = "stop") -> None:
    """Note when ``obj.<method>`` runs (the real method still does the work)."""
    original = getattr(obj, method)

    async def noted(*args: Any, **kwargs: Any) -> Any:
        order.append(name)
        return await original(*args, **kwargs)

    setattr(obj, method, noted)


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path, database_url=database_url, flush_interval_s=0.2)


async def test_record_mode_starts_every_part_and_stops_them_in_the_documented_order(settings: Settings) -> None:
    order: list[str] = []
    async with Runtime(settings, Mode.RECORD, feed=FeedSpec("replay", SAMPLE, speed=None)) as runtime:
        assert await runtime.open_database_or_journal() is None
        pipeline = await runtime.start_pipeline()
        metrics = await runtime.start_metrics(("127.0.0.1", 0))
        assert metrics is not None and accepts_connections(metrics.port)
        assert runtime.state is Lifecycle.RUNNING and pipeline.state is Lifecycle.RUNNING
        database = runtime.database
        assert database is not None
        record_stops(order, "pipeline", pipeline)
        record_stops(order, "delivery", runtime.delivery)
        record_stops(order, "metrics", metrics)
        record_stops(order, "database", database, "close")
        await runtime.wait(until=pipeline.wait_finished())
    assert order == ["pipeline", "delivery", "metrics", "database"]
    assert runtime.stopped and pipeline.state is Lifecycle.STOPPED and pipeline.writer.state is Lifecycle.STOPPED
    assert database._closed and database.pool.is_closing()
    assert runtime.delivery is not None and runtime.delivery._task is not None and runtime.delivery._task.done()
    assert not accepts_connections(metrics.port)
    assert pipeline.writer.metrics().pending == 0 and sum(pipeline.writer.metrics().rows_written.values()) > 0


async def test_an_unusable_database_stops_the_run_before_anything_starts(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)  # (SIGINT: asyncio.run restores its own)
    runtime = Runtime(Settings(home=tmp_path, database_url=unreachable_dsn()), Mode.BACKFILL)
    with pytest.raises(DatabaseConfigurationError, match="connection refused"):
        async with runtime:
            await runtime.open_database()
    assert runtime.stopped and runtime.database is None
    assert signal.getsignal(signal.SIGTERM) == before


async def test_a_feed_that_cannot_start_is_stopped_with_what_it_opened(settings: Settings) -> None:
    runtime = Runtime(settings, Mode.RECORD, feed=FeedSpec("ssi"))  # no SSI credentials
    with pytest.raises(MissingCredentialsError):
        async with runtime:
            await runtime.open_database_or_journal()
            await runtime.start_pipeline()
    assert runtime.pipeline is not None and runtime.pipeline.state is Lifecycle.STOPPED
    assert runtime.pipeline.writer.state is Lifecycle.STOPPED  # the writer's threads are released
    assert runtime.delivery is None
    assert runtime.database is not None and runtime.database._closed


async def test_a_metrics_port_in_use_stops_pipeline_delivery_and_database_in_order(settings: Settings) -> None:
    order: list[str] = []
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        runtime = Runtime(settings, Mode.RECORD, feed=FeedSpec("replay", SAMPLE, speed=None))
        with pytest.raises(MetricsBindError):
            async with runtime:
                await runtime.open_database_or_journal()
                pipeline = await runtime.start_pipeline()
                record_stops(order, "pipeline", pipeline)
                record_stops(order, "delivery", runtime.delivery)
                record_stops(order, "database", runtime.database, "close")
                await runtime.start_metrics(("127.0.0.1", busy.getsockname()[1]))
    assert order == ["pipeline", "delivery", "database"]
    assert runtime.metrics is None and runtime.stopped


async def test_an_api_that_cannot_listen_closes_the_database(settings: Settings) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        async def start(_database: Any) -> Any:
            return bind_socket("127.0.0.1", port)

        runtime = Runtime(settings, Mode.SERVE_API)
        with pytest.raises(ApiBindError):
            async with runtime:
                await runtime.open_database()
                await runtime.start_api(start)
    assert runtime.api is None and runtime.database is not None and runtime.database._closed


async def test_a_stop_signal_ends_a_headless_run_and_the_handler_is_removed(settings: Settings) -> None:
    before = signal.getsignal(signal.SIGTERM)
    async with Runtime(settings, Mode.BACKFILL) as runtime:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(runtime.wait(), 10)
        assert runtime.stop_requested.is_set()
    assert signal.getsignal(signal.SIGTERM) == before


async def test_a_stopped_runtime_cannot_be_started_again(settings: Settings) -> None:
    runtime = Runtime(settings, Mode.BACKFILL)
    await runtime.stop()
    await runtime.stop()  # idempotent
    with pytest.raises(RuntimeError, match="stopped"):
        await runtime.open_database()


@pytest.fixture
def fresh_home() -> Iterator[Path]:
    # Not tmp_path: as root the embedded server's user must traverse the parents (see test_embedded).
    path = Path(tempfile.mkdtemp(prefix="stock-tracker-runtime-home-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
async def test_the_embedded_server_started_by_a_failed_run_is_stopped(fresh_home: Path) -> None:
    from desktop_app.database.embedded import EmbeddedPostgres

    settings = Settings(home=fresh_home)  # no database URL: the embedded server
    pid_file = settings.embedded_dir / "postmaster.pid"
    runtime = Runtime(settings, Mode.GUI, feed=FeedSpec("ssi"))
    steps: list[str] = []
    with pytest.raises(MissingCredentialsError):
        async with runtime:
            await runtime.open_database(steps.append)
            assert EmbeddedPostgres(settings.embedded_dir).is_running() and pid_file.exists()
            await runtime.start_pipeline(steps.append)
    assert steps[:2] == ["Starting embedded PostgreSQL…", "Applying migrations…"]
    assert not EmbeddedPostgres(settings.embedded_dir).is_running()
    assert not pid_file.exists()


# ---------------------------------------------------------------------- one start-up sequence


def _calls(path: Path) -> Iterator[str]:
    """Dotted names of everything called in a module (docstrings and comments do not count)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            yield ast.unparse(node.func)


def _callers(*names: str, skip: tuple[str, ...] = ("bench",)) -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.split("/")[0] in skip:
            continue
        if any(call.endswith(name) for call in _calls(path) for name in names):
            found.add(relative)
    return found


def test_only_the_runtime_opens_the_database_and_handles_stop_signals() -> None:
    # the benchmarks (desktop_app/bench) open their own database as a library user would
    assert _callers("Database.open") == {"services/runtime.py"}
    assert _callers("start_async") == {"database/connection.py"}
    assert _callers("add_signal_handler", "signal.signal") == {"services/stop_signals.py"}
    assert _callers("stop_on_signals") == {"services/runtime.py", "ui/app.py"}  # headless modes; the window


def test_every_mode_goes_through_the_runtime() -> None:
    assert _callers("Runtime", "AppRuntime") >= {
        "services/record.py", "services/backfill.py", "api/server.py", "ui/app.py",
    }
