"""The spill journal: batches the database could not take yet, on disk, until it can.

Format. A journal is a directory of append-only segment files ``<seq:012d>.journal``; each holds
records ``MAGIC | u32 payload length | u32 CRC32(payload) | payload``, where the payload is
``u32 meta length | meta (JSON) | table blobs``. A table blob is the complete binary COPY stream
for that table (``copy_encoding``): the writer has already built it to send, the replay hands it
to ``copy_to_table`` untouched (no re-encoding, no type drift), and it is compact (~100 bytes per
trade). The meta names the batch id, the tables, their column lists and type signatures, and (when the
batch holds rows with an identity) those identities, row-aligned (``ingest_coverage``).

Crash safety. Records are self-delimiting and checksummed: a tail torn by a SIGKILL or power cut
(short header, short payload, CRC mismatch) is detected, logged and skipped, never replayed as
garbage; reading resynchronises on the next valid record so damage in the middle costs only the
damaged record. A process never appends to a segment an earlier process wrote: it starts a new
one, so a torn tail stays a tail.

Durability: ``fsync`` per appended batch (and of the directory when a segment is created) — a
spill happens only when the database is down or the writer is behind, i.e. at most once per
flush interval per batch, so the cost is small and an acknowledged spill survives a power cut.

Budget: the total size of the segments may not exceed ``budget_bytes``; ``append`` refuses a
record that would, and the caller counts and reports the loss.

Threading: every method here does blocking file I/O. The writer calls them from ONE dedicated
executor thread, which also serialises them (no locks needed).
"""

from __future__ import annotations

import logging
import os
import struct
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

import orjson

from desktop_app.database.ingest_coverage import BatchCoverage

log = logging.getLogger(__name__)

MAGIC = b"VNJ1"
_HEADER = struct.Struct("!4sII")  # magic, payload length, crc32(payload)
_META_LEN = struct.Struct("!I")
SEGMENT_SUFFIX = ".journal"
DEFAULT_SEGMENT_BYTES = 64 << 20
_MAX_RECORD_BYTES = 1 << 30


class JournalError(Exception):
    """The journal directory cannot be used (permissions, not a directory, ...)."""


@dataclass(frozen=True, slots=True)
class TablePayload:
    """One table's part of a batch: a complete binary COPY stream and what it contains."""

    table: str
    columns: tuple[str, ...]
    signature: str  # "col:type,..." — a replay into a different schema is refused, not guessed
    rows: int
    data: bytes


