"""The ``bench_query`` dataset that ``stock-tracker bench query`` measures the repositories on.

Why a schema of its own: the benchmark needs history of the size the persistence plan targets
(10 years × 400 symbols of daily bars, a year of VN30 trades, 100,000 alerts at scale 1) without
touching the user's rows. The tables are built ``LIKE`` the app's own (same columns; the same
indexes, read from the catalog so they follow ``schema.py``), UNLOGGED (scratch data: faster to
fill, no WAL; plans and reads are the same). A pool from ``open_bench_pool`` reads them first
(``search_path = bench_query, public``), so the unmodified repositories query this dataset.

"Seeding" here means filling this dataset (not a random seed): ``bench_query.seed_info`` is its
marker; a later run at the same or a smaller scale reuses it, a larger one refills it. A version-2
dataset (before ``trade_minute_bars``) is upgraded in place.

Filling is server-side ``INSERT … SELECT generate_series`` (no rows cross the wire), in time order
like live ingestion (the trades of all symbols interleaved), with indexes built after the load.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import asyncpg

from desktop_app.database.minute_bar_aggregate import MINUTE_BAR_COLUMNS, aggregate_select_sql

__all__ = [
    "SCHEMA", "SEED_VERSION", "FULL_DAILY_SYMBOLS", "DAILY_YEARS", "TRADE_SYMBOLS",
    "FULL_TRADES_PER_SYMBOL_DAY", "FULL_ALERTS", "DAILY_END", "TRADES_YEAR_START", "TRADES_YEAR_END",
    "ALERT_TYPES", "SeedPlan", "SeedInfo", "daily_symbol", "trade_symbol", "ensure_seeded",
    "open_bench_pool",
]

SCHEMA = "bench_query"
SEED_VERSION = 4  # 3: trade_minute_bars; 4: their value columns (order flow)
_UPGRADABLE_VERSIONS = (2, 3)  # seeds whose minute bars are missing or lack the value columns
FULL_DAILY_SYMBOLS = 400
DAILY_YEARS = 10
TRADE_SYMBOLS = 30
FULL_TRADES_PER_SYMBOL_DAY = 2300
FULL_ALERTS = 100_000
DAILY_END = date(2025, 12, 31)  # fixed, so a reused seed and a fresh one are the same data
TRADES_YEAR_START = date(2025, 1, 1)
TRADES_YEAR_END = date(2025, 12, 31)
ALERT_TYPES = (
    ("ceiling_hit", "warning"), ("floor_hit", "warning"), ("block_trade", "info"),
    ("foreign_surge", "warning"), ("active_imbalance", "info"),
)
_SEEDED_TABLES = ("daily_ohlc", "trades", "alerts")
_INDEX_ORDER = ("trades", "daily_ohlc", "alerts")  # the big trades indexes first

# Identifiers are interpolated into SQL: constants only, checked once here.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
for _name in (SCHEMA, *_SEEDED_TABLES, "trade_minute_bars", "seed_info"):
    if not _IDENTIFIER.fullmatch(_name):
        raise ValueError(f"not a plain SQL identifier: {_name!r}")


@dataclass(frozen=True, slots=True)
class SeedPlan:
    """Row counts for a scale: symbols and prints per day scale, time ranges never do (every query
    still spans its full range)."""

    scale: float
    daily_symbols: int
    trades_per_symbol_day: int
    alerts: int

    @classmethod
    def for_scale(cls, scale: float) -> "SeedPlan":
        return cls(
            scale=scale,
            daily_symbols=max(1, round(FULL_DAILY_SYMBOLS * scale)),
            trades_per_symbol_day=max(1, round(FULL_TRADES_PER_SYMBOL_DAY * scale)),
            alerts=max(10, round(FULL_ALERTS * scale)),
        )


@dataclass(frozen=True, slots=True)
class SeedInfo:
    """What the seed marker says is there (``reused``: seeded by an earlier run)."""

    scale: float
    daily_rows: int
    trades_rows: int
    alerts_rows: int
    daily_symbols: int
    seed_s: float
    reused: bool
    minute_bars_rows: int = 0
    minute_bars_s: float = 0.0  # time to build the aggregate from the seeded trades


def daily_symbol(i: int) -> str:
    """The seed's i-th daily-bar symbol (1-based), as the seeding SQL names it."""
    return f"D{i:04d}"


