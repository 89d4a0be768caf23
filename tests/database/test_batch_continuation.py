"""A transaction takes on the rows a fast producer queued while its COPY ran (the writer's
answer to a producer that outpaces the database), and keeps every guarantee of a batch: each
row once, its minute bars and coverage in the same transaction, nothing lost when it fails."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg

from desktop_app.database.batch_writer import BatchWriter
from desktop_app.database.connection import connect_dsn
from desktop_app.database.ingest_coverage import MARKET
from desktop_app.database.journal import Journal
from desktop_app.domain import ClassifiedTrade
from tests.database.test_ingest_coverage import prints, volume_copies
from tests.database.test_minute_bars import assert_bars_match_raw_trades


class ProducerDuringCopy(BatchWriter):
    """A writer whose producer queues the next rows while each part is being written, as the
    pipeline does at full speed (deterministic: the rows arrive right after a part's COPY)."""

    def __init__(self, *args: Any, during: list[list[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.during = during

    async def _write_part(self, conn, pending, coverage):  # type: ignore[no-untyped-def]
        result = await super()._write_part(conn, pending, coverage)
        if self.during:
            for value in self.during.pop(0):
                self.enqueue(value)
        return result


async def ledger(pool: asyncpg.Pool) -> list[int]:
    return [r["rows"] for r in await pool.fetch("SELECT rows FROM ingest_ledger ORDER BY rows")]


async def test_rows_queued_during_the_copy_join_the_open_transaction_once_each(pool, tmp_path: Path) -> None:
    day = prints(range(1_000))
    resent = day[299]  # a reconnect sends the last print of part 1 again, within part 2
    writer = ProducerDuringCopy(pool, Journal(tmp_path / "j", 1 << 30), flush_interval_s=60, queue_max=400,
                                origin=MARKET, during=[[resent, *day[300:600]], day[600:900]])
    await writer.start()
    for t in day[:300]:
        writer.enqueue(t)
    await writer.flush_now()
    metrics = writer.metrics()
    assert metrics.flushes == 1 and metrics.continued_parts == 2  # one transaction, three parts
    assert metrics.rows_written["trades"] == 900 and metrics.skipped_stored["trades"] == 1
    assert await ledger(pool) == [901]  # the rows the batch was given, the resent print included
    assert await volume_copies(pool) == {v: 1 for v in range(1, 901)}
    await assert_bars_match_raw_trades(pool, ["FPT"])

    # The coverage of all three parts was recorded: a restart that is sent the day again stores
    # only what it had not.
    for t in day[:950]:
        writer.enqueue(t)
    final = await writer.stop()
    assert final.rows_written["trades"] == 950 and final.skipped_stored["trades"] == 901
    assert await volume_copies(pool) == {v: 1 for v in range(1, 951)}
    again = BatchWriter(pool, Journal(tmp_path / "j2", 1 << 30), flush_interval_s=60, origin=MARKET)
    await again.start()
    await again.stored_until()
    for t in day:
        again.enqueue(t)
    assert (await again.stop()).rows_written["trades"] == 50
    assert await volume_copies(pool) == {v: 1 for v in range(1, 1001)}
    await assert_bars_match_raw_trades(pool, ["FPT"])


async def test_a_transaction_takes_on_no_more_than_max_batch_rows(pool, tmp_path: Path) -> None:
    day = prints(range(1_000))
    writer = ProducerDuringCopy(pool, Journal(tmp_path / "j", 1 << 30), flush_interval_s=60, queue_max=400,
                                max_batch_rows=500, origin=MARKET, during=[day[300:600], day[600:900]])
    await writer.start()
    for t in day[:300]:
        writer.enqueue(t)
    await writer.flush_now()  # 300 + 300 > 500: the first transaction commits alone
    assert await ledger(pool) == [300]
    await writer.flush_now()  # and so does the second
    metrics = await writer.stop()
    assert metrics.continued_parts == 0 and metrics.rows_written["trades"] == 900
    assert await ledger(pool) == [300, 300, 300]


async def test_a_transaction_takes_on_parts_for_one_flush_interval_at_most(pool, tmp_path: Path) -> None:
    """What a transaction holds is committed within a flush interval (here a microsecond: every
    part takes longer), however fast the producer refills the queues."""
    day = prints(range(600))
    writer = ProducerDuringCopy(pool, Journal(tmp_path / "j", 1 << 30), flush_interval_s=1e-6, queue_max=400,
                                origin=MARKET, during=[day[300:600]])
    await writer.start()
    for t in day[:300]:
        writer.enqueue(t)
    await writer.flush_now()
    metrics = await writer.stop()
    assert metrics.continued_parts == 0 and metrics.rows_written["trades"] == 600
    assert await ledger(pool) == [300, 300]


async def test_a_small_refill_waits_for_the_next_flush(pool, tmp_path: Path) -> None:
    """Below the early-flush mark (half a queue) the rows are left for the next transaction, so a
    trickle never keeps a transaction open."""
    day = prints(range(500))
    writer = ProducerDuringCopy(pool, Journal(tmp_path / "j", 1 << 30), flush_interval_s=60, queue_max=400,
                                origin=MARKET, during=[day[300:450]])
    await writer.start()
    for t in day[:300]:
        writer.enqueue(t)
    await writer.flush_now()
    assert await ledger(pool) == [300]
    await writer.stop()
    assert await ledger(pool) == [150, 300]


async def test_a_part_the_database_refuses_is_quarantined_and_the_other_parts_are_stored(
        pool, tmp_path: Path) -> None:
    day = prints(range(900))
    bad = day[450]
    refused = ClassifiedTrade(bad.symbol, bad.price * 10**9, bad.volume, bad.value, bad.trade_type, None, None,
                              bad.timestamp, bad.total_volume)  # the price does not fit NUMERIC(12,2)
    journal_dir = tmp_path / "j"
    writer = ProducerDuringCopy(pool, Journal(journal_dir, 1 << 30), flush_interval_s=60, queue_max=400,
                                origin=MARKET, during=[[*day[300:450], refused, *day[451:600]]])
    await writer.start()
    for t in day[:300]:
        writer.enqueue(t)
    await writer.flush_now()
    down = writer.metrics()
    assert down.quarantined == 300 and down.failed_flushes == 1  # the part holding the bad print
    assert down.journal_batches == 1 and down.journal_rows == 300  # part 1, kept for a replay
    for t in day[600:900]:  # the market goes on
        writer.enqueue(t)
    metrics = await writer.stop()
    assert metrics.journal_replayed == 1 and metrics.pending == 0 and metrics.dropped == 0
    stored = await volume_copies(pool)
    assert stored == {v: 1 for v in [*range(1, 301), *range(601, 901)]}
    assert len(list((journal_dir / "quarantine").glob("*.journal"))) == 1
    await assert_bars_match_raw_trades(pool, ["FPT"])


async def test_a_lost_connection_keeps_every_part_and_stores_each_row_once(
        database_url: str, pg_server_control, tmp_path: Path) -> None:
    day = prints(range(900))
    database = await connect_dsn(database_url, min_size=1, max_size=2)

    class ServerStopsBeforePart2(ProducerDuringCopy):
        parts = 0

        async def _write_part(self, conn, pending, coverage):  # type: ignore[no-untyped-def]
            self.parts += 1
            if self.parts == 2:  # the transaction has taken on part 2, which is about to be written
                pg_server_control.stop_immediate()
            return await super()._write_part(conn, pending, coverage)

    writer = ServerStopsBeforePart2(database, Journal(tmp_path / "j", 1 << 30), flush_interval_s=60,
                                    queue_max=400, retry_initial_s=0.1, retry_max_s=0.5, origin=MARKET,
                                    during=[day[300:600]])
    await writer.start()
    try:
        for t in day[:300]:
            writer.enqueue(t)
        await writer.flush_now()
        down = writer.metrics()
        assert not down.database_up and down.rows_written["trades"] == 0
        assert down.journal_batches == 2 and down.journal_rows == 600  # parts 1 and 2, each kept
    finally:
        if not pg_server_control.is_running():
            pg_server_control.start()
    for t in day[600:900]:  # the market goes on
        writer.enqueue(t)
    for _ in range(100):
        await writer.flush_now()
        m = writer.metrics()
        if m.database_up and m.journal_batches == 0 and m.queued == 0:
            break
        await asyncio.sleep(0.1)
    metrics = await writer.stop()
    await database.close()
    assert metrics.dropped == 0 and metrics.pending == 0 and metrics.rows_written["trades"] == 900
    check = await asyncpg.connect(database_url)
    try:
        rows = await check.fetch("SELECT volume, count(*) AS n FROM trades GROUP BY volume")
        assert {r["volume"]: r["n"] for r in rows} == {v: 1 for v in range(1, 901)}
        assert await check.fetchval("SELECT sum(volume) FROM trade_minute_bars") == sum(range(1, 901))
    finally:
        await check.close()

