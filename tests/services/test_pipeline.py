"""The Pipeline in process: rejections logged once per kind, backpressure that spills, loop lag."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.config import Settings
from desktop_app.feeds.base import FeedState, FeedStateHolder
from desktop_app.feeds.spec import FeedSpec
from desktop_app.services.loop_lag import LoopLagMonitor
from desktop_app.services.pipeline import BURST_MAX, Pipeline
from tests.support.record_tapes import (
    envelope, fetch_volumes, record_env, run_record, trade_line, write_tape,
)
from tests.support.unreachable_database import unreachable_dsn, unreachable_pool


async def test_each_rejection_kind_is_counted_and_logged_once(db, tmp_path: Path, caplog) -> None:
    tape = tmp_path / "tape.jsonl"
    bad = ["not json"] * 3 + [envelope("ZZ", {"Symbol": "ACB"})] * 2
    write_tape(tape, 300, per_second=10, bad_lines=bad)
    settings = Settings(home=tmp_path / "home")
    pipeline = Pipeline(settings, FeedSpec("replay", tape, None), db)
    with caplog.at_level(logging.WARNING, logger="desktop_app.services.pipeline"):
        await pipeline.start()
        await pipeline.wait_finished()
        await pipeline.stop()
    assert pipeline.counters.rejected_by_kind == {"not_json": 3, "unknown_type": 2}
    logged = [r for r in caplog.records if "rejected a feed message" in r.getMessage()]
    assert len(logged) == 2
    assert pipeline.writer.metrics().rows_written["trades"] == 300
    assert await fetch_volumes(db.dsn) == list(range(1, 301))


async def test_a_fast_feed_with_the_database_down_spills_and_never_drops(tmp_path: Path) -> None:
    tape = tmp_path / "tape.jsonl"
    write_tape(tape, 3_000, per_second=100)
    settings = replace(Settings(home=tmp_path / "home"), queue_max=500)
    pool = await unreachable_pool()
    pipeline = Pipeline(settings, FeedSpec("replay", tape, None), pool)
    await pipeline.start()
    await pipeline.wait_finished()
    await pipeline.stop()
    await pool.close()
    metrics = pipeline.writer.metrics()
    assert metrics.dropped == 0
    assert metrics.journal_rows == 3_000 == metrics.pending
    assert max(metrics.queue_depths.values()) == 0


@pytest.mark.slow
async def test_database_unreachable_at_start_exits_1_keeps_the_rows_and_the_next_run_writes_them(
    database_url: str, tmp_path: Path
) -> None:
    tape = tmp_path / "tape.jsonl"
    write_tape(tape, 400, per_second=50)
    home = tmp_path / "home"
    code, summary, err = run_record(["--feed", "replay", "--replay", str(tape), "--speed", "max"],
                                    record_env(unreachable_dsn(), home))
    assert code == 1
    assert summary["pending"] == 400 and summary["dropped"] == 0
    assert "will be written at the next start" in err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, summary, err = run_record(["--feed", "replay", "--replay", str(empty), "--speed", "max"],
                                    record_env(database_url, home))
    assert code == 0, err
    assert summary["journal_replayed"] >= 1 and summary["written"]["trades"] == 400
    assert await fetch_volumes(database_url) == list(range(1, 401))


async def test_loop_lag_monitor_sees_a_stalled_loop() -> None:
    monitor = LoopLagMonitor(interval_s=0.01)
    monitor.start()
    await asyncio.sleep(0.05)
    time.sleep(0.2)  # a blocking call on the loop: exactly what the monitor must expose
    await asyncio.sleep(0.05)
    await monitor.stop()
    stats = monitor.overall()
    assert stats.samples >= 3
    assert stats.max_ms >= 150
    assert monitor.window().max_ms == stats.max_ms
    late, share = monitor.late_cpu_share()
    assert late >= 1 and share is not None and share < 0.5  # it slept: late, yet not running


def test_late_cpu_share_counts_only_samples_later_than_a_frame() -> None:
    monitor = LoopLagMonitor(interval_s=0.05)
    assert monitor.late_cpu_share() == (0, None)
    monitor.record_cpu(5.0, 0.055, 0.050)  # on time: not counted
    monitor.record_cpu(50.0, 0.100, 0.025)  # late, running a quarter of the time
    monitor.record_cpu(150.0, 0.200, 0.025, 0.06)  # another thread ran 60 ms of it
    late, share = monitor.late_cpu_share()
    assert late == 2 and share == pytest.approx(0.05 / 0.3)
    assert monitor.late_others_share() == pytest.approx(0.06 / 0.3)
    assert monitor.overall().samples == 3 and monitor.overall().max_ms == 150.0
    monitor.reset()
    assert monitor.late_cpu_share() == (0, None)


class _QuietAfterFeed(FeedStateHolder):
    """Yields its envelopes back to back, then goes quiet (as a live feed between bursts)."""

    name = "scripted"

    def __init__(self, lines: list[str]) -> None:
        super().__init__(FeedState.LIVE)
        self.lines = lines
        self.closed = asyncio.Event()

    async def envelopes(self):
        for line in self.lines:
            yield line
        await self.closed.wait()

    async def close(self) -> None:
        self.closed.set()


async def test_parsed_bursts_are_processed_in_order_and_when_the_feed_goes_quiet(db, tmp_path: Path) -> None:
    """Envelopes are processed in bursts (BURST_MAX): two full bursts and a partial one are all
    seen by the processor in arrival order (TotalVol only grows: no print looks like a
    duplicate), the partial one as soon as the feed waits for data, and all are stored."""
    count = 2 * BURST_MAX + 5
    lines = [trade_line(n, per_second=50) for n in range(count)]
    lines.insert(BURST_MAX + 3, "not json")
    feed = _QuietAfterFeed(lines)
    settings = Settings(home=tmp_path / "home")
    pipeline = Pipeline(settings, FeedSpec("replay", tmp_path / "unused.jsonl", None), db, feed=feed)
    await pipeline.start()
    for _ in range(200):
        if pipeline.processor.counters.trades == count:
            break
        await asyncio.sleep(0.01)
    counters = pipeline.processor.counters
    assert (counters.trades, counters.duplicates, counters.out_of_order) == (count, 0, 0)
    assert pipeline.counters.messages == count + 1 and pipeline.counters.rejected == 1
    assert not pipeline.finished  # the feed is only quiet, not ended
    await pipeline.stop()
    assert await fetch_volumes(db.dsn) == list(range(1, count + 1))
