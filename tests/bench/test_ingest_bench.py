"""``bench ingest``'s accounting of the writer: the ceiling round stores every row once with its
minute bars, the scheduler figures come from the real server processes, and the client's parts
are measured on the same rows (no timing is asserted: only what each figure is made of)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from desktop_app.bench import ingest
from desktop_app.database.bench.scratch_ingest_schema import ScratchIngestSchema

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]


async def test_ceiling_round_writes_every_row_once_with_its_minute_bars(database_url: str, tmp_path: Path) -> None:
    trades = ingest.make_trades(2_500)
    async with ScratchIngestSchema(database_url) as scratch:
        rate = await ingest._writer_ceiling(scratch.pool, trades, tmp_path / "c", batch_rows=1_000)
        stored = await scratch.pool.fetchval("SELECT count(*) FROM trades")
        ledger = await scratch.pool.fetchval("SELECT count(*) FROM ingest_ledger")
        bar_trades = await scratch.pool.fetchval("SELECT sum(trades) FROM trade_minute_bars")
    assert rate > 0 and stored == 2_500 and bar_trades == 2_500
    assert ledger == 3  # one transaction per 1,000-row batch


async def test_writer_round_reports_its_batches_and_the_servers_cpu(database_url: str, tmp_path: Path) -> None:
    trades = ingest.make_trades(12_000)
    async with ScratchIngestSchema(database_url) as scratch:
        timing = await ingest._writer_throughput(scratch, trades, tmp_path / "w")
        stored = await scratch.pool.fetchval("SELECT count(*) FROM trades")
    assert stored == 12_000
    # 12,000 rows cannot fit one 10,000-row queue: the round took its queues at least twice,
    # as transactions or as parts taken on by one, and says so
    assert timing.parts >= 2
    assert timing.client_cpu_us_per_row > 0
    # a local server on Linux: its processes' CPU time is read (12,000 rows cost it some)
    assert timing.server_cpu_us_per_row is not None and timing.server_cpu_us_per_row > 0
    assert timing.server_cpu_wait_us_per_row is not None and timing.server_cpu_wait_us_per_row >= 0


async def test_scheduled_time_counts_the_servers_work(database_url: str) -> None:
    async with ScratchIngestSchema(database_url) as scratch:
        clock = ingest.ScheduledTime(scratch)
        await clock.start()
        await scratch.pool.fetchval("SELECT count(*) FROM generate_series(1, 2000000)")
        server_s, server_wait_s, client_wait_s = await clock.stop()  # type: ignore[misc]
    assert server_s > 0.01 and server_wait_s >= 0 and client_wait_s >= 0


def test_client_costs_measure_each_part_on_the_same_rows(tmp_path: Path) -> None:
    async def no_pool() -> None:  # the enqueue part never reaches the database
        raise AssertionError("client_costs asked for a connection")

    costs = ingest.client_costs(ingest.make_trades(3_000), no_pool, tmp_path)  # type: ignore[arg-type]
    assert set(costs) == {"enqueue_us_per_row", "encode_us_per_row", "fold_us_per_row", "handoff_us_per_row"}
    assert all(math.isfinite(v) and v > 0 for v in costs.values())


def test_machine_bound_is_the_tightest_of_its_three_limits() -> None:
    limit = 300_000.0
    # client 2 us (500k/s on one core), 2 us + 4 us on 2 cores (333k/s), ceiling 250k/s
    assert ingest._machine_bound(2.0, 4.0, 250_000.0, 2, limit) == round(250_000 / limit, 3)
    assert ingest._machine_bound(2.0, 4.0, 400_000.0, 2, limit) == round(2e6 / 6.0 / limit, 3)
    assert ingest._machine_bound(4.0, 0.5, 400_000.0, 2, limit) == round(1e6 / 4.0 / limit, 3)
    assert ingest._machine_bound(2.0, None, 250_000.0, 2, limit) is None


def test_cores_used_is_both_sides_cpu_over_the_wall_time() -> None:
    timing = ingest.Timing(200_000.0, 3.0, 2.0, 1.0, 4.0)
    assert ingest._cores_used(timing) == 1.0  # 5 us of CPU per row at 200k rows/s
    assert ingest._cores_used(ingest.Timing(200_000.0, 3.0, None, None, None)) is None
