"""BatchWriter against a real PostgreSQL: nothing lost, nothing twice, outages and crashes."""

from __future__ import annotations

import asyncio
import logging
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from desktop_app.database.batch_writer import BatchWriter
from desktop_app.database.connection import connect_dsn
from desktop_app.database.journal import Journal
from desktop_app.domain import (
    VIETNAM_TZ, Alert, BasisPoint, ClassifiedTrade, ForeignInvestorData, Severity, TradeType,
)
from tests.support.unreachable_database import unreachable_pool

T0 = datetime(2026, 4, 8, 9, 15, tzinfo=VIETNAM_TZ)


def trade(n: int, price: str = "100500") -> ClassifiedTrade:
    """The n-th print; ``volume`` = n + 1 identifies it in the table."""
    p = Decimal(price)
    return ClassifiedTrade("FPT", p, n + 1, p * (n + 1), TradeType.BUY if n % 2 else TradeType.SELL,
                           p - 100, p if n % 3 else None, T0 + timedelta(seconds=n // 10))


async def volumes(pool: asyncpg.Pool) -> list[int]:
    return [r["volume"] for r in await pool.fetch("SELECT volume FROM trades ORDER BY volume")]


async def test_every_value_is_written_once_with_its_exact_fields(db, tmp_path: Path) -> None:
    writer = BatchWriter(db, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=0.1)
    await writer.start()
    trades = [trade(i, price=str(20000 + 50 * (i % 40))) for i in range(2500)]
    for t in trades:
        writer.enqueue(t)
    alert = Alert("FPT", "block_trade", "Giao dịch lớn: 12.5 tỷ", Severity.INFO, T0)
    basis = BasisPoint("41I1G4000", Decimal("1302.4"), Decimal("1290.15"), Decimal("12.25"), T0)
    foreign = ForeignInvestorData("FPT", 120_000, 20_000, Decimal("1.2E+10"), Decimal("2000000000"),
                                  Decimal("1500.50"), Decimal("0"), 1_000_000, T0)
    for value in (alert, basis, foreign):
        writer.enqueue(value)
    metrics = await writer.stop()

    assert metrics.rows_written == {"trades": 2500, "foreign_snapshots": 1, "basis_history": 1, "alerts": 1}
    assert metrics.dropped == 0 and metrics.pending == 0
    rows = await db.pool.fetch(
        "SELECT symbol, price, volume, value, trade_type, bid_price, ask_price, traded_at FROM trades ORDER BY volume")
    assert [tuple(r) for r in rows] == [
        (t.symbol, t.price, t.volume, t.value, t.trade_type.value, t.bid_price, t.ask_price, t.timestamp)
        for t in trades
    ]
    a = await db.pool.fetchrow("SELECT symbol, alert_type, message, severity, created_at FROM alerts")
    assert tuple(a) == ("FPT", "block_trade", "Giao dịch lớn: 12.5 tỷ", "info", T0)
    b = await db.pool.fetchrow("SELECT futures_symbol, futures_price, spot_value, basis, captured_at FROM basis_history")
    assert tuple(b) == ("41I1G4000", Decimal("1302.40"), Decimal("1290.15"), Decimal("12.25"), T0)
    f = await db.pool.fetchrow("SELECT symbol, f_buy_vol, f_sell_vol, f_net_vol, buy_speed_per_min, "
                               "sell_speed_per_min, captured_at, f_buy_val, f_sell_val, room_left FROM foreign_snapshots")
    assert tuple(f) == ("FPT", 120_000, 20_000, 100_000, Decimal("1500.50"), Decimal("0.00"), T0,
                        Decimal("12000000000.00"), Decimal("2000000000.00"), 1_000_000)
    ledger = await db.pool.fetchval("SELECT sum(rows) FROM ingest_ledger")
    assert ledger == 2503


async def test_database_outage_mid_run_loses_nothing_and_writes_nothing_twice(
    database_url: str, pg_server_control, tmp_path: Path
) -> None:
    database = await connect_dsn(database_url, min_size=1, max_size=2)
    writer = BatchWriter(database, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=60,
                         retry_initial_s=0.1, retry_max_s=0.5)
    await writer.start()
    try:
        for i in range(0, 500):
            writer.enqueue(trade(i))
        await writer.flush_now()
        assert writer.metrics().rows_written["trades"] == 500

        pg_server_control.stop_immediate()
        for i in range(500, 1000):
            writer.enqueue(trade(i))
        await writer.flush_now()
        down = writer.metrics()
        assert not down.database_up
        assert down.journal_batches == 1 and down.journal_rows == 500
        for i in range(1000, 1500):
            writer.enqueue(trade(i))
        await writer.flush_now()
        assert writer.metrics().journal_rows == 1000
    finally:
        if not pg_server_control.is_running():
            pg_server_control.start()
    for _ in range(100):  # the writer retries with backoff until the database answers
        await writer.flush_now()
        m = writer.metrics()
        if m.database_up and m.journal_batches == 0:
            break
        await asyncio.sleep(0.1)
    metrics = await writer.stop()
    await database.close()

    assert metrics.journal_replayed == 2
    assert metrics.dropped == 0 and metrics.pending == 0
    check = await asyncpg.connect(database_url)
    try:
        assert [r["volume"] for r in await check.fetch("SELECT volume FROM trades ORDER BY volume")] == list(range(1, 1501))
    finally:
        await check.close()


async def test_a_full_queue_spills_to_the_journal_instead_of_dropping(db, tmp_path: Path) -> None:
    writer = BatchWriter(db, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=60, queue_max=100)
    await writer.start()
    for i in range(350):
        writer.enqueue(trade(i))
        assert writer.metrics().queue_depths["trades"] < 100  # bounded memory
    await writer.flush_now()
    metrics = await writer.stop()
    assert metrics.spilled_batches == 3  # three full queues went to disk, the rest was written
    assert metrics.journal_replayed == 3
    assert metrics.dropped == 0
    assert await volumes(db.pool) == list(range(1, 351))


async def test_backpressure_waits_for_the_batch_to_be_taken_not_written(db, tmp_path: Path) -> None:
    """A fast producer fills the next batch while the database is still storing this one."""
    gate = asyncio.Event()

    async def slow_database() -> asyncpg.Pool:
        await gate.wait()  # the database answers only when the test says so
        return db.pool

    writer = BatchWriter(slow_database, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=60,
                         queue_max=100)
    await writer.start()
    for i in range(95):
        writer.enqueue(trade(i))
    assert writer.congested
    await asyncio.wait_for(writer.wait_for_room(), 5)  # returns although nothing is stored yet
    assert not writer.congested and writer.metrics().rows_written["trades"] == 0
    for i in range(95, 150):
        writer.enqueue(trade(i))  # the next batch fills meanwhile
    gate.set()
    metrics = await writer.stop()
    assert metrics.rows_written["trades"] == 150 and metrics.dropped == 0 and metrics.pending == 0
    assert await volumes(db.pool) == list(range(1, 151))


async def test_an_exhausted_disk_budget_drops_loudly_and_counts(tmp_path: Path, caplog) -> None:
    pool = await unreachable_pool()
    writer = BatchWriter(pool, Journal(tmp_path / "journal", 40_000), flush_interval_s=60,
                         retry_initial_s=60)
    await writer.start()
    with caplog.at_level(logging.ERROR, logger="desktop_app.database.batch_writer"):
        for round_ in range(4):  # ~25 KB of COPY data per round: the second one no longer fits
            for i in range(round_ * 250, round_ * 250 + 250):
                writer.enqueue(trade(i))
            await writer.flush_now()
    metrics = await writer.stop()
    await pool.close()
    assert metrics.spilled_batches >= 1
    assert metrics.dropped == 1000 - metrics.journal_rows
    assert metrics.dropped > 0
    assert metrics.journal_bytes <= 40_000
    assert any("DATA LOST" in r.getMessage() for r in caplog.records)


async def _spill_batches(journal_dir: Path, batches: list[range]) -> None:
    """Write batches into a journal as a writer does while the database is unreachable."""
    pool = await unreachable_pool()
    writer = BatchWriter(pool, Journal(journal_dir, 1 << 30), flush_interval_s=60, retry_initial_s=60)
    await writer.start()
    for numbers in batches:
        for i in numbers:
            writer.enqueue(trade(i))
        await writer.flush_now()
    metrics = await writer.stop()
    await pool.close()
    assert metrics.journal_batches == len(batches)


async def test_a_batch_that_already_committed_is_not_written_again(db, tmp_path: Path) -> None:
    journal_dir = tmp_path / "journal"
    await _spill_batches(journal_dir, [range(0, 300), range(300, 600)])
    saved = tmp_path / "saved"
    shutil.copytree(journal_dir, saved)

    first = BatchWriter(db, Journal(journal_dir, 1 << 30), flush_interval_s=60)
    await first.start()
    m1 = await first.stop()
    assert m1.journal_replayed == 2
    # A crash after COMMIT but before the journal forgot the batches: they are on disk again.
    shutil.rmtree(journal_dir)
    shutil.copytree(saved, journal_dir)
    second = BatchWriter(db, Journal(journal_dir, 1 << 30), flush_interval_s=60)
    await second.start()
    m2 = await second.stop()
    assert m2.journal_replayed == 0 and m2.journal_batches == 0
    assert await volumes(db.pool) == list(range(1, 601))


async def test_a_journal_with_a_torn_tail_is_replayed_up_to_the_tear(db, tmp_path: Path) -> None:
    journal_dir = tmp_path / "journal"
    await _spill_batches(journal_dir, [range(0, 100), range(100, 200), range(200, 300)])
    (segment,) = journal_dir.glob("*.journal")
    data = segment.read_bytes()
    segment.write_bytes(data[: len(data) - 700])  # SIGKILL in the middle of the third append

    writer = BatchWriter(db, Journal(journal_dir, 1 << 30), flush_interval_s=60)
    await writer.start()
    metrics = await writer.stop()
    assert metrics.journal_replayed == 2
    assert await volumes(db.pool) == list(range(1, 201))


async def test_a_batch_the_database_refuses_is_quarantined_and_the_rest_flows(db, tmp_path: Path) -> None:
    writer = BatchWriter(db, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=60)
    await writer.start()
    writer.enqueue(trade(0, price="123456789012.5"))  # does not fit NUMERIC(12,2)
    await writer.flush_now()
    for i in range(1, 11):
        writer.enqueue(trade(i))
    metrics = await writer.stop()
    assert metrics.quarantined == 1
    assert metrics.dropped == 0
    assert await volumes(db.pool) == list(range(2, 12))
    assert len(list((tmp_path / "journal" / "quarantine").glob("*.journal"))) == 1


async def test_the_batch_transaction_commits_durably_or_leaves_nothing(db) -> None:
    """BEGIN, the durable-commit setting and the ledger row go in one message; an error in the
    block rolls all of it back and hands the connection back outside any transaction."""
    import uuid

    from desktop_app.database.batch_writer import _batch_transaction

    kept, dropped = uuid.uuid4(), uuid.uuid4()
    async with db.pool.acquire() as conn:
        async with _batch_transaction(conn, kept, 3) as ledger:
            assert ledger.first is True and conn.is_in_transaction()
            assert await conn.fetchval("SHOW synchronous_commit") == "on"
        assert not conn.is_in_transaction()
        async with _batch_transaction(conn, kept, 3) as ledger:
            assert ledger.first is False  # the ledger knows it: a replay is a no-op
        with pytest.raises(asyncpg.UndefinedTableError):
            async with _batch_transaction(conn, dropped, 5):
                await conn.execute("INSERT INTO no_such_table VALUES (1)")
        assert not conn.is_in_transaction()
    rows = await db.pool.fetch("SELECT batch_id, rows FROM ingest_ledger ORDER BY rows")
    assert [(r["batch_id"], r["rows"]) for r in rows] == [(kept, 3)]
