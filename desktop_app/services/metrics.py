"""Prometheus metrics and ``/healthz`` for a headless recorder (``record`` / ``serve-api``
``--metrics-port P``), served by uvicorn on the app's own loop.

Nothing is counted twice and nothing is added to the hot path: a collector reads the figures the
pipeline, the writer and the alert delivery already keep, at scrape time. The one figure they do
not keep — when the last feed message arrived — is sampled every ``SAMPLE_S`` from the message
counter (so "seconds since the last message" has that resolution).

``GET /healthz``: 200 while the feed is live (or replaying) and the database answers
``SELECT 1`` within ``HEALTH_TIMEOUT_S``; 503 otherwise. The body says which part is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterator

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from desktop_app.errors import ConfigurationError

log = logging.getLogger(__name__)

SAMPLE_S = 0.5
HEALTH_TIMEOUT_S = 2.0
LIVE_FEED_STATES = ("live", "replay")
FEED_STATES = ("connecting", "live", "reconnecting", "replay", "ended", "failed")


class MetricsBindError(ConfigurationError):
    """The metrics port cannot be listened on (in use, not permitted): exit 2 with one line."""


async def database_answers(database: Any, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    """True when ``SELECT 1`` comes back in time (a Database, a pool, or an async pool provider)."""
    try:
        async def probe() -> None:
            pool = database.pool if hasattr(database, "pool") else (
                await database() if callable(database) else database)
            await pool.fetchval("SELECT 1")

        await asyncio.wait_for(probe(), timeout_s)
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable" for a health check
        log.debug("health check: database not reachable: %s", exc)
        return False


@dataclass
class _LastMessage:
    """Samples the pipeline's message counter to date the last message."""

    count: int = -1
    at: float = field(default_factory=time.monotonic)

    def sample(self, count: int) -> None:
        if count != self.count:
            self.count, self.at = count, time.monotonic()


class RecorderCollector(Collector):
    """Everything the issue lists, read from a ``Pipeline`` and an ``AlertDeliveryService``."""

    def __init__(self, pipeline: Any = None, delivery: Any = None) -> None:
        self._pipeline = pipeline
        self._delivery = delivery
        self.last_message = _LastMessage()

    def collect(self) -> Iterator[Metric]:
        pipeline = self._pipeline
        if pipeline is not None:
            yield from self._pipeline_metrics(pipeline)
        if self._delivery is not None:
            yield from self._delivery_metrics(self._delivery)

    def _pipeline_metrics(self, pipeline: Any) -> Iterator[Metric]:
        counters = pipeline.counters
        yield CounterMetricFamily("stock_tracker_messages", "Feed messages received", value=counters.messages)
        rejected = CounterMetricFamily("stock_tracker_rejected", "Feed messages rejected, by kind", labels=["kind"])
        for kind, n in sorted(dict(counters.rejected_by_kind).items()):
            rejected.add_metric([kind], n)
        yield rejected
        m = pipeline.writer.metrics()
        written = CounterMetricFamily("stock_tracker_rows_written", "Rows committed, by table", labels=["table"])
        for table, n in sorted(m.rows_written.items()):
            written.add_metric([table], n)
        yield written
        latencies = sorted(pipeline.writer.flush_latencies_ms())
        flush = GaugeMetricFamily("stock_tracker_flush_latency_seconds",
                                  "Writer flush latency over the recent flushes", labels=["quantile"])
        for q in (0.5, 0.99, 1.0):
            value = latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1000 if latencies else 0.0
            flush.add_metric([str(q)], value)
        yield flush
        yield GaugeMetricFamily("stock_tracker_journal_bytes", "Spill journal size on disk", value=m.journal_bytes)
        yield GaugeMetricFamily("stock_tracker_pending_rows", "Rows not yet in the database", value=m.pending)
        yield CounterMetricFamily("stock_tracker_dropped_rows", "Rows lost to an exhausted journal budget",
                                  value=m.dropped)
        yield GaugeMetricFamily("stock_tracker_database_up", "1 while the writer reaches the database",
                                value=1 if m.database_up else 0)
        state = _feed_state(pipeline)
        feed = GaugeMetricFamily("stock_tracker_feed_state", "1 for the feed's current state", labels=["state"])
        for name in FEED_STATES:
            feed.add_metric([name], 1 if state == name else 0)
        yield feed
        self.last_message.sample(counters.messages)
        yield GaugeMetricFamily("stock_tracker_seconds_since_last_message", "Seconds since the last feed message",
                                value=round(time.monotonic() - self.last_message.at, 3))
        lag = pipeline.loop_lag.window()
        loop = GaugeMetricFamily("stock_tracker_event_loop_lag_seconds",
                                 "Event-loop lag over the last minute", labels=["quantile"])
        for q, value in (("0.5", lag.p50_ms), ("0.99", lag.p99_ms), ("1.0", lag.max_ms)):
            loop.add_metric([q], value / 1000)
        yield loop

    @staticmethod
    def _delivery_metrics(delivery: Any) -> Iterator[Metric]:
        pending = GaugeMetricFamily("stock_tracker_push_pending", "Alert deliveries not yet sent", labels=["channel"])
        failed = GaugeMetricFamily("stock_tracker_push_failed", "Alert deliveries refused for good",
                                   labels=["channel"])
        pushed = CounterMetricFamily("stock_tracker_pushed", "Alerts delivered in this run", labels=["channel"])
        for status in delivery.statuses():
            pending.add_metric([status.channel], status.pending)
            failed.add_metric([status.channel], status.failed)
            pushed.add_metric([status.channel], status.pushed)
        yield pending
        yield failed
        yield pushed


