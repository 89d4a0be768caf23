"""The benchmarks' own database parts: the ingest bench's scratch schema takes every baseline's rows
(and a whole writer's, for the UI bench's catch-up) and leaves nothing behind; the UI bench's rows under its own symbol go away, and nobody else's."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from desktop_app.database import schema
from desktop_app.database.batch_writer import BatchWriter, table_layouts
from desktop_app.database.ingest_coverage import DEMO
from desktop_app.database.journal import Journal
from desktop_app.database.bench.symbol_rows import copy_trades, delete_symbol_rows
from desktop_app.database.repositories import ohlc_repository, trade_repository
from desktop_app.database.bench.scratch_ingest_schema import (
    EXECUTEMANY_TABLE,
    LIMIT_TABLE,
    RECORDS_TABLE,
    ScratchIngestSchema,
)
from desktop_app.domain import (
    VIETNAM_TZ, Alert, BasisPoint, ClassifiedTrade, DailyBar, ForeignInvestorData, Severity, TradeType,
)

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]

COLUMNS = list(schema.TRADE_COPY_COLUMNS)
DAY = date(2026, 4, 8)


def trades(symbol: str, n: int) -> list[ClassifiedTrade]:
    start = datetime(2026, 4, 8, 9, 15, tzinfo=VIETNAM_TZ)
    return [ClassifiedTrade(symbol, Decimal(25_000 + 50 * (i % 7)), 100 * (1 + i % 5), Decimal(25_000 + 50 * (i % 7)) * 100 * (1 + i % 5),
                            (TradeType.BUY, TradeType.SELL, TradeType.NEUTRAL)[i % 3], Decimal(24_950), Decimal(25_000),
                            start + timedelta(seconds=i)) for i in range(n)]


def row(t: ClassifiedTrade) -> tuple[object, ...]:
    return (t.symbol, t.price, t.volume, t.value, t.trade_type.value, t.bid_price, t.ask_price, t.timestamp)


async def schema_exists(pool: asyncpg.Pool, name: str) -> bool:
    return await pool.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = $1", name) == 1


async def test_scratch_schema_holds_every_baseline_and_is_dropped(database_url: str, pool: asyncpg.Pool) -> None:
    sample = trades("FPT", 120)
    async with ScratchIngestSchema(database_url) as scratch:
        assert await schema_exists(pool, scratch.name)
        payloads = [table_layouts()["trades"].encode_objects(sample[i : i + 50]) for i in range(0, 120, 50)]
        await scratch.copy_limit_payloads(payloads, COLUMNS)
        await scratch.copy_records(([row(t) for t in sample[i : i + 40]] for i in range(0, 120, 40)), COLUMNS)
        await scratch.insert_executemany([[row(t) for t in sample[:30]]], COLUMNS)
        counts = {t: await scratch.pool.fetchval(f"SELECT count(*) FROM {t}")
                  for t in (LIMIT_TABLE, RECORDS_TABLE, EXECUTEMANY_TABLE)}
        assert counts == {LIMIT_TABLE: 120, RECORDS_TABLE: 120, EXECUTEMANY_TABLE: 30}
        # the repositories read the scratch copy through the pool's search path
        await scratch.pool.execute(f"INSERT INTO trades ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM {LIMIT_TABLE}")
        assert len(await trade_repository.trades_for_day(scratch.pool, "FPT", DAY)) == 120
        await scratch.truncate()
        assert await scratch.pool.fetchval(f"SELECT count(*) FROM {LIMIT_TABLE}") == 0
        assert await trade_repository.trades_for_day(scratch.pool, "FPT", DAY) == []
        name = scratch.name
    assert not await schema_exists(pool, name)
    assert await pool.fetchval("SELECT count(*) FROM trades") == 0  # the user's table never saw a row


async def test_a_whole_writer_stores_every_table_in_the_scratch_schema(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """The UI bench's start-up catch-up runs a whole pipeline's writer against the scratch schema:
    trades, foreign snapshots, basis points and alerts all land there, none in the user's tables."""
    t0 = datetime(2026, 4, 8, 9, 15, tzinfo=VIETNAM_TZ)
    async with ScratchIngestSchema(database_url) as scratch:
        writer = BatchWriter(scratch.pool, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=60,
                             origin=DEMO)
        await writer.start()
        for value in (*trades("FPT", 3),
                      ForeignInvestorData("FPT", 120_000, 20_000, Decimal("1.2E+10"), Decimal("2000000000"),
                                          Decimal("1500.50"), Decimal("0"), 1_000_000, t0),
                      BasisPoint("41I1G4000", Decimal("1302.4"), Decimal("1290.15"), Decimal("12.25"), t0),
                      Alert("FPT", "block_trade", "Giao dịch lớn", Severity.INFO, t0)):
            writer.enqueue(value)
        metrics = await writer.stop()
        assert metrics.rows_written == {"trades": 3, "foreign_snapshots": 1, "basis_history": 1, "alerts": 1}
        for table, n in metrics.rows_written.items():
            assert await scratch.pool.fetchval(f"SELECT count(*) FROM {table}") == n
    for table in ("trades", "foreign_snapshots", "basis_history", "alerts", "ingest_coverage"):
        assert await pool.fetchval(f"SELECT count(*) FROM public.{table}") == 0


async def test_scratch_schema_is_dropped_when_the_benchmark_fails(database_url: str, pool: asyncpg.Pool) -> None:
    with pytest.raises(RuntimeError, match="benchmark broke"):
        async with ScratchIngestSchema(database_url) as scratch:
            name = scratch.name
            raise RuntimeError("benchmark broke")
    assert not await schema_exists(pool, name)
    with pytest.raises(RuntimeError, match="not open"):
        scratch.pool


async def test_scratch_executemany_refuses_a_column_that_is_not_a_plain_name(database_url: str) -> None:
    async with ScratchIngestSchema(database_url) as scratch:
        with pytest.raises(ValueError, match="not a plain column name"):
            await scratch.insert_executemany([], ["symbol", "price); DROP TABLE trades; --"])


async def test_bench_symbol_rows_are_removed_and_nobody_elses(pool: asyncpg.Pool) -> None:
    assert await copy_trades(pool, trades("ZZBENCH", 50) + trades("FPT", 5)) == 55
    await ohlc_repository.upsert_daily_bars(pool, [
        DailyBar(sym, DAY, Decimal(1), Decimal(2), Decimal(1), Decimal(2), 100) for sym in ("ZZBENCH", "FPT")
    ])
    assert len(await trade_repository.trades_for_day(pool, "ZZBENCH", DAY)) == 50
    await delete_symbol_rows(pool, "ZZBENCH")
    assert await trade_repository.trades_for_day(pool, "ZZBENCH", DAY) == []
    assert await ohlc_repository.daily_bars(pool, "ZZBENCH", DAY, DAY) == []
    assert len(await trade_repository.trades_for_day(pool, "FPT", DAY)) == 5
    assert len(await ohlc_repository.daily_bars(pool, "FPT", DAY, DAY)) == 1