@dataclass(frozen=True, slots=True)
class JournalBatch:
    batch_id: uuid.UUID
    created_at: float  # wall-clock epoch seconds when it was formed
    tables: tuple[TablePayload, ...]
    # The rows' identities, so that a replay still skips what another batch stored meanwhile
    # (``ingest_coverage``); None for batches without tracked rows and for older records.
    coverage: BatchCoverage | None = None

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def rows_by_table(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.tables:
            counts[t.table] = counts.get(t.table, 0) + t.rows
        return counts


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Where a record lives, so that the replayer can mark it done."""

    segment: int
    end_offset: int
    size: int
    rows: int


def encode_record(batch: JournalBatch) -> bytes:
    meta = orjson.dumps(
        {
            "id": str(batch.batch_id),
            "created_at": batch.created_at,
            "tables": [
                {"table": t.table, "columns": list(t.columns), "signature": t.signature,
                 "rows": t.rows, "bytes": len(t.data)}
                for t in batch.tables
            ],
            **({"coverage": batch.coverage.to_json()} if batch.coverage is not None else {}),
        }
    )
    payload = b"".join([_META_LEN.pack(len(meta)), meta, *(t.data for t in batch.tables)])
    return _HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def decode_payload(payload: bytes) -> JournalBatch:
    (meta_len,) = _META_LEN.unpack_from(payload, 0)
    meta = orjson.loads(payload[4 : 4 + meta_len])
    offset = 4 + meta_len
    tables = []
    for t in meta["tables"]:
        end = offset + int(t["bytes"])
        tables.append(TablePayload(t["table"], tuple(t["columns"]), t["signature"], int(t["rows"]),
                                   payload[offset:end]))
        offset = end
    if offset != len(payload):
        raise ValueError("journal record payload length does not match its tables")
    coverage = BatchCoverage.from_json(meta["coverage"]) if "coverage" in meta else None
    return JournalBatch(uuid.UUID(meta["id"]), float(meta["created_at"]), tuple(tables), coverage)


class Journal:
    """Append-only, checksummed, size-budgeted segments; read back oldest first."""

    def __init__(self, directory: Path, budget_bytes: int, *, segment_bytes: int = DEFAULT_SEGMENT_BYTES) -> None:
        self.directory = Path(directory)
        self.budget_bytes = int(budget_bytes)
        self.segment_bytes = int(segment_bytes)
        self._sizes: dict[int, int] = {}  # segment seq -> bytes on disk
        self._pending: dict[int, list[RecordRef]] = {}  # segment seq -> records not yet replayed
        self._active_seq: int | None = None
        self._active_file = None
        self.torn_records = 0  # damaged records skipped since open (tears and corruption)
        self._opened = False

    # ------------------------------------------------------------------ state (cheap, any thread)
    @property
    def size_bytes(self) -> int:
        return sum(self._sizes.values())

    @property
    def batches(self) -> int:
        return sum(len(refs) for refs in self._pending.values())

    @property
    def rows(self) -> int:
        return sum(ref.rows for refs in self._pending.values() for ref in refs)

    # ------------------------------------------------------------------ blocking operations
    def open(self) -> None:
        """Create the directory and index what earlier runs left (validating every record)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"cannot create the journal directory {self.directory}: {exc}") from exc
        for path in sorted(self.directory.glob(f"*{SEGMENT_SUFFIX}")):
            try:
                seq = int(path.stem)
            except ValueError:
                log.warning("ignoring unexpected file in the journal: %s", path)
                continue
            size = path.stat().st_size
            self._sizes[seq] = size
            self._pending[seq] = [ref for ref, _ in self._scan(seq, load=False)]
            if not self._pending[seq]:
                self._delete(seq)
        self._opened = True
        if self._pending:
            log.info("journal %s holds %d batches (%d rows, %d bytes) from an earlier run",
                     self.directory, self.batches, self.rows, self.size_bytes)

    def append(self, batch: JournalBatch) -> bool:
        """Write and fsync one batch; False (nothing written) if the disk budget would be exceeded."""
        if not self._opened:
            self.open()
        record = encode_record(batch)
        if len(record) > _MAX_RECORD_BYTES:
            raise JournalError(f"batch {batch.batch_id} is too large for one journal record")
        if self.size_bytes + len(record) > self.budget_bytes:
            return False
        if self._active_file is None or self._sizes[self._active_seq] + len(record) > self.segment_bytes:
            self._start_segment()
        assert self._active_seq is not None and self._active_file is not None
        f = self._active_file
        f.write(record)
        f.flush()
        os.fsync(f.fileno())
        seq = self._active_seq
        self._sizes[seq] += len(record)
        self._pending[seq].append(RecordRef(seq, self._sizes[seq], len(record), batch.rows))
        return True

    def oldest(self) -> tuple[RecordRef, JournalBatch] | None:
        """The oldest batch not yet marked done, or None. Seals the active segment if needed."""
        if not self._opened:
            self.open()
        while self._pending:
            seq = min(self._pending)
            refs = self._pending[seq]
            if not refs:
                if seq != self._active_seq:
                    self._delete(seq)
                    continue
                return None
            if seq == self._active_seq:
                self._seal_active()
            ref = refs[0]
            batch = self._read(ref)
            if batch is None:  # vanished or damaged since indexed: skip it
                refs.pop(0)
                continue
            return ref, batch
        return None

    def mark_done(self, ref: RecordRef) -> None:
        """The batch is in the database (or quarantined): forget it; delete finished segments."""
        refs = self._pending.get(ref.segment)
        if refs and refs[0] == ref:
            refs.pop(0)
        elif refs and ref in refs:
            refs.remove(ref)
        if refs is not None and not refs and ref.segment != self._active_seq:
            self._delete(ref.segment)

    def close(self) -> None:
        if self._active_file is not None:
            self._active_file.close()
            self._active_file = None
        self._active_seq = None

    def quarantine(self, batch: JournalBatch, reason: str) -> Path:
        """Keep a batch the database refuses for good, outside the replay path (never deleted)."""
        directory = self.directory / "quarantine"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{batch.batch_id}{SEGMENT_SUFFIX}"
        with open(path, "wb") as f:
            f.write(encode_record(batch))
            f.flush()
            os.fsync(f.fileno())
        (directory / f"{batch.batch_id}.reason.txt").write_text(reason + "\n", encoding="utf-8")
        return path

    # ------------------------------------------------------------------ internals
    def _path(self, seq: int) -> Path:
        return self.directory / f"{seq:012d}{SEGMENT_SUFFIX}"

    def _start_segment(self) -> None:
        self._seal_active()
        seq = max(self._sizes, default=0) + 1
        path = self._path(seq)
        self._active_file = open(path, "ab")
        self._active_seq = seq
        self._sizes[seq] = 0
        self._pending[seq] = []
        self._fsync_directory()

    def _seal_active(self) -> None:
        if self._active_file is not None:
            self._active_file.close()
            self._active_file = None
            self._active_seq = None

    def _delete(self, seq: int) -> None:
        try:
            self._path(seq).unlink()
        except FileNotFoundError:
            pass
        self._sizes.pop(seq, None)
        self._pending.pop(seq, None)

    def _fsync_directory(self) -> None:
        try:
            fd = os.open(self.directory, os.O_RDONLY)
        except OSError:  # not supported on this platform (Windows): the file fsync is what we have
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _read(self, ref: RecordRef) -> JournalBatch | None:
        try:
            with open(self._path(ref.segment), "rb") as f:
                f.seek(ref.end_offset - ref.size)
                record = f.read(ref.size)
        except FileNotFoundError:
            log.error("journal segment %s vanished; %d rows in it are lost", self._path(ref.segment), ref.rows)
            return None
        parsed = _parse_record(record, 0)
        if parsed is None:
            log.error("journal record at %s:%d changed on disk; skipping it",
                      self._path(ref.segment), ref.end_offset - ref.size)
            self.torn_records += 1
            return None
        return decode_payload(parsed[0])

    def _scan(self, seq: int, *, load: bool):
        """Valid records of a segment in order, resynchronising past damaged bytes."""
        path = self._path(seq)
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            parsed = _parse_record(data, offset)
            if parsed is None:
                following = _next_valid(data, offset + 1)
                skipped = (following if following is not None else len(data)) - offset
                self.torn_records += 1
                where = "torn tail" if following is None else "damaged record"
                log.warning("journal %s: %s at byte %d, %d bytes skipped", path, where, offset, skipped)
                if following is None:
                    break
                offset = following
                continue
            payload, end = parsed
            try:
                batch = decode_payload(payload)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("journal %s: undecodable record at byte %d skipped (%s)", path, offset, exc)
                self.torn_records += 1
                offset = end
                continue
            yield RecordRef(seq, end, end - offset, batch.rows), (batch if load else None)
            offset = end


def _parse_record(data: bytes, offset: int) -> tuple[bytes, int] | None:
    """(payload, end offset) of a valid record at ``offset``, else None."""
    if offset + _HEADER.size > len(data):
        return None
    magic, length, crc = _HEADER.unpack_from(data, offset)
    if magic != MAGIC or length > _MAX_RECORD_BYTES:
        return None
    start = offset + _HEADER.size
    end = start + length
    if end > len(data):
        return None
    payload = data[start:end]
    if zlib.crc32(payload) != crc:
        return None
    return payload, end


def _next_valid(data: bytes, offset: int) -> int | None:
    while True:
        found = data.find(MAGIC, offset)
        if found < 0:
            return None
        if _parse_record(data, found) is not None:
            return found
        offset = found + 1