def _feed_state(pipeline: Any) -> str | None:
    try:
        state = pipeline.feed.state
    except RuntimeError:  # not started yet
        return None
    return getattr(state, "value", str(state))


def create_metrics_app(registry: CollectorRegistry, *, feed_live: Callable[[], bool] | None,
                       database_ok: Callable[[], Awaitable[bool]]) -> Starlette:
    """``/metrics`` (Prometheus text) and ``/healthz``; ``feed_live`` None = no feed to watch."""

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(_: Request) -> JSONResponse:
        live = True if feed_live is None else feed_live()
        database = await database_ok()
        body = {"status": "ok" if live and database else "unavailable", "database": database}
        if feed_live is not None:
            body["feed_live"] = live
        return JSONResponse(body, status_code=200 if live and database else 503)

    return Starlette(routes=[Route("/metrics", metrics), Route("/healthz", healthz)])


class _QuietServer(uvicorn.Server):
    """uvicorn that leaves the host command's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class MetricsServer:
    """A running metrics endpoint; ``await stop()`` ends it."""

    port: int
    _server: uvicorn.Server = field(repr=False)
    _tasks: list[asyncio.Task[Any]] = field(repr=False)

    async def stop(self) -> None:
        self._server.should_exit = True
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def start_metrics_server(
    port: int, *, database: Any, pipeline: Any = None, delivery: Any = None, host: str = "127.0.0.1",
) -> MetricsServer:
    """Serve ``/metrics`` and ``/healthz`` on ``host:port`` (port 0 = any free port)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise MetricsBindError(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from None
    registry = CollectorRegistry(auto_describe=False)
    collector = RecorderCollector(pipeline, delivery)
    registry.register(collector)

    def feed_live() -> bool:
        return _feed_state(pipeline) in LIVE_FEED_STATES

    app = create_metrics_app(registry, feed_live=feed_live if pipeline is not None else None,
                             database_ok=lambda: database_answers(database))
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, log_level="warning")
    server = _QuietServer(config)
    serve = asyncio.create_task(server.serve(sockets=[sock]), name="metrics-http")

    async def sample_messages() -> None:
        while pipeline is not None:
            collector.last_message.sample(pipeline.counters.messages)
            await asyncio.sleep(SAMPLE_S)

    tasks: list[asyncio.Task[Any]] = [serve, asyncio.create_task(sample_messages(), name="metrics-sampler")]
    while not server.started and not serve.done():
        await asyncio.sleep(0.01)
    if serve.done():
        sock.close()
        serve.result()
        raise MetricsBindError("metrics: the server stopped during start-up")
    actual = sock.getsockname()[1]
    log.info("metrics on http://%s:%d/metrics (health: /healthz)", host, actual)
    return MetricsServer(actual, server, tasks)


def add_health_route(app: Any, database: Any) -> None:
    """``GET /healthz`` on another Starlette/FastAPI app (``serve-api``): 200 while the database answers."""

    async def healthz(_: Request) -> JSONResponse:
        ok = await database_answers(database)
        return JSONResponse({"status": "ok" if ok else "unavailable", "database": ok},
                            status_code=200 if ok else 503)

    app.add_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
