"""``stock-tracker bench ingest``: the real BatchWriter beside the limits of the same server.

All in one run, on the configured database (embedded by default), in a scratch schema that is
dropped at the end (``database.bench.scratch_ingest_schema``; the user's tables are never
touched). This module holds no SQL: it prepares the rows, times and prints:

* ``copy_limit_rows_per_s``: binary COPY of bytes encoded BEFORE the clock starts — what the
  server accepts; nothing client-side can beat it.
* ``writer_rows_per_s``: the real ``BatchWriter`` (queues, exactly-once identities per print,
  ledger row + coverage claim + COPY in one transaction,
  encoding in its executor thread while rows wait) fed as fast as its backpressure allows; it
  flushes at half a queue (5,000 trades) while the producer goes on, as at ``--speed max``, and
  its open transaction takes on what the producer queued meanwhile (``writer_parts``: the parts
  the round's transactions held; ``writer_batch_rows``: rows per transaction).
* ``copy_records_rows_per_s``: plain ``asyncpg.copy_records_to_table`` with ``Decimal`` rows
  (the seed's approach); ``executemany_rows_per_s``: ``INSERT ... VALUES`` via ``executemany``.
* ``flush_ms_p50/p99``: the writer's flush duration for exactly 5,000-trade batches (enqueue a
  batch, flush it; 20 batches).
* ``loop_lag_ms_p99/max``: event-loop lag while a producer enqueues 5,000 trades/s in small
  slices (every 10 ms) and the writer flushes every second, as in the app.

Where the writer's time goes, measured in the same run (µs per row):

* ``writer_client_cpu_us_per_row``: this process's CPU time (all threads) over the writer round;
  one Python process holds the GIL, so ``1 / client CPU`` bounds the writer however well it
  overlaps with the server: ``ratio_bound`` is that bound over the limit.
* ``writer_server_cpu_us_per_row`` and ``copy_limit_server_us_per_row``: CPU time of the server
  processes serving the scratch pool over the same rounds, and ``*_cpu_wait_us_per_row``, the time
  the server processes (or this process's threads) were ready to run but had no CPU: a high wait
  says the machine's cores held the round back (Linux ``/proc/<pid>/schedstat``, a local server;
  null where unreadable); ``*_cores_used``: client and server CPU over the wall time, the CPUs the
  round kept busy on average. ``ratio_bound_machine``: the tightest of ``1 / client CPU``,
  ``cpu_count / (client + server CPU)`` and the ceiling below, over the limit: what the writer's
  measured costs allow on this machine when nothing else runs.
* ``writer_ceiling_rows_per_s`` (and its ``_ratio_to_limit``): the writer's own transactions
  (ledger row, coverage claim, COPY, minute bars, durable COMMIT) with every row encoded and
  folded before the clock starts: what the server allows the writer when the client costs nothing.
  Its batches hold ``writer_batch_rows``, the mean batch of the writer round before it;
  ``writer_ceiling_large_batch_ratio_to_limit`` is the same with ``LARGE_BATCH_ROWS``-row batches
  (how much the per-transaction costs weigh).
* The client's parts, each on its own: ``enqueue_us_per_row`` (identity + queue, on the loop),
  ``encode_us_per_row`` (COPY bytes) and ``fold_us_per_row`` (minute bars) on the encoder thread,
  ``client_other_us_per_row`` (the rest: asyncpg, flush orchestration, thread hand-offs), and
  ``handoff_us_per_row``: the cheapest serialization of the same rows for another process (pickle),
  which an encoder in a subprocess would pay on this process's GIL instead of ``encode``.

Throughput figures are the best of ``ROUNDS`` alternating rounds (a shared 2-core machine is noisy);
the per-row costs are those of the best round.
"""

from __future__ import annotations

import asyncio
import gc
import os
import pickle
import random
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, Awaitable, Callable

import asyncpg
import orjson

