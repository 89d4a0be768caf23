"""One app runtime: what a run starts, in which order, and how it stops — for every mode.

The GUI, ``record``, ``backfill`` and ``serve-api`` are modes of one app. Each starts a subset of
the same parts, always in this order::

    database -> price-alert rules -> pipeline (feed, processor, writer) -> alert delivery
             -> metrics server -> API server

and stops them in one fixed order, whatever failed and wherever::

    feed closed -> writer flushed (``Pipeline.stop``) -> alert delivery (bounded wait)
             -> metrics server -> API server -> pool closed -> embedded server stopped

Each part is stopped only if it was started, each stop is attempted even when an earlier one
failed (the failure is logged and re-raised once everything is down), so a failure at any step
leaves nothing running: no pool, no embedded PostgreSQL.

=============  ========  ========  ========  ========  =======  ===
mode           database  pipeline  rules     delivery  metrics  API
=============  ========  ========  ========  ========  =======  ===
gui            strict    yes       yes       yes       --       --
record         retrying  yes       yes       yes       option   --
backfill       strict    --        --        --        --       --
serve-api      strict    --        --        --        option   yes
=============  ========  ========  ========  ========  =======  ===

"strict": an unusable database raises ``DatabaseConfigurationError`` (exit 2 / the start-up
screen says why); "retrying": ``record`` records to the journal meanwhile and keeps trying.
Headless modes turn SIGINT/SIGTERM into ``stop_requested`` (``stop_on_signals``); the GUI routes
them to its window.
"""

from __future__ import annotations

import asyncio
import logging
from enum import Enum
from typing import Any, Awaitable, Callable, Protocol

from desktop_app.config import Settings
from desktop_app.database.connection import POOL_MAX_SIZE, POOL_MIN_SIZE, Database
from desktop_app.errors import DatabaseConfigurationError
from desktop_app.feeds.spec import FeedSpec
from desktop_app.lifecycle import Lifecycle
from desktop_app.services.alert_delivery import AlertDeliveryService, configured_channels, opened_pool_of
from desktop_app.services.metrics import MetricsServer, start_metrics_server
from desktop_app.services.pipeline import Pipeline
from desktop_app.services.price_alert_rules import PriceAlertRuleService, load_rules_for_recording
from desktop_app.services.stop_signals import stop_on_signals

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


def _silent(_text: str) -> None:
    """Progress nobody watches (the headless modes)."""


class Mode(Enum):
    """The ways the app runs (one per command)."""

    GUI = "gui"
    RECORD = "record"
    BACKFILL = "backfill"
    SERVE_API = "serve-api"


# (min, max) pool connections: the one-shot commands need two at most.
_POOL_SIZES = {Mode.GUI: (POOL_MIN_SIZE, POOL_MAX_SIZE), Mode.RECORD: (POOL_MIN_SIZE, POOL_MAX_SIZE),
               Mode.BACKFILL: (1, 2), Mode.SERVE_API: (1, 2)}


class Stoppable(Protocol):
    """A running server (metrics, API): ``stop()`` finishes in-flight work and releases it."""

    async def stop(self) -> None: ...


class ReconnectingDatabase:
    """``record``'s pool provider: opens the database on first use and again after a failed open.

    The writer calls it before each attempt (its backoff paces the retries), so a database that
    was down at start is picked up as soon as it answers; migrations run before the first write.
    """

    def __init__(self, settings: Settings, database: Database | None = None) -> None:
        self._settings = settings
        self.database = database
        self.last_error: str | None = None

    async def __call__(self) -> Any:
        if self.database is None:
            try:
                self.database = await Database.open(self._settings, migrate=True)
            except DatabaseConfigurationError as exc:
                self.last_error = str(exc)
                raise
            if self.last_error is not None:  # only news after a failed attempt
                log.warning("database is reachable again: %s", self.database.masked_dsn)
            self.last_error = None
        return self.database.pool

    async def close(self) -> None:
        if self.database is not None:
            await self.database.close()
            self.database = None


