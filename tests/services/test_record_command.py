"""``stock-tracker record`` end to end, as a user runs it: a subprocess against real PostgreSQL."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import asyncpg
import pytest

from tests.support.record_tapes import (
    SAMPLE, envelope, fetch_volumes, one_summary, record_env, run_record, start_record, table_counts,
    write_tape,
)

pytestmark = pytest.mark.slow  # every test runs `stock-tracker record` in a subprocess

SUMMARY_KEYS = {"messages", "rejected", "trades", "quotes", "foreign_snapshots", "index_values", "basis_points",
                "alerts", "written", "pending", "journal_replayed", "dropped", "loop_lag_ms"}

async def test_replay_of_known_content_writes_every_row_once_and_counts_bad_lines(
    database_url: str, tmp_path: Path
) -> None:
    tape = tmp_path / "tape.jsonl"
    bad = [
        '{"DataType":"X-TRADE","Content":"{\\"Symbol\\":\\"ACB\\",trunc',
        envelope("ZZ", {"Symbol": "ACB"}),
        envelope("X-TRADE", {"RType": "X-TRADE", "TradingDate": "08/04/2026", "Time": "09:30:00", "Symbol": "ACB",
                             "Exchange": "HOSE", "LastPrice": -5, "LastVol": 100, "TotalVol": 100,
                             "TotalVal": 500, "TradingSession": "LO"}),
        "this is not json at all",
    ]
    write_tape(tape, 600, per_second=20, bad_lines=bad)
    code, summary, err = run_record(["--feed", "replay", "--replay", str(tape), "--speed", "max"],
                                    record_env(database_url, tmp_path / "home"))
    assert code == 0, err
    assert SUMMARY_KEYS <= summary.keys()
    assert set(summary["written"]) == {"trades", "foreign_snapshots", "basis_history", "alerts"}
    assert set(summary["loop_lag_ms"]) == {"p50", "p99", "max"}
    assert summary["messages"] == 604
    assert summary["rejected"] == 4
    assert summary["rejected_by_kind"] == {"bad_value": 1, "not_json": 2, "unknown_type": 1}
    assert summary["trades"] == 600
    assert summary["written"]["trades"] == 600
    assert summary["pending"] == 0 and summary["dropped"] == 0
    assert await fetch_volumes(database_url) == list(range(1, 601))
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT symbol, price, traded_at FROM trades WHERE volume = 43")
    finally:
        await conn.close()
    # print 42 (volume 43): ACB, 20,000 + 50 * (42 % 9) VND, at 09:30:02 Vietnam time = 02:30:02 UTC
    assert (row["symbol"], row["price"]) == ("ACB", 20_000 + 50 * (42 % 9))
    assert row["traded_at"].isoformat() == "2026-04-08T02:30:02+00:00"


async def test_sample_replay_rows_written_equal_rows_produced_per_table(database_url: str, tmp_path: Path) -> None:
    code, summary, err = run_record(["--feed", "replay", "--replay", str(SAMPLE), "--speed", "max"],
                                    record_env(database_url, tmp_path / "home"))
    assert code == 0, err
    produced = {"trades": summary["trades"], "foreign_snapshots": summary["foreign_snapshots"],
                "basis_history": summary["basis_points"], "alerts": summary["alerts"]}
    assert summary["written"] == produced
    assert await table_counts(database_url) == produced
    assert min(produced.values()) > 0  # the sample exercises every table
    assert summary["rejected"] == 3
    contract = {"messages", "rejected", "trades", "quotes", "foreign_snapshots", "index_values", "basis_points",
                "alerts", "written", "pending", "journal_replayed", "dropped", "loop_lag_ms"}
    assert contract | {"skipped_stored", "pushed", "push_pending"} <= set(summary)  # keys are only added


async def test_sigterm_flushes_and_prints_the_summary(database_url: str, tmp_path: Path) -> None:
    proc = start_record(["--feed", "demo", "--speed", "20"], record_env(database_url, tmp_path / "home"))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (await fetch_volumes(database_url)):
            time.sleep(0.3)
        time.sleep(0.5)  # some rows are queued and not yet flushed when the signal arrives
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    summary = one_summary(out, err)
    assert summary["trades"] > 0
    assert summary["pending"] == 0
    counts = await table_counts(database_url)
    assert counts == summary["written"]


async def test_sigkill_during_an_outage_then_restart_replays_the_journal_once(
    database_url: str, tmp_path: Path, pg_server_control
) -> None:
    per_second, speed = 30, 4.0  # 120 prints per wall-clock second
    tape = tmp_path / "tape.jsonl"
    write_tape(tape, 30 * 120, per_second=per_second)
    home = tmp_path / "home"
    env = record_env(database_url, home)
    proc = start_record(["--feed", "replay", "--replay", str(tape), "--speed", str(speed)], env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not await fetch_volumes(database_url):
            time.sleep(0.2)
        first_rows_at = time.monotonic()
        assert await fetch_volumes(database_url), "record wrote nothing within a minute"
        time.sleep(1.5)
        pg_server_control.stop_immediate()  # the writer spills to the journal from now on
        time.sleep(2.5)
        killed_at = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        if not pg_server_control.is_running():
            pg_server_control.start()
    journal = list((home / "journal").glob("*.journal"))
    assert journal, "nothing was spilled while the database was down"

    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, summary, err = run_record(["--feed", "replay", "--replay", str(empty), "--speed", "max"], env)
    assert code == 0, err
    assert summary["journal_replayed"] >= 1
    assert summary["pending"] == 0
    volumes = await fetch_volumes(database_url)
    assert volumes == list(range(1, len(volumes) + 1))  # no duplicate, no gap: a prefix of the tape
    # Loss bound: rows produced before the kill minus what is stored is at most one flush
    # interval of prints (1 s x 120/s), with 1 s of slack for scheduling on a busy machine.
    produced_at_least = int((killed_at - first_rows_at) * per_second * speed)
    assert len(volumes) >= produced_at_least - 2 * per_second * speed