from desktop_app.bench.machine_load import load_average, load_line
from desktop_app.config import Settings
from desktop_app.database import schema
from desktop_app.database.batch_writer import ENCODE_SLICE_ROWS, BatchWriter, table_layouts
from desktop_app.database.minute_bar_aggregate import MinuteBarBatch
from desktop_app.database.journal import Journal
from desktop_app.database.bench.scratch_ingest_schema import ScratchIngestSchema
from desktop_app.domain import VIETNAM_TZ, ClassifiedTrade, TradeType
from desktop_app.services.loop_lag import LoopLagMonitor, percentile
from desktop_app.speedups import tune_gc_for_streaming

BATCH_ROWS = 5_000
DEFAULT_ROWS = 100_000
EXECUTEMANY_MAX_ROWS = 20_000  # executemany is ~10x slower: a sample is enough
ROUNDS = 3
BENCH_ORIGIN = "bench"  # the writer checks every print's TotalVol against what is stored, as in the app
LAG_RATE_PER_S = 5_000
LAG_SECONDS = 8.0
LAG_TICK_S = 0.01
LARGE_BATCH_ROWS = 20_000  # the ceiling again with larger batches: what per-batch costs weigh
COST_REPEATS = 3  # per-part CPU costs: best of this many passes

_SYMBOLS = ("ACB", "BCM", "BID", "BVH", "CTG", "FPT", "GAS", "GVR", "HDB", "HPG", "MBB", "MSN", "MWG",
            "PLX", "POW", "SAB", "SHB", "SSB", "SSI", "STB", "TCB", "TPB", "VCB", "VHM", "VIB", "VIC",
            "VJC", "VNM", "VPB", "VRE")
_COLUMNS = list(schema.TRADE_COPY_COLUMNS)


def make_trades(n: int, seed: int = 1) -> list[ClassifiedTrade]:
    """Realistic prints: 30 symbols on their tick grids, 100-share lots, ~50 prints per second.

    Prices are shared ``Decimal`` objects and the prints of one second share one ``datetime``,
    as the parser's price and time caches hand them out."""
    rng = random.Random(seed)
    base = {s: rng.randint(200, 1500) * 100 for s in _SYMBOLS}
    grid: dict[int, Decimal] = {}
    start = datetime(2026, 4, 8, 9, 15, tzinfo=VIETNAM_TZ)
    types = (TradeType.BUY, TradeType.SELL, TradeType.BUY, TradeType.SELL, TradeType.NEUTRAL)
    out = []
    totals = dict.fromkeys(_SYMBOLS, 0)  # TotalVol: each print's identity for exactly-once storage
    moments: dict[int, datetime] = {}
    for i in range(n):
        symbol = _SYMBOLS[rng.randrange(len(_SYMBOLS))]
        tick = 50 if base[symbol] < 50_000 else 100
        price_int = base[symbol] + tick * rng.randint(-20, 20)
        price = grid.setdefault(price_int, Decimal(price_int))
        bid = grid.setdefault(price_int - tick, Decimal(price_int - tick))
        volume = 100 * rng.randint(1, 200)
        totals[symbol] += volume
        out.append(ClassifiedTrade(symbol, price, volume, price * volume, types[i % 5], bid, price,
                                   moments.setdefault(i // 50, start + timedelta(seconds=i // 50)), totals[symbol]))
    return out


def _batches(trades: list[ClassifiedTrade]) -> list[list[ClassifiedTrade]]:
    return [trades[i : i + BATCH_ROWS] for i in range(0, len(trades), BATCH_ROWS)]


@dataclass(frozen=True, slots=True)
class Timing:
    """One timed round: its rate, and per row the CPU it cost here and on the server, and the
    time each side was ready to run but waited for a CPU (None where it cannot be read)."""

    rows_per_s: float
    client_cpu_us_per_row: float
    server_cpu_us_per_row: float | None
    server_cpu_wait_us_per_row: float | None
    client_cpu_wait_us_per_row: float | None
    batch_rows: int = BATCH_ROWS  # rows per transaction (the writer round: its mean batch)
    parts: int = 0  # the writer round: queued parts its open transactions took on


def _schedstat(path: str) -> tuple[int, int] | None:
    """(ns on a CPU, ns ready but waiting for a CPU) of one thread, or None (not Linux, a
    server on another machine, a kernel without schedstats, a thread that ended)."""
    try:
        with open(path, "rb") as f:
            run_ns, wait_ns, _ = f.read().split()
    except (OSError, ValueError):
        return None
    return int(run_ns), int(wait_ns)


class ScheduledTime:
    """CPU time and run-queue wait over a round, from ``/proc/<pid>/schedstat``: the server
    processes of the scratch pool, and this process's threads (a thread or server process that
    appears during the round counts from zero). The run-queue wait says whether the machine's
    cores, rather than either side, held the round back."""

    def __init__(self, scratch: ScratchIngestSchema) -> None:
        self._scratch = scratch
        self._before: tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]] | None = None

    @staticmethod
    def _read(paths: list[str]) -> dict[str, tuple[int, int]] | None:
        out = {}
        for path in paths:
            stat = _schedstat(path)
            if stat is not None:
                out[path] = stat
        return out if out else None

    async def _sample(self) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]] | None:
        server = self._read([f"/proc/{pid}/schedstat" for pid in await self._scratch.backend_pids()])
        try:
            threads = [f"/proc/self/task/{tid}/schedstat" for tid in os.listdir("/proc/self/task")]
        except OSError:
            return None
        client = self._read(threads)
        return None if server is None or client is None else (server, client)

    async def start(self) -> None:
        self._before = await self._sample()

    async def stop(self) -> tuple[float, float, float] | None:
        """(server CPU s, server wait s, client wait s) since ``start``, or None."""
        after = await self._sample()
        if after is None or self._before is None:
            return None

        def delta(now: dict[str, tuple[int, int]], then: dict[str, tuple[int, int]], i: int) -> float:
            return sum(v[i] - then.get(k, (0, 0))[i] for k, v in now.items()) / 1e9

        return (delta(after[0], self._before[0], 0), delta(after[0], self._before[0], 1),
                delta(after[1], self._before[1], 1))


