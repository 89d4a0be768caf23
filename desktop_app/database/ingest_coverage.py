"""Exactly once per source: which rows an origin has stored already, across runs.

An *origin* is a market as the app receives it: ``market`` (SSI's live feed and the replay files
recorded from it carry the same exchange prints) or ``demo`` (the simulated market). Within an
origin, every stored row has an identity inside its *key* (stream = table, symbol, trading day):

* trades: the print's TotalVol, cumulative for the day and strictly increasing per print — the
  exchange's own numbering, the same whichever connection or recording delivered the print;
* foreign_snapshots: foreign buy + sell volume, cumulative for the day (the processor emits a
  snapshot only when they grew);
* basis_history: the capture instant in microseconds times 16, plus the value's ordinal among the
  run's values of the same key at that same instant (ties are real: two prints in one second).

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
from desktop_app.market_clock import VIETNAM_TZ

MARKET = "market"
DEMO = "demo"
TRACKED_TABLES = ("trades", "foreign_snapshots", "basis_history")
_TIE_SLOTS = 16  # values of one key at one instant told apart (more are taken as the 16th)

Key = tuple[str, str, date]
"""(stream, symbol, trading day)."""
RowIdentity = tuple[Key, int, int, datetime]
"""(key, claim low, identity, row time): the row claims the identities [low, identity]."""


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
    return moment.astimezone(VIETNAM_TZ).date()


def _epoch_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM_TZ)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


class CoverageTracker:
    """The enqueue-time side, for one writer and origin: gives each row its identity and claim,
    and skips rows this process knows are stored. Runs on the loop, synchronously, per row."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._stored: dict[Key, Intervals] = {}  # committed coverage this process has read
        self._previous: dict[Key, int] = {}  # the last identity this run saw, per key
        self._instants: dict[Key, tuple[int, int]] = {}  # basis: (last instant, ordinal)
        # what skipped rows claim (they are stored, and this run saw nothing between them and
        # the row before): handed to the next batch, so that a catch-up leaves no hole behind
        self._skipped: dict[Key, tuple[int, int, datetime]] = {}

    def admit(self, table: str, value: Any) -> RowIdentity | _Stored | None:
        """The row's identity; ``STORED`` if it is stored already; None if it has none (a value
        built without its feed identity, e.g. a trade with TotalVol 0: written unchecked)."""
        if table == "trades":
            ident = value.total_volume
            if ident <= 0:
                return None
            symbol = value.symbol
        elif table == "foreign_snapshots":
            ident = value.buy_volume + value.sell_volume
            symbol = value.symbol
        elif table == "basis_history":
            symbol = value.futures_symbol
            instant = _epoch_us(value.timestamp)
            key = (table, symbol, _vietnam_day(value.timestamp))
            last = self._instants.get(key)
            ordinal = last[1] + 1 if last is not None and last[0] == instant else 0
            self._instants[key] = (instant, ordinal)
            ident = instant * _TIE_SLOTS + min(ordinal, _TIE_SLOTS - 1)
            return self._claim(key, ident, value.timestamp)
        else:
            return None
        return self._claim((table, symbol, _vietnam_day(value.timestamp)), ident, value.timestamp)

    def _claim(self, key: Key, ident: int, moment: datetime) -> RowIdentity | _Stored:
        previous = self._previous.get(key)
        if previous is None or ident > previous:
            self._previous[key] = ident
            low = previous + 1 if previous is not None else ident
        else:
            low = ident  # out of order in this run: claims itself only
        stored = self._stored.get(key)
        if stored is not None and stored.contains(ident):
            pending = self._skipped.get(key)
            if pending is not None and pending[1] + 1 >= low:
                low = min(low, pending[0])
            self._skipped[key] = (low, ident, moment)
            return STORED
        return key, low, ident, moment

    def take_skipped_claims(self) -> list[RowIdentity]:
        """The claims of rows skipped since the last call (one merged claim per key)."""
        claims = [(key, low, ident, moment) for key, (low, ident, moment) in self._skipped.items()]
        self._skipped.clear()
        return claims

    def learn(self, coverage: dict[Key, Intervals]) -> None:
        """What the database holds now for these keys (read in, or returned by a commit)."""
        self._stored.update(coverage)


# --------------------------------------------------------------------------- a batch's identities


