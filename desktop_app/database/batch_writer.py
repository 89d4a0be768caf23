"""BatchWriter: processed values -> PostgreSQL via binary COPY, once per flush interval.

The seed's design (bounded per-table queues, a 1 s flush, COPY) with its two gaps closed:

* Nothing lost. The seed drops the oldest row when a queue is full. Here a full queue, or a flush
  the database cannot take, spills the batch to the on-disk ``Journal``; the journal is replayed
  oldest first as soon as the database answers (retried with exponential backoff) and at the next
  start. Only an exhausted journal disk budget drops rows: logged as an error, counted in
  ``WriterMetrics.dropped`` for the UI.
* Nothing twice. Each batch has a UUID recorded in ``ingest_ledger`` in the SAME transaction as
  its COPYs (one transaction per batch, all tables). The ledger row is inserted first with
  ``ON CONFLICT DO NOTHING``: if it already exists the batch committed before (e.g. the process
  died after COMMIT but before deleting the journal record) and the replay is a no-op.

The UI never stalls: rows are encoded to the binary COPY format (``copy_encoding``) in slices on
a dedicated executor thread WHILE THEY WAIT in the queue (every ``encode_slice_rows`` rows); at
flush time only the tail is left to encode, and the loop just hands finished slices to asyncpg,
which streams them. The COPY of one batch thus overlaps the encoding of the next. Journal file I/O has
its own single thread, which also serialises it.

Trades also feed ``trade_minute_bars`` (``minute_bar_aggregate``): the encoder thread folds each
slice into its batch's minute bars as it encodes it, and the flush upserts those bars in the batch's own
transaction, right after the trades' COPY (one statement, a few dozen rows). A journal replay has
only the COPY bytes: it aggregates them in SQL through a staging table in the same transaction.
Either way the ledger row makes the bars exactly-once with their trades.

Nothing stored twice across runs either (``ingest_coverage``). A writer given an ``origin`` gives
every trade, foreign snapshot and basis point its identity within that origin as it is queued
and skips, right there, rows it knows are stored (a restart's or a re-import's catch-up is never
encoded); in each batch's transaction it locks the batch's coverage rows, leaves out rows stored
meanwhile (cutting them from the COPY stream) and records the rest as covered. Alerts go through a
staging table and ``ON CONFLICT DO NOTHING`` on their unique key. Rows left out are counted in
``WriterMetrics.skipped_stored``.

A batch the database refuses for good (a constraint or type error — not a connection problem)
is moved to ``journal/quarantine`` with the reason, logged as an error and counted: kept, never
retried forever, never blocking the batches behind it.
"""

from __future__ import annotations

import asyncio
import functools
from contextlib import asynccontextmanager
import logging
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, AsyncIterator, Sequence

import asyncpg
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, Numeric, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from desktop_app.database import schema
from desktop_app.database.connection import as_pool_provider
from desktop_app.database.copy_encoding import (
    COPY_HEADER, COPY_TRAILER, CopyColumn, CopyEncodingError, CopyLayout, PgType,
)
from desktop_app.database.ingest_coverage import (
    STORED, BatchCoverage, ClaimResult, CoverageTracker, KeyClaim, RowIdentity, TransactionCoverage, claim,
    load_latest, select_copy_rows, stored_until,
)
from desktop_app.database.journal import Journal, JournalBatch, RecordRef, TablePayload
from desktop_app.database.minute_bar_aggregate import MinuteBarBatch, aggregate_copied_trades, upsert_minute_bars
from desktop_app.domain import Alert, BasisPoint, ClassifiedTrade, ForeignInvestorData, ProcessedValue
from desktop_app.errors import DatabaseConfigurationError
from desktop_app.lifecycle import Lifecycle

log = logging.getLogger(__name__)

TABLES = ("trades", "foreign_snapshots", "basis_history", "alerts")
ENCODE_SLICE_ROWS = 1_000  # rows per encoded slice: bounds each hand-off to the loop
FLUSH_HISTORY = 2_000  # flush latencies kept for percentiles
# The writer forgets a batch (queue or journal) once COMMIT returns, so that COMMIT must be
# durable even on a server configured with synchronous_commit=off.
_DURABLE_COMMIT = "SET LOCAL synchronous_commit TO on"
_LEDGER_INSERT = (
    "INSERT INTO ingest_ledger (batch_id, rows) VALUES ('{batch_id}'::uuid, {rows}) "
    "ON CONFLICT (batch_id) DO NOTHING"
)
_LEDGER_ROWS = "UPDATE ingest_ledger SET rows = {rows} WHERE batch_id = '{batch_id}'::uuid"

_ACQUIRE_TIMEOUT_S = 10.0
_ALERT_STAGING = "alerts_incoming"
_ALERT_KEY = "(symbol, alert_type, created_at)"

EncodedSlice = tuple[bytes, int, "MinuteBarBatch | None"]
"""COPY bytes of a slice, its row count, and (trades only) the minute bars of its batch, into which
the slice's rows were folded — None for other tables, or when the rows could not be folded (the
flush then aggregates the batch in SQL)."""


# --------------------------------------------------------------------------- table layouts


