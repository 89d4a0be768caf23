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

Start-up and shutdown are the app runtime's (``services/runtime.py``, mode ``record``): this module
only decides what to wait for and what to report.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson

from desktop_app.config import Settings
from desktop_app.feeds.spec import FeedSpec
from desktop_app.services.pipeline import Pipeline
from desktop_app.services.runtime import Mode, Runtime
from desktop_app.speedups import tune_gc_for_streaming

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1


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
    async with Runtime(settings, Mode.RECORD, feed=feed) as runtime:
        unreachable = await runtime.open_database_or_journal()
        if unreachable is not None:
            print(f"stock-tracker: {unreachable}; recording to the journal {settings.journal_dir} meanwhile",
                  file=sys.stderr)
        pipeline = await runtime.start_pipeline()
        tune_gc_for_streaming()  # an entry point: the process is ours (see speedups)
        await runtime.start_metrics(metrics_address)
        await runtime.wait(duration_s=duration_s, until=pipeline.wait_finished())
        await runtime.stop_ingest()  # feed closed, writer flushed, delivery's bounded wait
        assert runtime.delivery is not None and runtime.provider is not None
        result = summary(pipeline, started)
        result.update(runtime.delivery.summary())
        print(orjson.dumps(result).decode(), flush=True)
    provider = runtime.provider

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