@dataclass(frozen=True, slots=True)
class TableCoverage:
    """The identities of one table's rows in a batch, row-aligned with its COPY stream."""

    table: str
    keys: tuple[Key, ...]
    until: tuple[datetime, ...]  # the latest row time per key
    row_key: tuple[int, ...]  # index into ``keys``; -1 for a row without identity
    row_low: tuple[int, ...]
    row_id: tuple[int, ...]
    extra: tuple[tuple[int, int, int], ...] = ()  # (key, low, high) claimed by rows skipped at enqueue

    @classmethod
    def build(cls, table: str, identities: Sequence[RowIdentity | None],
              skipped: Sequence[RowIdentity] = ()) -> "TableCoverage":
        index: dict[Key, int] = {}
        until: list[datetime] = []
        row_key: list[int] = []
        row_low: list[int] = []
        row_id: list[int] = []
        extra: list[tuple[int, int, int]] = []
        for key, low, high, moment in skipped:
            k = index.get(key)
            if k is None:
                k = index[key] = len(until)
                until.append(moment)
            extra.append((k, low, high))
        for identity in identities:
            if identity is None:
                row_key.append(-1)
                row_low.append(0)
                row_id.append(0)
                continue
            key, low, ident, moment = identity
            k = index.get(key)
            if k is None:
                k = index[key] = len(until)
                until.append(moment)
            elif moment > until[k]:
                until[k] = moment
            row_key.append(k)
            row_low.append(low)
            row_id.append(ident)
        return cls(table, tuple(index), tuple(until), tuple(row_key), tuple(row_low), tuple(row_id), tuple(extra))

    def hulls(self) -> list[tuple[int, int]]:
        """Per key: the lowest and highest identity of its rows."""
        hulls = [(0, -1)] * len(self.keys)
        for k, ident in zip(self.row_key, self.row_id):
            if k < 0:
                continue
            lo, hi = hulls[k]
            if hi < lo:
                hulls[k] = (ident, ident)
            elif ident < lo:
                hulls[k] = (ident, hi)
            elif ident > hi:
                hulls[k] = (lo, ident)
        return hulls

    def claims(self) -> list[Intervals]:
        """Per key: the identities the batch's rows claim — those it writes and those found
        stored (which this run saw with nothing in between: claiming them closes holes)."""
        pairs: list[list[tuple[int, int]]] = [[] for _ in self.keys]
        for k, low, ident in zip(self.row_key, self.row_low, self.row_id):
            if k >= 0:
                pairs[k].append((low, ident))
        for k, low, high in self.extra:
            pairs[k].append((low, high))
        return [Intervals.of(p) for p in pairs]

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "keys": [[s, y, d.isoformat(), u.isoformat()] for (s, y, d), u in zip(self.keys, self.until)],
            "row_key": list(self.row_key), "row_low": list(self.row_low), "row_id": list(self.row_id),
            "extra": [list(e) for e in self.extra],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TableCoverage":
        keys = tuple((s, y, date.fromisoformat(d)) for s, y, d, _ in data["keys"])
        until = tuple(datetime.fromisoformat(u) for *_, u in data["keys"])
        return cls(data["table"], keys, until, tuple(data["row_key"]), tuple(data["row_low"]),
                   tuple(data["row_id"]), tuple(tuple(e) for e in data.get("extra", ())))  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class BatchCoverage:
    origin: str
    tables: tuple[TableCoverage, ...]

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "tables": [t.to_json() for t in self.tables]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "BatchCoverage":
        return cls(data["origin"], tuple(TableCoverage.from_json(t) for t in data["tables"]))

    def table(self, name: str) -> TableCoverage | None:
        for t in self.tables:
            if t.table == name:
                return t
        return None


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


async def claim(conn: asyncpg.Connection, batch: BatchCoverage) -> ClaimResult:
    """In the batch's transaction: lock the batch's keys, decide which rows are stored already,
    and record the rows to be written as covered. Commit or roll back with the batch."""
    keys = sorted({key for t in batch.tables for key in t.keys})
    if not keys:
        return ClaimResult({}, {}, {})
    rows = await conn.fetch(_LOCK, batch.origin, [k[0] for k in keys], [k[1] for k in keys],
                            [k[2] for k in keys])
    stored = {(r["stream"], r["symbol"], r["trading_day"]): Intervals.from_flat(r["covered"]) for r in rows}
    keep: dict[str, list[bool]] = {}
    skipped: dict[str, int] = {}
    after: dict[Key, Intervals] = {}
    until: dict[Key, datetime] = {}
    for table in batch.tables:
        hulls = table.hulls()
        if any(stored.get(key) is not None and stored[key].overlaps(*hull)
               for key, hull in zip(table.keys, hulls) if hull[0] <= hull[1]):
            sets = [stored.get(key) for key in table.keys]
            mask = [k < 0 or sets[k] is None or not sets[k].contains(ident)  # type: ignore[union-attr]
                    for k, ident in zip(table.row_key, table.row_id)]
            n = mask.count(False)
            if n:
                keep[table.table] = mask
                skipped[table.table] = n
        for key, claimed, moment in zip(table.keys, table.claims(), table.until):
            if not claimed:
                continue
            base = after.get(key) or stored.get(key) or Intervals()
            after[key] = base.union(claimed)
            if key not in until or moment > until[key]:
                until[key] = moment
    if after:
        changed = sorted(after)
        await conn.execute(
            _UPSERT, batch.origin, [k[0] for k in changed], [k[1] for k in changed], [k[2] for k in changed],
            ["{" + ",".join(map(str, after[k].flat())) + "}" for k in changed], [until[k] for k in changed],
        )
    coverage = {**stored, **after}
    return ClaimResult(keep, skipped, coverage)


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


def batch_coverage(origin: str, identities: dict[str, list[RowIdentity | None]],
                   skipped: Sequence[RowIdentity] = ()) -> BatchCoverage | None:
    """A batch's coverage from its row-aligned identities and the claims of rows skipped at
    enqueue (None when nothing in it is tracked)."""
    by_table: dict[str, list[RowIdentity]] = {}
    for claim_ in skipped:
        by_table.setdefault(claim_[0][0], []).append(claim_)
    tables = tuple(TableCoverage.build(table, identities.get(table, ()), by_table.get(table, ()))
                   for table in sorted(set(identities) | set(by_table))
                   if by_table.get(table) or any(r is not None for r in identities.get(table, ())))
    return BatchCoverage(origin, tables) if tables else None


__all__ = [
    "BatchCoverage", "ClaimResult", "CoverageTracker", "DEMO", "Intervals", "MARKET", "STORED",
    "TRACKED_TABLES", "TableCoverage", "batch_coverage", "claim", "load_latest", "select_copy_rows",
    "stored_until",
]