def _pg_type(column: Any, cached: bool = True) -> CopyColumn:
    t = column.type
    if isinstance(t, BigInteger):
        kind = PgType.INT8
    elif isinstance(t, SmallInteger):
        kind = PgType.INT2
    elif isinstance(t, Integer):
        kind = PgType.INT4
    elif isinstance(t, Numeric) and not isinstance(t, Float):
        return CopyColumn(column.name, PgType.NUMERIC, t.scale, cached)
    elif isinstance(t, Float):
        kind = PgType.FLOAT8
    elif isinstance(t, DateTime):
        if not t.timezone:
            raise TypeError(f"{column.table.name}.{column.name}: only TIMESTAMPTZ is supported")
        kind = PgType.TIMESTAMPTZ
    elif isinstance(t, Date):
        kind = PgType.DATE
    elif isinstance(t, Boolean):
        kind = PgType.BOOL
    elif isinstance(t, PG_UUID):
        kind = PgType.UUID
    elif isinstance(t, (String, Text)):
        kind = PgType.TEXT
    else:
        raise TypeError(f"{column.table.name}.{column.name}: no COPY encoder for {t!r}")
    return CopyColumn(column.name, kind, None, cached)


def layout_for(table: Any, columns: Sequence[str], attributes: Sequence[str] | None = None,
               uncached: frozenset[str] = frozenset()) -> CopyLayout:
    """A ``CopyLayout`` from the one schema source (works while the database is down)."""
    return CopyLayout(table.name, [_pg_type(table.c[name], name not in uncached) for name in columns],
                      attributes=attributes)


# Which attribute of the domain value fills each COPY column (schema.*_COPY_COLUMNS order), and
# the columns whose values rarely repeat (not worth a cache lookup).
_SOURCES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...], frozenset[str]]] = {
    "trades": (
        schema.trades, schema.TRADE_COPY_COLUMNS,
        ("symbol", "price", "volume", "value", "trade_type", "bid_price", "ask_price", "timestamp"),
        frozenset({"value"}),
    ),
    "foreign_snapshots": (
        schema.foreign_snapshots, schema.FOREIGN_COPY_COLUMNS,
        ("symbol", "buy_volume", "sell_volume", "net_volume", "buy_speed_per_min", "sell_speed_per_min",
         "timestamp", "buy_value", "sell_value", "room_left"),
        frozenset({"buy_speed_per_min", "sell_speed_per_min", "f_buy_val", "f_sell_val"}),
    ),
    "basis_history": (
        schema.basis_history, schema.BASIS_COPY_COLUMNS,
        ("futures_symbol", "futures_price", "spot_value", "basis", "timestamp"),
        frozenset(),
    ),
    "alerts": (
        schema.alerts, schema.ALERT_COPY_COLUMNS,
        ("symbol", "alert_type", "message", "severity", "timestamp"),
        frozenset({"message"}),
    ),
}


def table_layouts() -> dict[str, CopyLayout]:
    """One layout per table the writer fills, encoding domain values via ``encode_objects``."""
    return {name: layout_for(table, columns, attributes, uncached)
            for name, (table, columns, attributes, uncached) in _SOURCES.items()}


_TABLE_OF: dict[type, str] = {
    ClassifiedTrade: "trades",
    ForeignInvestorData: "foreign_snapshots",
    BasisPoint: "basis_history",
    Alert: "alerts",
}


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True, slots=True)
class WriterMetrics:
    """A snapshot for the status bar / summary. Row counts are rows, batch counts are batches."""

    queue_depths: dict[str, int]
    rows_written: dict[str, int]
    last_flush_rows: int
    last_flush_ms: float
    flushes: int
    failed_flushes: int
    journal_bytes: int
    journal_batches: int
    journal_rows: int
    journal_replayed: int  # batches replayed from the journal into the database
    spilled_batches: int
    dropped: int  # rows lost to an exhausted journal budget
    quarantined: int  # rows the database refused for good (kept under journal/quarantine)
    unencodable: int  # rows no PostgreSQL column could hold (logged, kept in quarantine text)
    database_up: bool
    overflow_pending: int = 0
    skipped_stored: dict[str, int] = field(default_factory=dict)  # rows left out: stored already
    continued_parts: int = 0  # queued parts an open transaction took on (a producer outpacing a flush)

    @property
    def queued(self) -> int:
        return sum(self.queue_depths.values()) + self.overflow_pending

    @property
    def pending(self) -> int:
        """Rows accepted but not yet in the database (queues + journal)."""
        return self.queued + self.journal_rows


@dataclass
class _Pending:
    """Rows taken from the queues, with the futures of their encoded slices (in order)."""

    batch_id: uuid.UUID
    created_at: float
    rows: dict[str, list[Any]] = field(default_factory=dict)
    slices: dict[str, list[asyncio.Future]] = field(default_factory=dict)
    identities: dict[str, list[RowIdentity | None]] = field(default_factory=dict)
    claims: list[KeyClaim] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.rows.values())


class _TransientDatabaseError(Exception):
    """The database cannot be reached right now (the batch is kept and retried)."""


def _is_transient(exc: BaseException) -> bool:
    return isinstance(
        exc,
        (
            OSError,
            asyncio.TimeoutError,
            TimeoutError,
            asyncpg.InterfaceError,  # connection closed / pool closing
            asyncpg.PostgresConnectionError,  # class 08
            asyncpg.exceptions.OperatorInterventionError,  # 57: admin shutdown, cannot connect now
            asyncpg.exceptions.InsufficientResourcesError,  # 53: disk full, too many connections
            asyncpg.exceptions.TransactionRollbackError,  # 40: serialization failure, deadlock
            DatabaseConfigurationError,  # a lazy pool provider could not connect
            _TransientDatabaseError,
        ),
    )