async def _timed(rows: int, body: Callable[[], Awaitable[None]], scratch: ScratchIngestSchema) -> Timing:
    gc.collect()
    scheduled = ScheduledTime(scratch)
    await scheduled.start()
    cpu = time.process_time()
    started = time.perf_counter()
    await body()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    times = await scheduled.stop()
    per_row = [None, None, None] if times is None else [t * 1e6 / rows for t in times]
    return Timing(rows / elapsed, cpu * 1e6 / rows, *per_row)


async def _copy_limit(scratch: ScratchIngestSchema, trades: list[ClassifiedTrade]) -> Timing:
    layout = table_layouts()["trades"]
    payloads = [layout.encode_objects(batch) for batch in _batches(trades)]

    async def body() -> None:
        await scratch.copy_limit_payloads(payloads, _COLUMNS)

    return await _timed(len(trades), body, scratch)


def _trade_row(t: ClassifiedTrade) -> tuple[Any, ...]:
    return (t.symbol, t.price, t.volume, t.value, t.trade_type.value, t.bid_price, t.ask_price, t.timestamp)


async def _writer_throughput(scratch: ScratchIngestSchema, trades: list[ClassifiedTrade],
                             journal_dir: Path) -> Timing:
    """A producer as fast as the writer's backpressure allows (as the pipeline at --speed max),
    into the app's default queues (10,000 rows each): the writer flushes when a queue is half full
    (~5,000 rows) while the producer keeps going, and its open transaction takes on the rows
    queued meanwhile."""
    writer = BatchWriter(scratch.pool, Journal(journal_dir, 1 << 30), flush_interval_s=60,
                         origin=BENCH_ORIGIN)
    await writer.start()

    async def body() -> None:
        for i, t in enumerate(trades, 1):
            writer.enqueue(t)
            if i % 500 == 0:
                if writer.congested:
                    await writer.wait_for_room()
                await asyncio.sleep(0)
        while writer.metrics().queued:
            await writer.flush_now()

    try:
        timing = await _timed(len(trades), body, scratch)
    finally:
        metrics = await writer.stop()
    _check_written(metrics, len(trades))
    return replace(timing, batch_rows=round(len(trades) / max(1, metrics.flushes)),
                   parts=metrics.flushes + metrics.continued_parts)