def trade_symbol(i: int) -> str:
    """The seed's i-th traded symbol (1-based), as the seeding SQL names it."""
    return f"T{i:02d}"


async def open_bench_pool(dsn: str) -> asyncpg.Pool:
    """A pool whose unqualified table names resolve to the seed first, then the app's schema."""
    pool = await asyncpg.create_pool(
        dsn, min_size=2, max_size=5,
        server_settings={"search_path": f"{SCHEMA}, public", "application_name": "stock-tracker-bench"},
    )
    assert pool is not None
    return pool


async def ensure_seeded(pool: asyncpg.Pool, scale: float, *, log_to: Callable[[str], None]) -> SeedInfo:
    """Reuse a seed of at least ``scale`` (same seed version, or one that only lacks the minute
    bars: they are built), else (re)seed; returns what's there."""
    async with pool.acquire() as conn:
        existing = await _existing_seed(conn)
        if (existing is not None and existing["version"] in (SEED_VERSION, *_UPGRADABLE_VERSIONS)
                and existing["scale"] >= scale - 1e-9):
            has_bars = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{SCHEMA}.trade_minute_bars")
            if existing["version"] != SEED_VERSION or not has_bars:
                await _upgrade_seed(pool, existing, log_to)
                existing = await _existing_seed(conn)
            assert existing is not None
            return SeedInfo(
                scale=existing["scale"], daily_rows=existing["daily_rows"], trades_rows=existing["trades_rows"],
                alerts_rows=existing["alerts_rows"], daily_symbols=existing["daily_symbols"],
                seed_s=existing["seed_s"], reused=True,
                minute_bars_rows=existing["minute_bars_rows"], minute_bars_s=existing["minute_bars_s"],
            )
        plan = SeedPlan.for_scale(scale)
        log_to(f"seeding {SCHEMA} at scale {scale:g} (this runs once; later runs reuse it)…")
        started = time.perf_counter()
        indexes = await _create_tables(conn)
    async with pool.acquire() as conn:
        await conn.execute("SET synchronous_commit = off")
        await asyncio.gather(_seed_trades(pool, plan), _seed_daily_and_alerts(pool, plan))
        log_to(f"  rows loaded in {time.perf_counter() - started:.1f} s; building indexes…")
        await _build_indexes(pool, indexes)
        for table in _SEEDED_TABLES:
            await conn.execute(f"VACUUM (ANALYZE) {SCHEMA}.{table}")
        log_to("  building the minute bars…")
        minute_rows, minute_s = await _build_minute_bars(pool)
        daily_rows = await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.daily_ohlc")
        trades_rows = await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.trades")
        alerts_rows = await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.alerts")
        seed_s = time.perf_counter() - started
        await conn.execute(
            f"INSERT INTO {SCHEMA}.seed_info (scale, daily_rows, trades_rows, alerts_rows, daily_symbols, "
            f"seed_s, version, minute_bars_rows, minute_bars_s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            scale, daily_rows, trades_rows, alerts_rows, plan.daily_symbols, seed_s, SEED_VERSION,
            minute_rows, minute_s,
        )
    log_to(f"  seeded {daily_rows:,} daily bars, {trades_rows:,} trades, {alerts_rows:,} alerts, "
           f"{minute_rows:,} minute bars ({minute_s:.1f} s of it) in {seed_s:.1f} s")
    return SeedInfo(scale, daily_rows, trades_rows, alerts_rows, plan.daily_symbols, seed_s, reused=False,
                    minute_bars_rows=minute_rows, minute_bars_s=minute_s)


async def _existing_seed(conn: asyncpg.Connection) -> asyncpg.Record | None:
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{SCHEMA}.seed_info")
    if not exists:
        return None
    return await conn.fetchrow(f"SELECT * FROM {SCHEMA}.seed_info ORDER BY seeded_at DESC LIMIT 1")


async def _copy_indexes(conn: asyncpg.Connection, table: str) -> list[str]:
    """The app table's index definitions, retargeted at the bench table (same names, other schema)."""
    rows = await conn.fetch(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1", table
    )
    return [r["indexdef"].replace(f" ON public.{table} ", f" ON {SCHEMA}.{table} ") for r in rows]


