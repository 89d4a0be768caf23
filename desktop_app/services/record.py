"""``stock-tracker record``: the pipeline without a window, then one JSON summary line on stdout.

Stops at the end of the feed (a replay file), after ``--duration`` seconds, or on SIGINT/SIGTERM;
in every case the writer flushes everything before the summary is printed.

Database unreachable (at start or later): nothing is lost. The run goes on, the writer spills
batches to the journal under the data dir and keeps trying to connect (with backoff); whatever
is still in the journal at the end is reported as ``pending`` and written at the next start.
Rows stored by an earlier run of the same origin (a restart's catch-up, a recording imported
again) are not written again; ``skipped_stored`` counts them per table.
Exit codes: 0 when everything reached the database; 1 when rows are pending, were dropped (the
journal's disk budget ran out) or the feed failed — with a one-line reason on stderr. The summary
line is printed in every case.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Any

import orjson

from desktop_app.config import Settings
from desktop_app.errors import DatabaseConfigurationError
from desktop_app.feeds.spec import FeedSpec
from desktop_app.services.alert_delivery import AlertDeliveryService, configured_channels, opened_pool_of
from desktop_app.services.metrics import start_metrics_server
from desktop_app.services.price_alert_rules import load_rules_for_recording
from desktop_app.services.pipeline import Pipeline
from desktop_app.services.stop_signals import stop_on_signals
from desktop_app.speedups import tune_gc_for_streaming

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1


class ReconnectingDatabase:
    """A pool provider that opens the database on first use and again after a failed open.

    The writer calls it before each attempt (its backoff paces the retries), so a database that
    was down at start is picked up as soon as it answers; migrations run before the first write.
    """

    def __init__(self, settings: Settings, database: Any = None) -> None:
        self._settings = settings
        self.database = database
        self.last_error: str | None = None

    async def __call__(self):
        if self.database is None:
            from desktop_app.database.connection import Database

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


def summary(pipeline: Pipeline, started: float) -> dict[str, Any]:
    c = pipeline.processor.counters
    m = pipeline.writer.metrics()
    lag = pipeline.loop_lag.overall()
    return {
        "messages": pipeline.counters.messages,
        "rejected": pipeline.counters.rejected,
        "trades": c.trades,
        "quotes": c.quotes,
        "foreign_snapshots": c.foreign_snapshots,
        "index_values": c.index_values,
        "basis_points": c.basis_points,
        "alerts": c.alerts,
        "written": {t: m.rows_written.get(t, 0) for t in ("trades", "foreign_snapshots", "basis_history", "alerts")},
        "pending": m.pending,
        "journal_replayed": m.journal_replayed,
        "dropped": m.dropped,
        "loop_lag_ms": lag.as_dict(),
        "rejected_by_kind": dict(sorted(pipeline.counters.rejected_by_kind.items())),
        "duplicates": c.duplicates,
        "out_of_order": c.out_of_order,
        "spilled_batches": m.spilled_batches,
        "quarantined": m.quarantined,
        "flushes": m.flushes,
        "failed_flushes": m.failed_flushes,
        "skipped_stored": {t: m.skipped_stored.get(t, 0)
                           for t in ("trades", "foreign_snapshots", "basis_history", "alerts")},
        "duration_s": round(time.monotonic() - started, 3),
    }


async def run_record(settings: Settings, feed: FeedSpec, duration_s: float | None,
                     metrics_address: tuple[str, int] | None = None) -> int:
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    restore_signals = stop_on_signals(loop, stop_requested.set)

    provider = ReconnectingDatabase(settings)
    try:
        await provider()
    except DatabaseConfigurationError as exc:
        print(f"stock-tracker: {exc}; recording to the journal {settings.journal_dir} meanwhile",
              file=sys.stderr)

    pipeline = Pipeline(settings, feed, provider)
    # alert push (Telegram/webhook): reads committed alerts, never in the ingest path
    delivery = AlertDeliveryService(settings.delivery, opened_pool_of(provider), configured_channels(settings))
    await load_rules_for_recording(opened_pool_of(provider), pipeline.processor.price_alerts)
    metrics = None if metrics_address is None else await start_metrics_server(
        metrics_address[1], host=metrics_address[0], database=opened_pool_of(provider), pipeline=pipeline,
        delivery=delivery)
    try:
        try:
            await pipeline.start()
        except BaseException:
            await pipeline.stop()
            raise
        tune_gc_for_streaming()  # an entry point: the process is ours (see speedups)
        await delivery.start()
        waiters = [asyncio.ensure_future(pipeline.wait_finished()), asyncio.ensure_future(stop_requested.wait())]
        try:
            await asyncio.wait(waiters, timeout=duration_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
        await pipeline.stop()
        await delivery.stop()  # bounded: settings.delivery.exit_wait_s; the rest stays pending
        result = summary(pipeline, started)
        result.update(delivery.summary())
        print(orjson.dumps(result).decode(), flush=True)
    finally:
        restore_signals()
        if metrics is not None:
            await metrics.stop()
        await provider.close()

    problems = []
    if pipeline.error is not None:
        problems.append(f"the feed failed: {pipeline.error}")
    if result["dropped"]:
        problems.append(f"{result['dropped']} rows were dropped: the journal's disk budget is exhausted")
    if result["pending"]:
        reason = f" ({provider.last_error})" if provider.last_error else ""
        problems.append(
            f"{result['pending']} rows could not be written to the database{reason}; they are kept in "
            f"{settings.journal_dir} and will be written at the next start"
        )
    if problems:
        print(f"stock-tracker: record: {'; '.join(problems)} (details in {settings.log_file})", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