async def _writer_ceiling(pool: asyncpg.Pool, trades: list[ClassifiedTrade], journal_dir: Path,
                          batch_rows: int) -> float:
    """The writer's transactions alone, in batches of ``batch_rows`` (the writer round's mean, so
    that both pay the same per-transaction costs): each batch is queued, encoded and folded first
    (``wait_encoded``), and only its flush is timed. Rows per second of flushing."""
    writer = BatchWriter(pool, Journal(journal_dir, 1 << 30), flush_interval_s=60, queue_max=4 * batch_rows,
                         origin=BENCH_ORIGIN)
    await writer.start()
    elapsed = 0.0
    try:
        for batch in (trades[i : i + batch_rows] for i in range(0, len(trades), batch_rows)):
            for t in batch:
                writer.enqueue(t)
            await writer.wait_encoded()
            started = time.perf_counter()
            await writer.flush_now()
            elapsed += time.perf_counter() - started
    finally:
        metrics = await writer.stop()
    _check_written(metrics, len(trades))
    return len(trades) / elapsed


def _best_cpu_us_per_row(rows: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(COST_REPEATS):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best * 1e6 / rows


def client_costs(trades: list[ClassifiedTrade], pool: Any, journal_dir: Path) -> dict[str, float]:
    """CPU per row of each part of the writer's client side, measured on its own (no database):
    enqueue (identity + queue, a writer that is not started, so nothing is encoded), COPY
    encoding and minute-bar folding in the encoder's slices, and the cheapest hand-off of the
    same slices to another process (pickle of the objects, or of row tuples built from them)."""
    n = len(trades)
    slices = [trades[i : i + ENCODE_SLICE_ROWS] for i in range(0, n, ENCODE_SLICE_ROWS)]
    layout = table_layouts()["trades"]

    def enqueue() -> None:
        writer = BatchWriter(pool, Journal(journal_dir, 1 << 20), queue_max=n + 1, origin=BENCH_ORIGIN)
        for t in trades:
            writer.enqueue(t)

    def encode() -> None:
        for part in slices:
            layout.encode_objects(part, header=False, trailer=False)

    def fold() -> None:
        for part in slices:
            MinuteBarBatch().add_trades(part)

    def pickle_objects() -> None:
        for part in slices:
            pickle.dumps(part, pickle.HIGHEST_PROTOCOL)

    def pickle_tuples() -> None:
        for part in slices:
            pickle.dumps([_trade_row(t) for t in part], pickle.HIGHEST_PROTOCOL)

    return {
        "enqueue_us_per_row": _best_cpu_us_per_row(n, enqueue),
        "encode_us_per_row": _best_cpu_us_per_row(n, encode),
        "fold_us_per_row": _best_cpu_us_per_row(n, fold),
        "handoff_us_per_row": min(_best_cpu_us_per_row(n, pickle_objects), _best_cpu_us_per_row(n, pickle_tuples)),
    }


async def _flush_latencies(pool: asyncpg.Pool, trades: list[ClassifiedTrade], journal_dir: Path) -> list[float]:
    """Flush duration (ms) of exactly BATCH_ROWS-trade batches: enqueue a batch, flush it."""
    writer = BatchWriter(pool, Journal(journal_dir, 1 << 30), flush_interval_s=60, queue_max=2 * BATCH_ROWS,
                         origin=BENCH_ORIGIN)
    await writer.start()
    try:
        for batch in _batches(trades):
            for t in batch:
                writer.enqueue(t)
            await writer.flush_now()
    finally:
        metrics = await writer.stop()
    _check_written(metrics, len(trades))
    return writer.flush_latencies_ms()


def _check_written(metrics: Any, expected: int) -> None:
    if metrics.rows_written["trades"] != expected or metrics.pending or metrics.dropped:
        raise RuntimeError(f"the writer did not write every row: {metrics}")


async def _copy_records(scratch: ScratchIngestSchema, trades: list[ClassifiedTrade]) -> float:
    async def body() -> None:  # rows are built batch by batch inside the timing, as a caller would
        await scratch.copy_records(([_trade_row(t) for t in batch] for batch in _batches(trades)), _COLUMNS)

    return (await _timed(len(trades), body, scratch)).rows_per_s


async def _executemany(scratch: ScratchIngestSchema, trades: list[ClassifiedTrade]) -> float:
    async def body() -> None:
        await scratch.insert_executemany(([_trade_row(t) for t in batch] for batch in _batches(trades)), _COLUMNS)

    return (await _timed(len(trades), body, scratch)).rows_per_s


async def _lag_while_ingesting(pool: asyncpg.Pool, journal_dir: Path) -> dict[str, float]:
    """A producer at LAG_RATE_PER_S in LAG_TICK_S slices, the writer flushing every second, with
    the garbage collector set up as the app's entry points set it (``tune_gc_for_streaming``):
    without it a full collection over the earlier phases' rows shows up as one 50-70 ms sample
    that the app, which holds no such rows, never has."""
    tune_gc_for_streaming()
    total = int(LAG_RATE_PER_S * LAG_SECONDS)
    trades = make_trades(total, seed=2)
    per_tick = int(LAG_RATE_PER_S * LAG_TICK_S)
    writer = BatchWriter(pool, Journal(journal_dir, 1 << 30), flush_interval_s=1.0, queue_max=10_000,
                         origin=BENCH_ORIGIN)
    monitor = LoopLagMonitor(interval_s=0.01)
    await writer.start()
    loop = asyncio.get_running_loop()
    monitor.start()
    started = loop.time()
    try:
        for tick, i in enumerate(range(0, total, per_tick)):
            for t in trades[i : i + per_tick]:
                writer.enqueue(t)
            delay = started + (tick + 1) * LAG_TICK_S - loop.time()
            await asyncio.sleep(max(0.0, delay))
        await asyncio.sleep(1.2)  # the last regular flush happens under the monitor too
    finally:
        await monitor.stop()
        metrics = await writer.stop()
    stats = monitor.overall()
    flushes = sorted(writer.flush_latencies_ms())
    return {
        "loop_lag_ms_p50": round(stats.p50_ms, 2),
        "loop_lag_ms_p99": round(stats.p99_ms, 2),
        "loop_lag_ms_max": round(stats.max_ms, 2),
        "lag_test_rows": metrics.rows_written["trades"],
        "lag_test_flush_ms_p99": round(percentile(flushes, 0.99), 2),
    }


async def run_ingest_bench(settings: Settings, as_json: bool, rows: int | None) -> int:
    from desktop_app.database.connection import Database

    n = int(rows) if rows else DEFAULT_ROWS
    if n < BATCH_ROWS:
        n = BATCH_ROWS
    database = await Database.open(settings, migrate=True)
    try:
        trades = make_trades(n)
        # The app's entry points set the collector up so (see ``speedups``); freezing here also
        # keeps the bench's own 100,000 input rows out of every collection, as the app holds no
        # such pile: without it a third of the writer's client CPU was the collector's.
        tune_gc_for_streaming()
        results: dict[str, Any] = {"rows": n, "batch_rows": BATCH_ROWS}
        with TemporaryDirectory(prefix="bench-journal-") as tmp:
            journal_root = Path(tmp)
            async with ScratchIngestSchema(database.dsn) as scratch:
                limits: list[Timing] = []
                writers: list[Timing] = []
                ceilings: list[float] = []
                large: list[float] = []
                for round_ in range(ROUNDS):
                    await scratch.truncate()
                    limits.append(await _copy_limit(scratch, trades))
                    await scratch.truncate()
                    writers.append(await _writer_throughput(scratch, trades, journal_root / f"w{round_}"))
                    await scratch.truncate()
                    ceilings.append(await _writer_ceiling(scratch.pool, trades, journal_root / f"c{round_}",
                                                          writers[-1].batch_rows))
                    await scratch.truncate()
                    large.append(await _writer_ceiling(scratch.pool, trades, journal_root / f"l{round_}",
                                                       LARGE_BATCH_ROWS))
                costs = client_costs(trades, scratch.pool, journal_root / "costs")
                await scratch.truncate()
                flush_ms = await _flush_latencies(scratch.pool, trades[: 20 * BATCH_ROWS], journal_root / "f")
                await scratch.truncate()
                records = await _copy_records(scratch, trades)
                executemany_rows = min(n, EXECUTEMANY_MAX_ROWS)
                executemany = await _executemany(scratch, trades[:executemany_rows])
                await scratch.truncate()
                lag = await _lag_while_ingesting(scratch.pool, journal_root / "lag")
        flush_sorted = sorted(flush_ms)
        best_limit = max(limits, key=lambda t: t.rows_per_s)
        best_writer = max(writers, key=lambda t: t.rows_per_s)
        limit, writer, ceiling = best_limit.rows_per_s, best_writer.rows_per_s, max(ceilings)
        client_us = best_writer.client_cpu_us_per_row
        cores = os.cpu_count() or 1
        results.update({
            "writer_rows_per_s": round(writer),
            "copy_limit_rows_per_s": round(limit),
            "ratio_to_limit": round(writer / limit, 3),
            "copy_records_rows_per_s": round(records),
            "copy_records_ratio_to_limit": round(records / limit, 3),
            "executemany_rows_per_s": round(executemany),
            "executemany_rows": executemany_rows,
            "flush_ms_p50": round(percentile(flush_sorted, 0.50), 2),
            "flush_ms_p99": round(percentile(flush_sorted, 0.99), 2),
            **lag,
            "rounds": ROUNDS,
            "writer_rows_per_s_rounds": [round(x.rows_per_s) for x in writers],
            "copy_limit_rows_per_s_rounds": [round(x.rows_per_s) for x in limits],
            "writer_client_cpu_us_per_row": round(client_us, 2),
            "writer_server_cpu_us_per_row": _rounded(best_writer.server_cpu_us_per_row),
            "copy_limit_server_us_per_row": _rounded(best_limit.server_cpu_us_per_row),
            "writer_server_cpu_wait_us_per_row": _rounded(best_writer.server_cpu_wait_us_per_row),
            "writer_client_cpu_wait_us_per_row": _rounded(best_writer.client_cpu_wait_us_per_row),
            "copy_limit_server_cpu_wait_us_per_row": _rounded(best_limit.server_cpu_wait_us_per_row),
            "writer_ceiling_rows_per_s": round(ceiling),
            "writer_ceiling_ratio_to_limit": round(ceiling / limit, 3),
            "writer_ceiling_rows_per_s_rounds": [round(x) for x in ceilings],
            "writer_batch_rows": best_writer.batch_rows,
            "writer_parts": best_writer.parts,
            "writer_ceiling_large_batch_rows": LARGE_BATCH_ROWS,
            "writer_ceiling_large_batch_ratio_to_limit": round(max(large) / limit, 3),
            **{key: round(value, 2) for key, value in costs.items()},
            "client_other_us_per_row": round(client_us - costs["enqueue_us_per_row"] - costs["encode_us_per_row"]
                                             - costs["fold_us_per_row"], 2),
            "writer_cores_used": _cores_used(best_writer),
            "copy_limit_cores_used": _cores_used(best_limit),
            "ratio_bound": round(1e6 / client_us / limit, 3),
            "cpu_count": cores,
            "ratio_bound_machine": _machine_bound(client_us, best_writer.server_cpu_us_per_row, ceiling, cores, limit),
            **load_average(),  # at the end of the measurements
        })
    finally:
        await database.close()
    if as_json:
        print(orjson.dumps(results).decode(), flush=True)
    else:
        _print_human(results)
    return 0


def _machine_bound(client_us: float, server_us: float | None, ceiling: float, cores: int,
                   limit: float) -> float | None:
    """The best ratio the writer's measured costs allow on this machine with nothing else running:
    the client's CPU on one core (the GIL), the client's and server's CPU together on every core,
    and the server's own transactions (the ceiling), whichever is tightest."""
    if server_us is None:
        return None
    return round(min(1e6 / client_us, cores * 1e6 / (client_us + server_us), ceiling) / limit, 3)


def _cores_used(timing: Timing) -> float | None:
    """CPUs busy on the round on average: this process's CPU time and the server's, over the wall
    time. Near 1 for a round that needs two: the machine had about one core to give it."""
    if timing.server_cpu_us_per_row is None:
        return None
    return round((timing.client_cpu_us_per_row + timing.server_cpu_us_per_row) * timing.rows_per_s / 1e6, 2)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _print_human(r: dict[str, Any]) -> None:
    out = sys.stdout
    out.write(f"ingest benchmark: {r['rows']:,} trades in {r['batch_rows']:,}-row batches\n")
    out.write(f"  binary COPY limit (pre-encoded)   {r['copy_limit_rows_per_s']:>10,} rows/s\n")
    out.write(f"  BatchWriter                       {r['writer_rows_per_s']:>10,} rows/s"
              f"  ({r['ratio_to_limit']:.0%} of the limit; {r['writer_parts']} parts in"
              f" {r['writer_batch_rows']:,}-row transactions)\n")
    out.write(f"  writer ceiling (pre-encoded)      {r['writer_ceiling_rows_per_s']:>10,} rows/s"
              f"  ({r['writer_ceiling_ratio_to_limit']:.0%} of the limit; {r['writer_batch_rows']:,}-row batches,"
              f" {r['writer_ceiling_large_batch_ratio_to_limit']:.0%} with {r['writer_ceiling_large_batch_rows']:,})\n")
    out.write(f"  writer client CPU                 {r['writer_client_cpu_us_per_row']:>10} us/row"
              f"  (enqueue {r['enqueue_us_per_row']}, encode {r['encode_us_per_row']}, fold {r['fold_us_per_row']},"
              f" other {r['client_other_us_per_row']}; bound {r['ratio_bound']:.0%} of the limit)\n")
    out.write(f"  server CPU: writer / limit        {r['writer_server_cpu_us_per_row']} / "
              f"{r['copy_limit_server_us_per_row']} us/row;"
              f" hand-off to a process {r['handoff_us_per_row']} us/row\n")
    out.write(f"  cores busy: writer / limit round  {r['writer_cores_used']} / {r['copy_limit_cores_used']}\n")
    out.write(f"  waiting for a CPU (writer round)  server {r['writer_server_cpu_wait_us_per_row']},"
              f" client {r['writer_client_cpu_wait_us_per_row']} us/row; limit round: server"
              f" {r['copy_limit_server_cpu_wait_us_per_row']} us/row\n")
    if r["ratio_bound_machine"] is not None:
        out.write(f"  best the measured costs allow     {r['ratio_bound_machine']:.0%} of the limit"
                  f" on {r['cpu_count']} idle cores\n")
    out.write(f"  copy_records_to_table (Decimal)   {r['copy_records_rows_per_s']:>10,} rows/s"
              f"  ({r['copy_records_ratio_to_limit']:.0%} of the limit)\n")
    out.write(f"  executemany INSERT                {r['executemany_rows_per_s']:>10,} rows/s\n")
    out.write(f"  flush of 5,000 trades             p50 {r['flush_ms_p50']} ms, p99 {r['flush_ms_p99']} ms\n")
    out.write(f"  loop lag at {LAG_RATE_PER_S:,} trades/s          p50 {r['loop_lag_ms_p50']} ms,"
              f" p99 {r['loop_lag_ms_p99']} ms, max {r['loop_lag_ms_max']} ms\n")
    out.write(f"  {load_line(r)}\n")
    out.flush()