async def _create_tables(conn: asyncpg.Connection) -> dict[str, list[str]]:
    await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    await conn.execute(f"CREATE SCHEMA {SCHEMA}")
    indexes: dict[str, list[str]] = {}
    for table in _SEEDED_TABLES:
        await conn.execute(f"CREATE UNLOGGED TABLE {SCHEMA}.{table} (LIKE public.{table} INCLUDING DEFAULTS)")
        indexes[table] = await _copy_indexes(conn, table)
    await conn.execute(
        f"CREATE UNLOGGED TABLE {SCHEMA}.seed_info (scale double precision, daily_rows bigint, "
        f"trades_rows bigint, alerts_rows bigint, daily_symbols int, seed_s double precision, "
        f"version int, seeded_at timestamptz DEFAULT now(), minute_bars_rows bigint, "
        f"minute_bars_s double precision)"
    )
    return indexes


async def _build_minute_bars(pool: asyncpg.Pool) -> tuple[int, float]:
    """``trade_minute_bars`` (same columns and key as the app's) from the seeded trades, laid out as
    the app's writer leaves it: in time order, all symbols interleaved. Two builders, one half of
    the symbols each (one per core). Returns (bars, seconds)."""
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.trade_minute_bars")
        await conn.execute(f"CREATE UNLOGGED TABLE {SCHEMA}.trade_minute_bars "
                           f"(LIKE public.trade_minute_bars INCLUDING ALL)")
    symbols = [trade_symbol(i) for i in range(1, TRADE_SYMBOLS + 1)]
    insert = (f"INSERT INTO {SCHEMA}.trade_minute_bars ({', '.join(MINUTE_BAR_COLUMNS)}) "
              + aggregate_select_sql(f"{SCHEMA}.trades", "id", "symbol = ANY($1::text[])", order_by="minute, symbol"))

    async def build(part: list[str]) -> None:
        async with pool.acquire() as conn:
            await conn.execute("SET synchronous_commit = off")
            await conn.execute("SET work_mem = '256MB'")
            await conn.execute(insert, part)
            await conn.execute("RESET work_mem")

    await asyncio.gather(build(symbols[0::2]), build(symbols[1::2]))
    async with pool.acquire() as conn:
        await conn.execute(f"VACUUM (ANALYZE) {SCHEMA}.trade_minute_bars")
        rows = await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.trade_minute_bars")
    return rows, time.perf_counter() - started


def _weekday_offsets(first: date, last: date) -> list[int]:
    return [i for i in range((last - first).days + 1) if (first + timedelta(days=i)).weekday() < 5]


