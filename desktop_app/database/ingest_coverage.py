"""Exactly once per source: which rows an origin has stored already, across runs.

An *origin* is a market as the app receives it: ``market`` (SSI's live feed and the replay files
recorded from it carry the same exchange prints) or ``demo`` (the simulated market). Within an
origin, every stored row has an identity inside its *key* (stream = table, symbol, trading day):

* trades: the print's TotalVol, cumulative for the day and strictly increasing per print — the
  exchange's own numbering, the same whichever connection or recording delivered the print;
* foreign_snapshots and basis_history: the capture instant in microseconds times 16, plus the
  value's ordinal among the run's values of the same key at that same instant (ties are real:
  two prints in one second give two basis points).

*Coverage* is the set of identities stored, kept as disjoint closed intervals per key in
``ingest_coverage`` and updated in the transaction of the batch that stores the rows. A row
whose identity is covered is stored already and is skipped. A batch claims, for each row, the
interval from just after the previous identity the same run saw for that key (stored or not) up
to the row's own: the run's stream has no row in between, so consecutive batches merge into one
interval per key and day, while a stretch no run has seen (a gap after a crash) stays open for a
later import to fill. Skipping is decided twice: at enqueue against what this process knows is
stored (cheap: a catch-up's rows are never even encoded), and authoritatively in the batch's
transaction against the locked ``ingest_coverage`` rows, which makes the outcome independent of
the order batches commit in (journal replays, outages, a database that was down at start).

Alerts are not tracked here: they are few, and a unique index on (symbol, alert_type,
created_at) with ``ON CONFLICT DO NOTHING`` stores each once.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Sequence

import asyncpg

from desktop_app.database.copy_encoding import COPY_HEADER, COPY_TRAILER
from desktop_app.market_clock import VIETNAM_TZ, vn_today

MARKET = "market"
DEMO = "demo"
TRACKED_TABLES = ("trades", "foreign_snapshots", "basis_history")
_TIE_SLOTS = 16  # values of one key at one instant told apart (more are taken as the 16th)

Key = tuple[str, str, date]
"""(stream, symbol, trading day)."""
RowIdentity = tuple[Key, int]
"""(key, identity)."""


class _Stored:
    """Marker: the row is stored already."""


STORED = _Stored()


# --------------------------------------------------------------------------- intervals


class Intervals:
    """Disjoint closed integer intervals, sorted; adjacent ones merged."""

    __slots__ = ("los", "his")

    def __init__(self, los: list[int] | None = None, his: list[int] | None = None) -> None:
        self.los: list[int] = los if los is not None else []
        self.his: list[int] = his if his is not None else []

    @classmethod
    def from_flat(cls, flat: Sequence[int]) -> "Intervals":
        return cls(list(flat[0::2]), list(flat[1::2]))

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, int]]) -> "Intervals":
        out = cls()
        for lo, hi in sorted(pairs):
            if out.his and lo <= out.his[-1] + 1:
                if hi > out.his[-1]:
                    out.his[-1] = hi
            else:
                out.los.append(lo)
                out.his.append(hi)
        return out

    def flat(self) -> list[int]:
        return [v for pair in zip(self.los, self.his) for v in pair]

    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.los, self.his))

    def contains(self, value: int) -> bool:
        i = bisect_right(self.los, value) - 1
        return i >= 0 and value <= self.his[i]

    def overlaps(self, lo: int, hi: int) -> bool:
        i = bisect_right(self.los, hi) - 1
        return i >= 0 and self.his[i] >= lo

    def union(self, other: "Intervals") -> "Intervals":
        return Intervals.of(self.pairs() + other.pairs())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Intervals) and self.los == other.los and self.his == other.his

    def __bool__(self) -> bool:
        return bool(self.los)

    def __repr__(self) -> str:
        return f"Intervals({self.pairs()})"


# --------------------------------------------------------------------------- identities


def _vietnam_day(moment: datetime) -> date:
    if moment.tzinfo is VIETNAM_TZ or moment.tzinfo is None:
        return moment.date()
    return vn_today(moment)


def _epoch_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM_TZ)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


class _KeyState:
    """One key as this run sees it: the last identity seen, the stored coverage known, and what
    the rows queued since the last batch claim (intervals, nearly always one, extended row by
    row; the hull of the identities to write; the latest row time)."""

    __slots__ = ("previous", "stored", "stored_high", "los", "his", "low", "high", "until")

    def __init__(self) -> None:
        self.previous: int | None = None
        self.stored: Intervals | None = None
        self.stored_high = -1  # the highest stored identity known: above it, nothing is stored
        self.los: list[int] = []
        self.his: list[int] = []
        self.low = 0
        self.high = -1  # empty hull: no row of this key to write in this batch
        self.until: datetime | None = None

    def learn(self, stored: Intervals) -> None:
        self.stored = stored
        self.stored_high = stored.his[-1] if stored else -1

    def claim(self, low: int, high: int, moment: datetime) -> None:
        los, his = self.los, self.his
        if los and low <= his[-1] + 1 and high >= los[-1]:
            if high > his[-1]:
                his[-1] = high
            if low < los[-1]:
                los[-1] = low
        else:
            los.append(low)
            his.append(high)
        if self.until is None or moment > self.until:
            self.until = moment

    def take(self, key: Key) -> "KeyClaim | None":
        if not self.los:
            return None
        pairs = Intervals(self.los, self.his) if len(self.los) == 1 else Intervals.of(zip(self.los, self.his))
        claim_ = KeyClaim(key, pairs, self.low, self.high, self.until)  # type: ignore[arg-type]
        self.los, self.his, self.low, self.high, self.until = [], [], 0, -1, None
        return claim_


@dataclass(frozen=True, slots=True)
class KeyClaim:
    """One key's part of a batch: what it claims, the hull of the identities it writes."""

    key: Key
    claims: Intervals
    low: int
    high: int  # < low: the batch writes no row of this key (it only claims skipped ones)
    until: datetime

    def to_json(self) -> list[Any]:
        return [*self.key[:2], self.key[2].isoformat(), self.claims.flat(), self.low, self.high,
                self.until.isoformat()]

    @classmethod
    def from_json(cls, data: list[Any]) -> "KeyClaim":
        stream, symbol, day, flat, low, high, until = data
        return cls((stream, symbol, date.fromisoformat(day)), Intervals.from_flat(flat), low, high,
                   datetime.fromisoformat(until))


