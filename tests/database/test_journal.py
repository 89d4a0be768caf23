"""The spill journal on disk: checksummed records, torn tails, budget, oldest-first replay order."""

from __future__ import annotations

import uuid
from pathlib import Path

from desktop_app.database.journal import Journal, JournalBatch, TablePayload


def _batch(n: int, size: int = 100) -> JournalBatch:
    data = bytes([n % 256]) * size
    return JournalBatch(uuid.uuid4(), 1_700_000_000.0 + n,
                        (TablePayload("trades", ("symbol", "price"), "symbol:text,price:numeric", n + 1, data),))


def _drain(journal: Journal) -> list[JournalBatch]:
    out = []
    while (item := journal.oldest()) is not None:
        ref, batch = item
        out.append(batch)
        journal.mark_done(ref)
    return out


def test_batches_come_back_oldest_first_and_survive_a_restart(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", 1 << 20)
    journal.open()
    batches = [_batch(i) for i in range(5)]
    for b in batches:
        assert journal.append(b)
    journal.close()
    reopened = Journal(tmp_path / "j", 1 << 20)
    reopened.open()
    assert reopened.batches == 5
    assert reopened.rows == sum(b.rows for b in batches)
    assert _drain(reopened) == batches
    assert reopened.batches == 0
    assert reopened.size_bytes == 0
    assert list((tmp_path / "j").glob("*.journal")) == []  # replayed segments are deleted


def test_a_torn_tail_is_skipped_and_everything_before_it_replayed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", 1 << 20)
    journal.open()
    batches = [_batch(i, size=1000) for i in range(3)]
    for b in batches:
        journal.append(b)
    journal.close()
    (segment,) = (tmp_path / "j").glob("*.journal")
    data = segment.read_bytes()
    segment.write_bytes(data[:-500])  # the last record was half written when the process died
    reopened = Journal(tmp_path / "j", 1 << 20)
    reopened.open()
    assert reopened.torn_records == 1
    assert _drain(reopened) == batches[:2]


def test_a_damaged_record_in_the_middle_costs_only_that_record(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", 1 << 20)
    journal.open()
    batches = [_batch(i, size=1000) for i in range(3)]
    for b in batches:
        journal.append(b)
    journal.close()
    (segment,) = (tmp_path / "j").glob("*.journal")
    data = bytearray(segment.read_bytes())
    record_size = len(data) // 3
    data[record_size + record_size // 2] ^= 0xFF  # one flipped byte inside the second record
    segment.write_bytes(bytes(data))
    reopened = Journal(tmp_path / "j", 1 << 20)
    reopened.open()
    assert _drain(reopened) == [batches[0], batches[2]]
    assert reopened.torn_records == 1


def test_garbage_appended_after_a_crash_is_not_replayed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", 1 << 20)
    journal.open()
    good = _batch(1)
    journal.append(good)
    journal.close()
    (segment,) = (tmp_path / "j").glob("*.journal")
    with open(segment, "ab") as f:
        f.write(b"VNJ1\x00\x00\x00\x10garbage")
    reopened = Journal(tmp_path / "j", 1 << 20)
    reopened.open()
    assert _drain(reopened) == [good]


def test_the_disk_budget_refuses_what_does_not_fit(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", 3000)
    journal.open()
    assert journal.append(_batch(1, size=1000))
    assert journal.append(_batch(2, size=1000))
    assert not journal.append(_batch(3, size=1000))  # would exceed 3000 bytes
    assert journal.batches == 2
    assert journal.size_bytes <= 3000


def test_new_spills_after_a_restart_go_to_a_new_segment(tmp_path: Path) -> None:
    first = Journal(tmp_path / "j", 1 << 20)
    first.open()
    old = _batch(1)
    first.append(old)
    first.close()
    second = Journal(tmp_path / "j", 1 << 20)
    second.open()
    new = _batch(2)
    second.append(new)
    assert len(list((tmp_path / "j").glob("*.journal"))) == 2
    assert _drain(second) == [old, new]