async def _seed_daily(conn: asyncpg.Connection, plan: SeedPlan) -> None:
    """One symbol after another (as a backfill writes them), one flat series: no join to reorder."""
    start = DAILY_END - timedelta(days=365 * DAILY_YEARS + DAILY_YEARS // 4)
    days = _weekday_offsets(start, DAILY_END)
    await conn.execute(
        f"""
        INSERT INTO {SCHEMA}.daily_ohlc (id, symbol, date, open, high, low, close, volume)
        SELECT i + 1, 'D' || lpad(s::text, 4, '0'), $1::date + d,
               p, p + 50 * (1 + (s + d) % 4), p - 50 * (1 + (s * d) % 3), p + 50 * ((s + d) % 5 - 2),
               100 * (1000 + (s * 7919 + d * 104729) % 400000)
        FROM generate_series(0, $2::int * cardinality($3::int[]) - 1) AS i,
             LATERAL (SELECT 1 + i / cardinality($3::int[]) AS s,
                             ($3::int[])[1 + i % cardinality($3::int[])] AS d) AS sd,
             LATERAL (SELECT (10000 + 50 * ((s * 37 + d * 13) % 800))::numeric(12, 2) AS p) AS price
        """,
        start, plan.daily_symbols, days,
    )


async def _seed_trades(pool: asyncpg.Pool, plan: SeedPlan) -> None:
    """Prints in time order, all symbols interleaved (as the live writer stores them); two
    connections load one half of the year each. One flat series per half: the row order is the
    series order, which a join of several series would not guarantee."""
    days = _weekday_offsets(TRADES_YEAR_START, TRADES_YEAR_END)
    halves = [days[: len(days) // 2], days[len(days) // 2 :]]
    n = plan.trades_per_symbol_day
    session_s = 2 * 3600 + 15 * 60 + 90 * 60  # 09:15-11:30 and 13:00-14:30

    async def load(half: list[int]) -> None:
        async with pool.acquire() as conn:
            await conn.execute("SET synchronous_commit = off")
            await conn.execute(
                f"""
                INSERT INTO {SCHEMA}.trades
                    (id, symbol, price, volume, value, trade_type, bid_price, ask_price, traded_at)
                SELECT (d::bigint * $3 + k) * 100 + s,
                       'T' || lpad(s::text, 2, '0'),
                       px, vol, px * vol,
                       (ARRAY['buy','sell','buy','neutral','sell','buy','sell','buy','sell','neutral'])[1 + (k + s) % 10],
                       px - 50, px,
                       ($1::date + d + make_interval(secs => 33300 + off + CASE WHEN off >= 8100 THEN 5400 ELSE 0 END))
                           AT TIME ZONE INTERVAL '07:00'
                FROM generate_series(0::bigint, cardinality($4::int[])::bigint * $3 * $2 - 1) AS i,
                     LATERAL (SELECT ($4::int[])[1 + i / ($3 * $2)] AS d,
                                     ((i / $2) % $3)::int AS k,
                                     (1 + i % $2)::int AS s) AS dks,
                     LATERAL (SELECT (k * $5::double precision / $3)::int AS off,
                                     (20000 + 50 * ((s * 31 + d * 7 + k % 13) % 400))::numeric(12, 2) AS px,
                                     100 * (1 + (k * 7 + s) % 50) AS vol) AS v
                """,
                TRADES_YEAR_START, TRADE_SYMBOLS, n, half, session_s,
            )

    await asyncio.gather(*(load(h) for h in halves))


async def _seed_alerts(conn: asyncpg.Connection, plan: SeedPlan) -> None:
    types = [t for t, _ in ALERT_TYPES]
    severities = [s for _, s in ALERT_TYPES]
    year_s = (TRADES_YEAR_END - TRADES_YEAR_START).days * 86400
    await conn.execute(
        f"""
        INSERT INTO {SCHEMA}.alerts (id, symbol, alert_type, message, severity, created_at, acknowledged_at, note)
        SELECT i, 'T' || lpad((1 + i % $2)::text, 2, '0'),
               ($3::text[])[1 + (i / 7) % $5], 'seeded alert ' || i,
               ($4::text[])[1 + (i / 7) % $5],
               ts, CASE WHEN i % 3 = 0 THEN ts + interval '5 minutes' END, NULL
        FROM generate_series(1, $1::int) AS i,
             LATERAL (SELECT ($6::date::timestamp + make_interval(secs => (i::bigint * 7919) % $7))
                             AT TIME ZONE INTERVAL '07:00' AS ts) AS t
        """,
        plan.alerts, TRADE_SYMBOLS, types, severities, len(types), TRADES_YEAR_START, year_s,
    )


async def _seed_daily_and_alerts(pool: asyncpg.Pool, plan: SeedPlan) -> None:
    async with pool.acquire() as conn:
        await conn.execute("SET synchronous_commit = off")
        await _seed_daily(conn, plan)
        await _seed_alerts(conn, plan)


async def _upgrade_seed(pool: asyncpg.Pool, existing: asyncpg.Record, log_to: Callable[[str], None]) -> None:
    """A seed whose minute bars are missing or older than the app's columns: (re)build them."""
    log_to(f"building {SCHEMA}.trade_minute_bars from the {existing['trades_rows']:,} seeded trades…")
    rows, seconds = await _build_minute_bars(pool)
    async with pool.acquire() as conn:
        await conn.execute(f"ALTER TABLE {SCHEMA}.seed_info ADD COLUMN IF NOT EXISTS minute_bars_rows bigint, "
                           f"ADD COLUMN IF NOT EXISTS minute_bars_s double precision")
        await conn.execute(f"UPDATE {SCHEMA}.seed_info SET version = $1, minute_bars_rows = $2, minute_bars_s = $3",
                           SEED_VERSION, rows, seconds)
    log_to(f"  built {rows:,} minute bars in {seconds:.1f} s")


async def _build_indexes(pool: asyncpg.Pool, indexes: dict[str, list[str]]) -> None:
    """Index builds after the load, two at a time (one per core), the big trades ones first."""
    statements = [s for t in _INDEX_ORDER for s in indexes[t]]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for s in statements:
        queue.put_nowait(s)

    async def worker() -> None:
        async with pool.acquire() as conn:
            await conn.execute("SET maintenance_work_mem = '256MB'")
            while not queue.empty():
                await conn.execute(queue.get_nowait())

    await asyncio.gather(worker(), worker())