# --------------------------------------------------------------------------- the writer


class BatchWriter:
    """Queues processed values and writes them in one COPY transaction per flush interval.

    ``database`` is anything with a ``.pool`` (``Database``), an ``asyncpg.Pool``, or an async
    callable returning a pool (called on every attempt while the database is down, so a lazy
    provider can reconnect).

    ``origin`` (``ingest_coverage.MARKET`` / ``DEMO``) turns on exactly-once storage across runs
    for the rows of that origin; without it every row is written (benchmarks, seeding tools).
    """

    def __init__(
        self,
        database: Any,
        journal: Journal,
        *,
        flush_interval_s: float = 1.0,
        queue_max: int = 10_000,
        retry_initial_s: float = 0.25,
        retry_max_s: float = 5.0,
        encode_slice_rows: int = ENCODE_SLICE_ROWS,
        replay_budget_s: float | None = None,
        origin: str | None = None,
        max_batch_rows: int | None = None,
    ) -> None:
        self._pool_provider = as_pool_provider(database, "BatchWriter")
        self._coverage = CoverageTracker(origin) if origin else None
        self._identities: dict[str, list[RowIdentity | None]] = {t: [] for t in TABLES}
        self._skipped = {t: 0 for t in TABLES}
        self.journal = journal
        self.flush_interval_s = float(flush_interval_s)
        self.queue_max = int(queue_max)
        # One transaction takes on queued parts up to this many rows (see ``_write_fresh``): with
        # the queues, what the writer holds in memory at most.
        self.max_batch_rows = int(max_batch_rows) if max_batch_rows is not None else 8 * self.queue_max
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._slice_rows = max(1, int(encode_slice_rows))
        self._replay_budget_s = replay_budget_s if replay_budget_s is not None else self.flush_interval_s / 2
        self._layouts = table_layouts()
        self._queues: dict[str, list[Any]] = {t: [] for t in TABLES}
        # Rows are encoded while they wait: every ``encode_slice_rows`` queued rows go to the
        # encoder thread at once, so that a flush finds most of its bytes ready and the COPY of
        # one batch overlaps the encoding of the next.
        self._slices: dict[str, list[asyncio.Future]] = {t: [] for t in TABLES}
        # The minute bars of the queued trades: the encoder thread folds each slice into them as it
        # encodes it (in queue order, one slice at a time), so a flush has no per-slice bars to
        # merge on the loop; the flush reads them once every slice of its batch is done.
        self._bars = MinuteBarBatch()
        self._encoded_upto: dict[str, int] = {t: 0 for t in TABLES}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._overflow: deque[_Pending] = deque()
        self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-encoder")
        self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-io")
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._cycle_done: asyncio.Event | None = None
        self._cycle_lock: asyncio.Lock | None = None
        self.state = Lifecycle.NEW
        self._room: asyncio.Event | None = None  # set whenever a cycle has taken the queues
        # state and counters
        self._db_up = True
        self._retry_delay = retry_initial_s
        self._next_attempt = 0.0
        self._rows_written = {t: 0 for t in TABLES}
        self._last_flush_rows = 0
        self._last_flush_ms = 0.0
        self._flushes = 0
        self._continued = 0  # parts taken on by a transaction already open
        self._failed_flushes = 0
        self._replayed = 0
        self._spilled = 0
        self._dropped = 0
        self._quarantined = 0
        self._unencodable = 0
        self._flush_ms: deque[float] = deque(maxlen=FLUSH_HISTORY)
        self._journal_stats = (0, 0, 0)  # bytes, batches, rows — refreshed after disk operations

    # ------------------------------------------------------------------ producer side (sync)
    def enqueue(self, value: ProcessedValue) -> None:
        """Queue one value for the next flush. Never blocks, never drops: a full queue seals the
        current batch for spilling (see ``congested`` / ``wait_for_room`` for backpressure)."""
        table = _TABLE_OF.get(type(value))
        if table is None:
            raise TypeError(f"BatchWriter cannot store {type(value).__name__}")
        tracker = self._coverage
        if tracker is not None and table != "alerts":
            identity = tracker.admit(table, value)
            if identity is STORED:
                self._skipped[table] += 1
                return
            self._identities[table].append(identity)  # type: ignore[arg-type]
        queue = self._queues[table]
        queue.append(value)
        n = len(queue)
        if n - self._encoded_upto[table] >= self._slice_rows and self._loop is not None:
            self._submit_slice(table, self._encoded_upto[table], n)
            if n >= self.queue_max // 2 and self._wake is not None:
                self._wake.set()  # flush early: a fast producer should not reach the limit
        if n >= self.queue_max:
            self._seal_overflow()

    @property
    def congested(self) -> bool:
        """True when a producer should pause: a queue is nearly full or sealed batches wait."""
        limit = self.queue_max - self.queue_max // 10
        return bool(self._overflow) or any(len(q) >= limit for q in self._queues.values())

    async def wait_for_room(self) -> None:
        """Backpressure for fast producers: wake the flush task and wait until it has TAKEN the
        queued rows (room again), not until they are written, so that the producer fills the
        next batch while the database stores this one (and an open transaction may take it on).
        Memory stays bounded: one transaction of at most ``max_batch_rows`` in flight beside full
        queues."""
        while self.congested and self._started and not self._stopping:
            assert self._room is not None and self._wake is not None
            self._room.clear()
            self._wake.set()
            await self._room.wait()

    @property
    def origin(self) -> str | None:
        return self._coverage.origin if self._coverage is not None else None

    async def stored_until(self) -> datetime | None:
        """Where this origin's stored history ends (None: nothing stored, no origin, or the
        database cannot say now). Also reads the latest day's coverage, so that a restart's
        catch-up is skipped as it is queued rather than in the transaction."""
        tracker = self._coverage
        if tracker is None:
            return None
        try:
            pool = await self._pool()
            async with pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
                tracker.learn(await load_latest(conn, tracker.origin))
                return await stored_until(conn, tracker.origin)
        except Exception as exc:
            if not _is_transient(exc):
                raise
            log.warning("cannot read where the stored %s history ends (%s); each batch is still checked "
                        "when it is written", tracker.origin, exc)
            return None

    # ------------------------------------------------------------------ lifecycle
    @property
    def _started(self) -> bool:
        """Taking rows and flushing: started and not yet fully stopped."""
        return self.state in (Lifecycle.RUNNING, Lifecycle.STOPPING)

    @property
    def _stopping(self) -> bool:
        return self.state.ending

    async def start(self) -> None:
        """Open the journal (indexing what an earlier run left) and start the flush task."""
        if self._started:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._disk, self.journal.open)
        self._refresh_journal_stats()
        self._loop = loop
        self._wake = asyncio.Event()
        self._cycle_lock = asyncio.Lock()
        self._room = asyncio.Event()
        self.state = Lifecycle.RUNNING
        self._task = asyncio.create_task(self._run(), name="batch-writer")

    async def stop(self, *, drain_timeout_s: float = 30.0) -> WriterMetrics:
        """Flush everything; replay the journal while the database answers; then release threads.

        Rows that still cannot be written stay in the journal for the next start (``pending``)."""
        if not self._started:
            return self.metrics()
        self.state = Lifecycle.STOPPING
        assert self._wake is not None and self._room is not None
        self._wake.set()
        self._room.set()  # a producer in wait_for_room stops waiting; stop() drains its rows
        if self._task is not None:
            try:
                await self._task
            except Exception:  # noqa: BLE001 - already logged by _run; the drain below still runs
                log.exception("batch writer flush task ended with an error")
        deadline = time.monotonic() + drain_timeout_s
        self._next_attempt = 0.0  # a final attempt even during a backoff
        await self._cycle(final=True, deadline=deadline)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._disk, self.journal.close)
        # Joining idle threads is quick, but still not something to do on the UI thread.
        await asyncio.to_thread(self._encoder.shutdown, True)
        await asyncio.to_thread(self._disk.shutdown, True)
        self.state = Lifecycle.STOPPED
        return self.metrics()

    async def flush_now(self) -> None:
        """Run one flush cycle now (sealed batches, journal replay, queued rows) and wait for it."""
        if not self._started:
            raise RuntimeError("BatchWriter.flush_now() before start()")
        await self._cycle(final=False, deadline=None)

    async def wait_encoded(self) -> None:
        """Encode every queued row now and wait until the encoder thread is done with them, so
        that a following ``flush_now`` only runs the transaction (``bench ingest`` measures the
        writer's ceiling this way: what the server allows when encoding costs nothing)."""
        if not self._started:
            raise RuntimeError("BatchWriter.wait_encoded() before start()")
        for table, queue in self._queues.items():
            if self._encoded_upto[table] < len(queue):
                self._submit_slice(table, self._encoded_upto[table], len(queue))
        await asyncio.gather(*(f for futures in self._slices.values() for f in futures))

    def metrics(self) -> WriterMetrics:
        journal_bytes, journal_batches, journal_rows = self._journal_stats
        return WriterMetrics(
            queue_depths={t: len(q) for t, q in self._queues.items()},
            rows_written=dict(self._rows_written),
            last_flush_rows=self._last_flush_rows,
            last_flush_ms=self._last_flush_ms,
            flushes=self._flushes,
            failed_flushes=self._failed_flushes,
            journal_bytes=journal_bytes,
            journal_batches=journal_batches,
            journal_rows=journal_rows,
            journal_replayed=self._replayed,
            spilled_batches=self._spilled,
            dropped=self._dropped,
            quarantined=self._quarantined,
            unencodable=self._unencodable,
            database_up=self._db_up,
            overflow_pending=sum(p.size for p in self._overflow),
            skipped_stored=dict(self._skipped),
            continued_parts=self._continued,
        )

    def flush_latencies_ms(self) -> list[float]:
        """Durations of recent successful flushes of fresh rows (ms), oldest first."""
        return list(self._flush_ms)

    # ------------------------------------------------------------------ the flush loop
    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            try:  # asyncio.timeout, not wait_for: no extra task, so no extra loop turns per flush
                async with asyncio.timeout(self.flush_interval_s):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            if self._stopping:
                break
            try:
                await self._cycle(final=False, deadline=None)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep flushing; the batch was spilled or counted
                log.exception("batch writer flush cycle failed")

    async def _cycle(self, *, final: bool, deadline: float | None) -> None:
        assert self._cycle_lock is not None
        async with self._cycle_lock:
            # 1. batches sealed because a queue filled up: to the journal (bounded memory).
            while self._overflow:
                pending = self._overflow.popleft()
                await self._spill(await self._encode_all(pending))
            # 2. the journal, oldest first, while the database answers.
            if self._may_attempt():
                budget = None if final else self._replay_budget_s
                await self._replay_journal(budget, deadline)
            # 3. what is queued now.
            pending = self._take_queues()
            if self._room is not None:
                self._room.set()  # a producer waiting in wait_for_room may fill the queues again
            if pending is not None:
                if self._may_attempt():
                    await self._write_fresh(pending)
                else:
                    await self._spill(await self._encode_all(pending))
            if final and self._may_attempt() and (deadline is None or time.monotonic() < deadline):
                await self._replay_journal(None, deadline)

    def _may_attempt(self) -> bool:
        return self._db_up or time.monotonic() >= self._next_attempt

    def _mark_up(self) -> None:
        if not self._db_up:
            log.warning("database is reachable again; replaying the journal")
        self._db_up = True
        self._retry_delay = self._retry_initial_s

    def _mark_down(self, exc: BaseException) -> None:
        self._failed_flushes += 1
        if self._db_up:
            log.error("database write failed (%s: %s); spilling batches to the journal %s and retrying",
                      type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                      self.journal.directory)
        self._db_up = False
        self._next_attempt = time.monotonic() + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, self._retry_max_s)

    # ------------------------------------------------------------------ queue handling
    def _take_queues(self) -> _Pending | None:
        claims = self._coverage.take_batch() if self._coverage is not None else []
        if not any(self._queues.values()) and not claims:
            return None
        pending = _Pending(uuid.uuid4(), time.time(), claims=claims)
        for table, queue in self._queues.items():
            if queue:
                if self._encoded_upto[table] < len(queue):
                    self._submit_slice(table, self._encoded_upto[table], len(queue))
                pending.rows[table] = queue
                pending.slices[table] = self._slices[table]
                if table == "trades":
                    self._bars = MinuteBarBatch()
                if self._identities[table]:
                    pending.identities[table] = self._identities[table]
                    self._identities[table] = []
                self._queues[table] = []
                self._slices[table] = []
                self._encoded_upto[table] = 0
        return pending

    def _submit_slice(self, table: str, start: int, end: int) -> None:
        loop = self._loop if self._loop is not None else asyncio.get_running_loop()
        values = self._queues[table][start:end]
        bars = self._bars if table == "trades" else None
        self._slices[table].append(
            loop.run_in_executor(self._encoder,
                                 functools.partial(self._encode_slice, table, values, False, False, bars))
        )
        self._encoded_upto[table] = end

    def _seal_overflow(self) -> None:
        pending = self._take_queues()
        if pending is None:
            return
        log.warning("writer queue reached %d rows; sealing %d rows for the journal", self.queue_max, pending.size)
        self._overflow.append(pending)
        if self._wake is not None:
            self._wake.set()

    # ------------------------------------------------------------------ encoding
    def _encode_slice(self, table: str, values: Sequence[Any], header: bool, trailer: bool,
                      bars: MinuteBarBatch | None = None) -> EncodedSlice:
        """Runs on the encoder thread: domain values -> COPY bytes (bad rows set aside), and
        exactly the rows encoded folded into ``bars``, their batch's minute bars (trades)."""
        data, count, encoded = self._encode_values(table, values, header, trailer)
        if bars is None:
            return data, count, None
        try:
            bars.add_trades(encoded)
        except Exception:  # noqa: BLE001 - values the encoder took but Python cannot compare
            log.exception("cannot fold %d trades into minute bars in Python; the flush aggregates them in SQL",
                          len(encoded))
            return data, count, None
        return data, count, bars

    def _encode_values(self, table: str, values: Sequence[Any], header: bool,
                       trailer: bool) -> tuple[bytes, int, Sequence[Any]]:
        layout = self._layouts[table]
        try:
            return layout.encode_objects(values, header=header, trailer=trailer), len(values), values
        except CopyEncodingError:
            good = []
            for value in values:
                try:
                    layout.encode_objects([value], header=False, trailer=False)
                except CopyEncodingError as exc:
                    self._unencodable += 1
                    log.error("row refused before writing (%s): %r", exc, value)
                else:
                    good.append(value)
            return layout.encode_objects(good, header=header, trailer=trailer), len(good), good

    async def _encode_all(self, pending: _Pending) -> JournalBatch:
        tables = []
        for table, futures in pending.slices.items():
            tables.append(self._payload(table, await asyncio.gather(*futures)))
        coverage = self._coverage_of(pending)
        if coverage is not None:  # the journal keeps identities row-aligned with its COPY streams
            encoded = {t.table: t.rows for t in tables}
            coverage = BatchCoverage(coverage.origin, coverage.claims, {
                table: self._aligned(table, pending.rows[table], rows, encoded.get(table, 0))
                for table, rows in coverage.rows.items()})
        return JournalBatch(pending.batch_id, pending.created_at, tuple(tables), coverage)

    def _coverage_of(self, pending: _Pending) -> BatchCoverage | None:
        """What the batch claims, and its rows' identities (None when nothing in it is tracked)."""
        if self._coverage is None or not pending.claims:
            return None
        return BatchCoverage(self._coverage.origin, tuple(pending.claims), pending.identities)

    def _aligned(self, table: str, values: Sequence[Any], per_row: list, encoded_rows: int) -> list:
        """``per_row`` (one item per queued value) without the items of values the encoder set
        aside, so that it matches the COPY stream row for row (a rare case: values are re-tried)."""
        if len(per_row) == encoded_rows:
            return per_row
        layout = self._layouts[table]
        kept = []
        for value, item in zip(values, per_row):
            try:
                layout.encode_objects([value], header=False, trailer=False)
            except CopyEncodingError:
                continue
            kept.append(item)
        return kept

    def _payload(self, table: str, parts: Sequence[EncodedSlice]) -> TablePayload:
        layout = self._layouts[table]
        return TablePayload(table, layout.column_names, layout.signature, sum(part[1] for part in parts),
                            b"".join([COPY_HEADER, *(part[0] for part in parts), COPY_TRAILER]))

    # ------------------------------------------------------------------ writing
    async def _pool(self) -> asyncpg.Pool:
        try:
            return await self._pool_provider()
        except Exception as exc:
            if _is_transient(exc):
                raise _TransientDatabaseError(str(exc)) from exc
            raise

    async def _write_fresh(self, pending: _Pending) -> None:
        """One transaction: ledger row, then each table's COPY streamed while it is encoded.

        A producer faster than the database refills the queues while the COPY runs. Then the
        same transaction takes them on as a further part (``_take_continuation``) instead of
        making the producer wait for the commit: the server goes on copying while the producer
        has room again, and the per-transaction round trips (ledger, bars, COMMIT, pool reset)
        are paid once for several parts. Each part is claimed, cut and folded as a batch of its
        own would be; the ledger row counts them all. Should the transaction fail, each part is
        kept on its own (spilled, or the failing part quarantined)."""
        started = time.perf_counter()
        parts: list[_Pending] = [pending]
        results: list[tuple[dict[str, int], ClaimResult | None]] = []
        writing: _Pending | None = pending
        try:
            pool = await self._pool()
            async with pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
                async with _batch_transaction(conn, pending.batch_id, pending.size) as ledger:
                    if not ledger.first:  # cannot happen for a fresh uuid4; be safe anyway
                        log.warning("batch %s already committed; skipping", pending.batch_id)
                        return
                    coverage = TransactionCoverage(self._coverage.origin) if self._coverage is not None else None
                    folds: list[list[EncodedSlice]] = []
                    while writing is not None:
                        written, claimed, fold = await self._write_part(conn, writing, coverage)
                        results.append((written, claimed))
                        if fold:
                            folds.append(fold)
                        writing = self._take_continuation(ledger.rows, started)
                        if writing is not None:
                            parts.append(writing)
                            ledger.rows += writing.size
                    if coverage is not None:
                        await coverage.record(conn)
                    await _fold_minute_bars(conn, folds, self._layouts["trades"].column_names)
        except Exception as exc:  # noqa: BLE001 - classified below; the batch is kept either way
            await self._keep_failed(parts, writing, exc)
            return
        self._mark_up()
        stored = 0
        for part, (written, claimed) in zip(parts, results):
            encoded = {table: sum(f.result()[1] for f in fs) for table, fs in part.slices.items()}
            self._committed(written, claimed, encoded)
            stored += sum(written.values())
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._flushes += 1
        self._continued += len(parts) - 1
        self._last_flush_rows = stored
        self._last_flush_ms = elapsed_ms
        self._flush_ms.append(elapsed_ms)

    async def _write_part(
        self, conn: asyncpg.Connection, pending: _Pending, coverage: TransactionCoverage | None
    ) -> tuple[dict[str, int], ClaimResult | None, list[EncodedSlice]]:
        """One part of the open transaction: claim its coverage, then each table's rows (streamed
        as they are encoded, or cut to the rows not stored yet, which then also go into the
        minute bars here). Returns the rows stored, the claim, and the trades' encoded slices
        whose folded bars the transaction upserts before COMMIT (empty when already done)."""
        batch = self._coverage_of(pending)
        claimed = await coverage.claim(conn, batch) if coverage is not None and batch is not None else None
        written: dict[str, int] = {}
        fold: list[EncodedSlice] = []
        for table, table_futures in pending.slices.items():
            layout = self._layouts[table]
            keep = claimed.keep.get(table) if claimed is not None else None
            if keep is not None or table == "alerts":
                payload = self._payload(table, await asyncio.gather(*table_futures))
                if keep is not None:
                    keep = self._aligned(table, pending.rows[table], keep, payload.rows)
                written[table] = await self._store(conn, payload.table, payload.columns,
                                                   payload.data, payload.rows, keep)
                continue
            await conn.copy_to_table(
                table, source=_stream(table_futures), columns=list(layout.column_names), format="binary",
            )
            if table == "trades":  # every slice is done: the COPY consumed them all
                fold = [f.result() for f in table_futures]
            written[table] = sum(f.result()[1] for f in table_futures)
        return written, claimed, fold

    def _take_continuation(self, transaction_rows: int, started: float) -> _Pending | None:
        """The queued rows as one more part of the open transaction, when a producer has refilled
        a queue to the early-flush mark during the COPY, and the transaction stays within
        ``max_batch_rows`` and one flush interval (what it holds is committed that soon); else
        None (the transaction commits)."""
        if self._overflow or not any(len(q) >= self.queue_max // 2 for q in self._queues.values()):
            return None
        if time.perf_counter() - started >= self.flush_interval_s:
            return None
        if transaction_rows + sum(len(q) for q in self._queues.values()) > self.max_batch_rows:
            return None
        part = self._take_queues()
        if part is not None and self._room is not None:
            self._room.set()  # a producer waiting in wait_for_room fills the queues again
        return part

    async def _keep_failed(self, parts: list[_Pending], failing: _Pending | None, exc: Exception) -> None:
        """A transaction that did not commit: nothing of it is stored, every part is kept. A lost
        connection spills them all to the journal; a refusal quarantines the part being written
        (all of them if it came at COMMIT) and spills the others, to be replayed on their own."""
        transient = _is_transient(exc)
        if transient:
            self._mark_down(exc)
        else:
            self._failed_flushes += 1
        for part in parts:
            batch = await self._encode_all(part)
            if transient or (failing is not None and part is not failing):
                await self._spill(batch)
            else:
                await self._quarantine(batch, exc)

    async def _write_journaled(self, batch: JournalBatch) -> bool:
        """Replay one journal batch; False if it had committed before (the ledger says so)."""
        pool = await self._pool()
        written: dict[str, int] = {}
        async with pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
            async with _batch_transaction(conn, batch.batch_id, batch.rows) as ledger:
                if not ledger.first:
                    log.info("journal batch %s was already committed; skipping it", batch.batch_id)
                    return False
                claimed = await claim(conn, batch.coverage) if batch.coverage is not None else None
                for payload in batch.tables:
                    expected = self._layouts[payload.table].signature if payload.table in self._layouts else None
                    if payload.signature != expected:
                        raise ValueError(
                            f"journal batch {batch.batch_id} was encoded for {payload.table}({payload.signature}), "
                            f"the schema now has ({expected})"
                        )
                    keep = claimed.keep.get(payload.table) if claimed is not None else None
                    written[payload.table] = written.get(payload.table, 0) + await self._store(
                        conn, payload.table, payload.columns, payload.data, payload.rows, keep)
        if batch.coverage is not None and self._coverage is not None \
                and batch.coverage.origin != self._coverage.origin:
            claimed = None  # another origin's coverage: nothing this writer's tracker may learn
        self._committed(written, claimed, batch.rows_by_table())
        return True

    async def _store(self, conn: asyncpg.Connection, table: str, columns: Sequence[str], data: bytes,
                     rows: int, keep: list[bool] | None) -> int:
        """Write one table's COPY payload in the open transaction — only the ``keep`` rows when
        given; alerts through ``ON CONFLICT DO NOTHING``; trades also into the minute bars.
        Returns the rows stored."""
        if keep is not None:
            loop = asyncio.get_running_loop()
            data, rows = await loop.run_in_executor(self._encoder, select_copy_rows, data, keep)
            if rows == 0:
                return 0
        if table == "alerts":
            return await _insert_alerts(conn, data, columns)
        await conn.copy_to_table(table, source=memoryview(data), columns=list(columns), format="binary")
        if table == "trades":
            await aggregate_copied_trades(conn, memoryview(data), columns)
        return rows

    def _committed(self, written: dict[str, int], claimed: ClaimResult | None, sizes: dict[str, int]) -> None:
        """Count a committed batch: rows stored, rows left out as stored; learn the coverage."""
        for table, n in written.items():
            self._rows_written[table] += n
            size = sizes.get(table, 0)
            if size > n:
                self._skipped[table] += size - n
        if claimed is not None and self._coverage is not None:
            self._coverage.learn(claimed.coverage)

    async def _replay_journal(self, budget_s: float | None, deadline: float | None) -> None:
        if budget_s is not None and not self.journal.batches:
            # The usual case between two flushes: nothing to replay, and no trip to the journal's
            # thread (each costs the flush loop turns while a fast producer holds the loop). The
            # unbudgeted replay at stop still calls ``oldest``, which also tidies spent segments.
            self._refresh_journal_stats()
            return
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        while True:
            if budget_s is not None and time.monotonic() - started > budget_s:
                return
            if deadline is not None and time.monotonic() > deadline:
                return
            item: tuple[RecordRef, JournalBatch] | None = await loop.run_in_executor(self._disk, self.journal.oldest)
            if item is None:
                self._refresh_journal_stats()
                return
            ref, batch = item
            try:
                inserted = await self._write_journaled(batch)
            except Exception as exc:  # noqa: BLE001 - classified below
                if _is_transient(exc):
                    self._mark_down(exc)
                    return
                self._failed_flushes += 1
                await self._quarantine(batch, exc)
            else:
                self._mark_up()
                if inserted:
                    self._replayed += 1
            await loop.run_in_executor(self._disk, self.journal.mark_done, ref)
            self._refresh_journal_stats()

    async def _spill(self, batch: JournalBatch) -> None:
        if not batch.tables or batch.rows == 0:
            return
        loop = asyncio.get_running_loop()
        try:
            written = await loop.run_in_executor(self._disk, self.journal.append, batch)
        except OSError as exc:
            written = False
            log.error("cannot write the journal %s: %s", self.journal.directory, exc)
        if written:
            self._spilled += 1
        else:
            self._dropped += batch.rows
            log.error(
                "DATA LOST: journal budget of %d bytes exhausted (%d bytes used); dropped batch %s with %d rows %s",
                self.journal.budget_bytes, self.journal.size_bytes, batch.batch_id, batch.rows,
                batch.rows_by_table(),
            )
        self._refresh_journal_stats()

    async def _quarantine(self, batch: JournalBatch, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        loop = asyncio.get_running_loop()
        path = await loop.run_in_executor(self._disk, self.journal.quarantine, batch, reason)
        self._quarantined += batch.rows
        log.error("the database refused batch %s (%d rows) for good: %s; kept in %s",
                  batch.batch_id, batch.rows, reason, path)

    def _refresh_journal_stats(self) -> None:
        j = self.journal
        self._journal_stats = (j.size_bytes, j.batches, j.rows)


async def _insert_alerts(conn: asyncpg.Connection, data: bytes, columns: Sequence[str]) -> int:
    """Alerts through a staging table: an alert already stored (its key) is not stored again."""
    names = ", ".join(columns)
    await conn.execute(f"CREATE TEMPORARY TABLE {_ALERT_STAGING} ON COMMIT DROP AS "
                       f"SELECT {names} FROM alerts WITH NO DATA")
    await conn.copy_to_table(_ALERT_STAGING, source=memoryview(data), columns=list(columns), format="binary")
    status = await conn.execute(f"INSERT INTO alerts ({names}) SELECT {names} FROM {_ALERT_STAGING} "
                                f"ON CONFLICT {_ALERT_KEY} DO NOTHING")
    await conn.execute(f"DROP TABLE {_ALERT_STAGING}")
    return int(status.rsplit(" ", 1)[-1])


@dataclass
class _BatchLedger:
    """The batch's ledger row as its transaction sees it: whether it is new (False: the batch
    committed before) and the rows it counts, which a transaction taking on parts raises."""

    first: bool
    rows: int


@asynccontextmanager
async def _batch_transaction(conn: asyncpg.Connection, batch_id: uuid.UUID, rows: int) -> AsyncIterator[_BatchLedger]:
    """The batch's transaction, opened in ONE round trip: BEGIN, the durable-commit setting and
    the ledger row go as one simple-query message (three statements, one reply). COMMIT when the
    block ends (with the ledger's final row count in the same message when it grew), ROLLBACK
    when it raises (or is cancelled).

    Only a ``uuid.UUID`` and an ``int`` are put into the text, both formatted by Python: nothing
    from outside can change the statement."""
    batch_id = uuid.UUID(str(batch_id))
    statement = ";".join(("BEGIN", _DURABLE_COMMIT, _LEDGER_INSERT.format(batch_id=batch_id, rows=int(rows))))
    try:
        status = await conn.execute(statement)  # the status of the last statement: INSERT 0 <n>
        ledger = _BatchLedger(status == "INSERT 0 1", int(rows))
        yield ledger
    except BaseException:
        if not conn.is_closed() and conn.is_in_transaction():
            try:
                await conn.execute("ROLLBACK")
            except Exception as exc:  # noqa: BLE001 - the original error is the one to raise
                log.warning("rolling back batch %s failed too (%s: %s); the pool discards the connection",
                            batch_id, type(exc).__name__, exc)
        raise
    commit = "COMMIT"
    if ledger.first and ledger.rows != rows:
        commit = f"{_LEDGER_ROWS.format(batch_id=batch_id, rows=int(ledger.rows))};COMMIT"
    status = await conn.execute(commit)
    if status != "COMMIT":  # PostgreSQL answers ROLLBACK to a COMMIT of a failed transaction
        raise asyncpg.InterfaceError(f"batch {batch_id} was not committed (server said {status})")


async def _stream(futures: list[asyncio.Future]):
    """Hand encoded slices to asyncpg in order, as soon as each is ready."""
    yield COPY_HEADER
    for future in futures:
        data, _, _ = await future
        yield data
    yield COPY_TRAILER


async def _fold_minute_bars(conn: asyncpg.Connection, parts: list[list[EncodedSlice]],
                            columns: Sequence[str]) -> None:
    """Upsert the minute bars of a transaction's trades in one statement (a few dozen bars): each
    part's slices were folded into its part's bars in arrival order, merged here in part order.
    A part whose slices could not all be folded in Python is aggregated from its COPY bytes in SQL."""
    folded: list[MinuteBarBatch] = []
    for slices in parts:
        bars = slices[0][2] if slices else None
        if bars is None or any(part[2] is not bars for part in slices):
            payload = b"".join([COPY_HEADER, *(part[0] for part in slices), COPY_TRAILER])
            await aggregate_copied_trades(conn, payload, columns)
        else:
            folded.append(bars)
    if len(folded) > 1:
        merged = MinuteBarBatch()
        for bars in folded:
            merged.merge(bars)
        folded = [merged]
    if folded:
        await upsert_minute_bars(conn, folded[0])