class CoverageTracker:
    """The enqueue-time side, for one writer and origin: gives each row its identity, skips rows
    this process knows are stored, and sums up per key what the queued rows claim. Runs on the
    loop, synchronously, once per row: O(1) work."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._keys: dict[Key, _KeyState] = {}
        self._active: list[tuple[Key, _KeyState]] = []  # keys with claims since take_batch
        self._instants: dict[Key, tuple[int, int]] = {}  # time-keyed streams: (last instant, ordinal)
        self._last_moment: datetime | None = None
        self._last_day: date | None = None
        # The trades keys of ``_last_day`` by symbol: one lookup by a string instead of building
        # and hashing a (stream, symbol, day) tuple per print; emptied when the day changes.
        self._day_trades: dict[str, tuple[Key, _KeyState]] = {}

    def admit(self, table: str, value: Any) -> RowIdentity | _Stored | None:
        """The row's identity (key, id); ``STORED`` if it is stored already; None if it has none
        (a value built without its feed identity, e.g. a trade with TotalVol 0: written unchecked)."""
        moment = value.timestamp
        if moment is self._last_moment:  # the parser shares time objects between prints
            day = self._last_day
        else:
            day = moment.date() if moment.tzinfo is VIETNAM_TZ else _vietnam_day(moment)
            if day != self._last_day:
                self._day_trades = {}
            self._last_day = day
            self._last_moment = moment
        if table == "trades":
            ident = value.total_volume
            if ident <= 0:
                return None
            known = self._day_trades.get(value.symbol)
            if known is not None:
                key, state = known
            else:
                key = (table, value.symbol, day)
                state = self._keys.get(key)  # type: ignore[arg-type]
                if state is None:
                    state = self._keys[key] = _KeyState()  # type: ignore[index]
                self._day_trades[value.symbol] = (key, state)  # type: ignore[assignment]
        elif table == "foreign_snapshots" or table == "basis_history":
            key = (table, value.symbol if table == "foreign_snapshots" else value.futures_symbol, day)
            instant = _epoch_us(moment)
            last = self._instants.get(key)
            ordinal = last[1] + 1 if last is not None and last[0] == instant else 0
            self._instants[key] = (instant, ordinal)
            ident = instant * _TIE_SLOTS + min(ordinal, _TIE_SLOTS - 1)
            state = self._keys.get(key)  # type: ignore[arg-type]
            if state is None:
                state = self._keys[key] = _KeyState()  # type: ignore[index]
        else:
            return None
        previous = state.previous
        if previous is None or ident > previous:
            state.previous = ident
            low = previous + 1 if previous is not None else ident
        else:
            low = ident  # out of order in this run: claims itself only
        # The claim holds whether the row is written or found stored: this run saw nothing
        # between the previous row and this one (claiming stored rows closes holes).
        his = state.his
        if his and low == his[-1] + 1:  # the common case: the run's next row of this key
            his[-1] = ident
            if moment > state.until:  # type: ignore[operator]
                state.until = moment
        else:
            if not his:
                self._active.append((key, state))  # type: ignore[arg-type]
            state.claim(low, ident, moment)
        if ident <= state.stored_high and state.stored.contains(ident):  # type: ignore[union-attr]
            return STORED
        if state.high < state.low:
            state.low = state.high = ident
        elif ident < state.low:
            state.low = ident
        elif ident > state.high:
            state.high = ident
        return key, ident  # type: ignore[return-value]

    def take_batch(self) -> list[KeyClaim]:
        """The claims of the rows seen since the last call, per key; starts a new batch."""
        claims = [c for key, state in self._active if (c := state.take(key)) is not None]
        self._active = []
        return claims

    def learn(self, coverage: dict[Key, Intervals]) -> None:
        """What the database holds now for these keys (read in, or returned by a commit)."""
        for key, stored in coverage.items():
            state = self._keys.get(key)
            if state is None:
                state = self._keys[key] = _KeyState()
            state.learn(stored)


# --------------------------------------------------------------------------- a batch's identities


@dataclass(frozen=True, slots=True)
class BatchCoverage:
    """A batch's claims per key, and each table's row identities (row-aligned with its COPY
    stream; None for a row without identity) to cut stored rows out when some are found."""

    origin: str
    claims: tuple[KeyClaim, ...]
    rows: dict[str, list[RowIdentity | None]]

    def to_json(self) -> dict[str, Any]:
        index = {c.key: i for i, c in enumerate(self.claims)}
        return {
            "origin": self.origin,
            "claims": [c.to_json() for c in self.claims],
            "rows": {table: [[index[r[0]], r[1]] if r is not None else None for r in rows]
                     for table, rows in self.rows.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "BatchCoverage":
        claims = tuple(KeyClaim.from_json(c) for c in data["claims"])
        keys = [c.key for c in claims]
        rows = {table: [(keys[r[0]], r[1]) if r is not None else None for r in table_rows]
                for table, table_rows in data["rows"].items()}
        return cls(data["origin"], claims, rows)


# --------------------------------------------------------------------------- the transaction side


_LOCK = """
SELECT stream, symbol, trading_day, covered FROM ingest_coverage
WHERE origin = $1 AND (stream, symbol, trading_day) IN (
    SELECT * FROM unnest($2::text[], $3::text[], $4::date[]))
