"""``stock-tracker record`` run again over what is stored, as a user runs it (a subprocess against
real PostgreSQL): the same recording twice, a crash mid-import (SIGKILL, with and without the
database down) followed by a re-import. Each ends with every print stored exactly once."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.support.record_tapes import (
    SAMPLE, copies, record_env, start_record, table_counts, volume_copies, write_tape,
)
from tests.support.record_tapes import run_record as run_record_command


def run_record(args: list[str], env: dict[str, str], timeout: float = 180) -> dict:
    code, summary, err = run_record_command(args, env, timeout)
    assert code == 0, err[-3000:]
    return summary


async def wait_for_rows(database_url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not await volume_copies(database_url):
        time.sleep(0.2)
    assert await volume_copies(database_url), "record wrote nothing"


async def test_the_same_recording_imported_twice_adds_nothing(database_url: str, tmp_path: Path) -> None:
    tape = write_tape(tmp_path / "tape.jsonl", range(600))
    env = record_env(database_url, tmp_path / "home")
    first = run_record(["--feed", "replay", "--replay", str(tape), "--speed", "max"], env)
    second = run_record(["--feed", "replay", "--replay", str(tape), "--speed", "max"], env)
    assert first["written"]["trades"] == 600 and first["skipped_stored"]["trades"] == 0
    assert second["trades"] == 600  # the processor saw the whole day again
    assert second["written"]["trades"] == 0
    assert second["skipped_stored"]["trades"] == 600
    assert await volume_copies(database_url) == {v: 1 for v in range(1, 601)}


async def test_the_sample_recording_imported_twice_stores_every_table_once(
    database_url: str, tmp_path: Path
) -> None:
    env = record_env(database_url, tmp_path / "home")
    first = run_record(["--feed", "replay", "--replay", str(SAMPLE), "--speed", "max"], env)
    once = await table_counts(database_url)
    second = run_record(["--feed", "replay", "--replay", str(SAMPLE), "--speed", "max"], env)
    assert once == first["written"] and min(once.values()) > 0
    assert await table_counts(database_url) == once
    assert second["written"] == {"trades": 0, "foreign_snapshots": 0, "basis_history": 0, "alerts": 0}
    assert second["skipped_stored"] == once
    assert await copies(database_url) == {"alerts": 0, "foreign_snapshots": 0}


async def test_a_sigkill_mid_import_then_a_re_import_stores_each_print_once(
    database_url: str, tmp_path: Path
) -> None:
    tape = write_tape(tmp_path / "tape.jsonl", range(3_600), per_second=30)  # 30 s at 4x
    env = record_env(database_url, tmp_path / "home")
    proc = start_record(["--feed", "replay", "--replay", str(tape), "--speed", "4"], env)
    try:
        await wait_for_rows(database_url)
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    stored_before = await volume_copies(database_url)
    assert 0 < len(stored_before) < 3_600, "the kill did not land mid-import"

    again = run_record(["--feed", "replay", "--replay", str(tape), "--speed", "max"], env)
    assert again["skipped_stored"]["trades"] >= len(stored_before)
    assert await volume_copies(database_url) == {v: 1 for v in range(1, 3_601)}


async def test_a_sigkill_during_an_outage_then_a_re_import_replays_the_journal_without_copies(
    database_url: str, tmp_path: Path, pg_server_control
) -> None:
    tape = write_tape(tmp_path / "tape.jsonl", range(3_600), per_second=30)
    home = tmp_path / "home"
    env = record_env(database_url, home)
    proc = start_record(["--feed", "replay", "--replay", str(tape), "--speed", "4"], env)
    try:
        await wait_for_rows(database_url)
        time.sleep(1.0)
        pg_server_control.stop_immediate()  # from now on the batches wait in the journal
        time.sleep(2.5)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        if not pg_server_control.is_running():
            pg_server_control.start()
    assert list((home / "journal").glob("*.journal")), "nothing was spilled while the database was down"

    # the same file again: the journal's batches and the re-import's overlap
    again = run_record(["--feed", "replay", "--replay", str(tape), "--speed", "max"], env)
    assert again["journal_replayed"] >= 1 and again["pending"] == 0
    assert await volume_copies(database_url) == {v: 1 for v in range(1, 3_601)}