class Runtime:
    """One run of the app in one ``Mode``: owns every part it started, and stops them in order.

    Use it as ``async with Runtime(settings, mode) as runtime:`` (stops on exit, error or not),
    or call ``stop()`` yourself (the GUI's two-phase close).
    """

    def __init__(self, settings: Settings, mode: Mode, *, feed: FeedSpec | None = None,
                 feed_source: Any = None) -> None:
        """``feed_source``: an already-built Feed to use instead of the spec's (benchmarks, tests)."""
        self.settings = settings
        self.mode = mode
        self.feed_spec = feed
        self.feed_source = feed_source
        self.state = Lifecycle.NEW
        self.database: Database | None = None
        self.provider: ReconnectingDatabase | None = None  # record: the retrying database
        self.pipeline: Pipeline | None = None
        self.delivery: AlertDeliveryService | None = None
        self.price_rules: PriceAlertRuleService | None = None
        self.metrics: MetricsServer | None = None
        self.api: Stoppable | None = None
        self.stop_requested = asyncio.Event()  # SIGINT/SIGTERM in the headless modes
        self._restore_signals: Callable[[], None] | None = None
        self._stop_errors: list[BaseException] = []
        self._delivery_stopped = False

    @property
    def stopped(self) -> bool:
        return self.state is Lifecycle.STOPPED

    # ------------------------------------------------------------------ context manager
    async def __aenter__(self) -> "Runtime":
        self._starting()
        if self.mode is not Mode.GUI:  # the GUI routes signals to its window (ui/app.py)
            self._restore_signals = stop_on_signals(asyncio.get_running_loop(), self.stop_requested.set)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_rest: object) -> None:
        await self.stop()
        if exc_type is None and self._stop_errors:
            raise self._stop_errors[0]

    def _starting(self) -> None:
        if self.state.ending:
            raise RuntimeError("this runtime has been stopped; start a new one")
        if self.state is Lifecycle.NEW:
            self.state = Lifecycle.STARTING

    # ------------------------------------------------------------------ start steps
    async def open_database(self, progress: Progress = _silent) -> Database:
        """Start the embedded server if needed, migrate, open the pool (``Database.open``).

        An unusable database raises ``DatabaseConfigurationError``; nothing is left running.
        """
        self._starting()
        min_size, max_size = _POOL_SIZES[self.mode]
        self.database = await Database.open(self.settings, migrate=True, min_size=min_size,
                                            max_size=max_size, progress=progress)
        return self.database

    async def open_database_or_journal(self) -> str | None:
        """``record``: open the database if it answers; if not, return why (rows go to the
        journal meanwhile and the writer keeps trying)."""
        self._starting()
        self.provider = ReconnectingDatabase(self.settings)
        try:
            await self.provider()
        except DatabaseConfigurationError as exc:
            return str(exc)
        self.database = self.provider.database
        return None

    def _pool_source(self) -> Any:
        """What the writer, rules and delivery read the pool through (a Database or a provider)."""
        if self.provider is not None:
            return self.provider
        if self.database is None:
            raise RuntimeError("open the database before starting the pipeline")
        return self.database

    async def start_pipeline(self, progress: Progress = _silent, *, settings: Settings | None = None) -> Pipeline:
        """Price-alert rules, then feed -> processor -> writer, then alert delivery.

        The rules are loaded before the first message (a database that is down only means no user
        rules yet); delivery reads committed alerts, never in the ingest path.
        """
        self._starting()
        if self.feed_spec is None:
            raise RuntimeError(f"mode {self.mode.value} has no feed")
        settings = settings or self.settings
        source = self._pool_source()
        # record's delivery follows the provider's pool once IT opened the database (no race)
        alert_pool = opened_pool_of(source) if self.provider is not None else source
        progress(f"Connecting feed ({self.feed_spec.describe()})…")
        pipeline = Pipeline(settings, self.feed_spec, source, feed=self.feed_source)
        self.pipeline = pipeline  # set first: a start that fails half-way is still stopped
        await load_rules_for_recording(alert_pool, pipeline.processor.price_alerts)
        await pipeline.start()
        self.delivery = AlertDeliveryService(settings.delivery, alert_pool, configured_channels(settings))
        await self.delivery.start()
        self.price_rules = PriceAlertRuleService(alert_pool, pipeline.processor.price_alerts)
        self.state = Lifecycle.RUNNING
        return pipeline

    async def start_metrics(self, address: tuple[str, int] | None, *, database: Any = None) -> MetricsServer | None:
        """Prometheus ``/metrics`` and ``/healthz`` on ``address`` (None: not asked for)."""
        self._starting()
        if address is None:
            return None
        if database is None:
            database = opened_pool_of(self.provider) if self.provider is not None else self.database
        self.metrics = await start_metrics_server(address[1], host=address[0], database=database,
                                                  pipeline=self.pipeline, delivery=self.delivery)
        return self.metrics

    async def start_api(self, start: Callable[[Database], Awaitable[Stoppable]]) -> Stoppable:
        """The API server, built by the API layer (``start``) on this run's database."""
        self._starting()
        if self.database is None:
            raise RuntimeError("open the database before starting the API")
        self.api = await start(self.database)
        self.state = Lifecycle.RUNNING
        return self.api

    async def wait(self, *, duration_s: float | None = None, until: Awaitable[Any] | None = None) -> None:
        """Until a stop signal, ``duration_s`` seconds, or ``until`` completes — whichever is first."""
        waiters = [asyncio.ensure_future(self.stop_requested.wait())]
        if until is not None:
            waiters.append(asyncio.ensure_future(until))
        try:
            await asyncio.wait(waiters, timeout=duration_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    # ------------------------------------------------------------------ stop, in one order
    async def _stop_part(self, what: str, stop: Callable[[], Awaitable[Any]]) -> None:
        try:
            await stop()
        except Exception as exc:  # noqa: BLE001 - logged and re-raised by __aexit__; the rest still stops
            log.exception("%s failed", what)
            self._stop_errors.append(exc)

    async def stop_ingest(self, progress: Progress = _silent) -> None:
        """The first half of ``stop()``: feed closed, writer flushed, delivery's bounded wait."""
        if self.pipeline is not None and not self.pipeline.state.ending:
            progress("Saving the last trades…")
            await self._stop_part("stopping the pipeline", self.pipeline.stop)
        if self.delivery is not None and not self._delivery_stopped:  # after the last flush
            self._delivery_stopped = True  # its alerts get a bounded chance (exit_wait_s)
            progress("Sending the last alerts…")
            await self._stop_part("stopping alert delivery", self.delivery.stop)

    async def stop(self, progress: Progress | None = None) -> None:
        """Stop everything that was started, in the documented order. Idempotent."""
        if self.state.ending:
            return
        self.state = Lifecycle.STOPPING
        say = progress or _silent
        try:
            await self.stop_ingest(say)
            if self.metrics is not None:
                await self._stop_part("stopping the metrics server", self.metrics.stop)
            if self.api is not None:
                await self._stop_part("stopping the API server", self.api.stop)
            if self.provider is not None:
                say("Closing the database…")
                await self._stop_part("closing the database", self.provider.close)
            elif self.database is not None:
                say("Closing the database…")
                await self._stop_part("closing the database", self.database.close)
        finally:
            if self._restore_signals is not None:
                self._restore_signals()
                self._restore_signals = None
            self.state = Lifecycle.STOPPED