ORDER BY stream, symbol, trading_day
FOR UPDATE
"""
_UPSERT = """
INSERT INTO ingest_coverage (origin, stream, symbol, trading_day, covered, stored_until)
SELECT $1, s, y, d, c::bigint[], u
FROM unnest($2::text[], $3::text[], $4::date[], $5::text[], $6::timestamptz[]) AS n(s, y, d, c, u)
ON CONFLICT (origin, stream, symbol, trading_day) DO UPDATE
SET covered = EXCLUDED.covered, stored_until = GREATEST(ingest_coverage.stored_until, EXCLUDED.stored_until)
"""


@dataclass(frozen=True, slots=True)
class ClaimResult:
    keep: dict[str, list[bool]]  # per table whose batch holds stored rows: which rows to write
    skipped: dict[str, int]  # rows found stored, per table
    coverage: dict[Key, Intervals]  # the keys' coverage once the batch commits


class TransactionCoverage:
    """The coverage one transaction holds: the keys it has locked (as they were stored when it
    locked them) and what its batches have claimed since. A transaction that writes several
    batches (parts) locks each key once, in the first part that has it, decides the later parts
    from what it holds, and records the union once, just before COMMIT."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._stored: dict[Key, Intervals] = {}  # as read when locked (absent: no row yet)
        self._locked: set[Key] = set()
        self._after: dict[Key, Intervals] = {}  # what the transaction's parts have made of each key
        self._until: dict[Key, datetime] = {}

    async def claim(self, conn: asyncpg.Connection, batch: BatchCoverage) -> ClaimResult:
        """Lock the batch's keys not locked yet, decide which of its rows are stored already (by
        now, or by an earlier part), and add its claims to the transaction's."""
        if batch.origin != self.origin:
            raise ValueError(f"a {batch.origin} batch in a {self.origin} transaction")
        if not batch.claims:
            return ClaimResult({}, {}, {})
        new = sorted({c.key for c in batch.claims} - self._locked)
        if new:
            rows = await conn.fetch(_LOCK, self.origin, [k[0] for k in new], [k[1] for k in new],
                                    [k[2] for k in new])
            self._stored.update({(r["stream"], r["symbol"], r["trading_day"]): Intervals.from_flat(r["covered"])
                                 for r in rows})
            self._locked.update(new)
        held = {c.key: self._after.get(c.key, self._stored.get(c.key)) for c in batch.claims}
        overlapping = {c.key[0] for c in batch.claims
                       if c.low <= c.high and held[c.key] is not None and held[c.key].overlaps(c.low, c.high)}
        keep: dict[str, list[bool]] = {}
        skipped: dict[str, int] = {}
        for table in overlapping:
            mask = [r is None or held.get(r[0]) is None or not held[r[0]].contains(r[1])
                    for r in batch.rows.get(table, ())]
            n = mask.count(False)
            if n:
                keep[table] = mask
                skipped[table] = n
        for c in batch.claims:
            before = held[c.key]
            self._after[c.key] = before.union(c.claims) if before is not None else c.claims
            if c.key not in self._until or c.until > self._until[c.key]:
                self._until[c.key] = c.until
        return ClaimResult(keep, skipped, {c.key: self._after[c.key] for c in batch.claims})

    async def record(self, conn: asyncpg.Connection) -> None:
        """Store what the transaction's parts claimed (the keys whose coverage changed)."""
        changed = sorted(k for k, after in self._after.items() if after != self._stored.get(k))
        if changed:
            await conn.execute(
                _UPSERT, self.origin, [k[0] for k in changed], [k[1] for k in changed], [k[2] for k in changed],
                ["{" + ",".join(map(str, self._after[k].flat())) + "}" for k in changed],
                [self._until[k] for k in changed],
            )
        self._stored.update({k: self._after[k] for k in changed})


async def claim(conn: asyncpg.Connection, batch: BatchCoverage) -> ClaimResult:
    """In the batch's transaction: lock the batch's keys, decide which rows are stored already,
    and record what the batch claims as covered. Commits or rolls back with the batch."""
    coverage = TransactionCoverage(batch.origin)
    result = await coverage.claim(conn, batch)
    await coverage.record(conn)
    return result


async def load_latest(executor: Any, origin: str) -> dict[Key, Intervals]:
    """The coverage of the origin's latest stored trading day (what a restart catches up on)."""
    rows = await executor.fetch(
        "SELECT stream, symbol, trading_day, covered FROM ingest_coverage WHERE origin = $1 AND "
        "trading_day = (SELECT max(trading_day) FROM ingest_coverage WHERE origin = $1)", origin)
    return {(r["stream"], r["symbol"], r["trading_day"]): Intervals.from_flat(r["covered"]) for r in rows}


async def stored_until(executor: Any, origin: str) -> datetime | None:
    """Where the origin's stored history ends: the time of its latest stored row."""
    return await executor.fetchval("SELECT max(stored_until) FROM ingest_coverage WHERE origin = $1", origin)


# --------------------------------------------------------------------------- COPY rows


_I2 = struct.Struct("!h")
_I4 = struct.Struct("!i")


def select_copy_rows(payload: bytes | memoryview, keep: Sequence[bool]) -> tuple[bytes, int]:
    """The binary COPY stream of only the kept rows (``keep`` is row-aligned), and their count."""
    data = memoryview(payload)
    if bytes(data[: len(COPY_HEADER) - 8]) != COPY_HEADER[:-8]:
        raise ValueError("not a binary COPY stream")
    (extension,) = _I4.unpack_from(data, len(COPY_HEADER) - 4)
    pos = len(COPY_HEADER) + extension
    out = [COPY_HEADER]
    kept = 0
    row = 0
    while True:
        (fields,) = _I2.unpack_from(data, pos)
        if fields == -1:
            break
        start = pos
        pos += 2
        for _ in range(fields):
            (length,) = _I4.unpack_from(data, pos)
            pos += 4 + (length if length > 0 else 0)
        if keep[row]:
            out.append(data[start:pos])
            kept += 1
        row += 1
    if row != len(keep):
        raise ValueError(f"COPY stream has {row} rows, the mask {len(keep)}")
    out.append(COPY_TRAILER)
    return b"".join(out), kept
