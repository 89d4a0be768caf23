"""Exactly once per origin across writers (= runs), against real PostgreSQL: restarts, gaps,
journal batches that overlap what another run stored meanwhile, alerts, origins kept apart."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Iterable

import asyncpg

from desktop_app.database.batch_writer import BatchWriter, table_layouts
from desktop_app.database.ingest_coverage import DEMO, MARKET, Intervals, select_copy_rows
from desktop_app.database.journal import Journal
from desktop_app.domain import (
    VIETNAM_TZ, Alert, BasisPoint, ClassifiedTrade, ForeignInvestorData, Severity, TradeType,
)

T0 = datetime(2026, 4, 8, 9, 15, tzinfo=VIETNAM_TZ)


def prints(numbers: Iterable[int], symbol: str = "FPT") -> list[ClassifiedTrade]:
    """Print n of a day: volume n + 1 names it in the table; TotalVol is the running sum."""
    out = []
    for n in numbers:
        p = Decimal(20_000 + 50 * (n % 7))
        total = (n + 1) * (n + 2) // 2
        out.append(ClassifiedTrade(symbol, p, n + 1, p * (n + 1), TradeType.BUY, None, None,
                                   T0 + timedelta(seconds=n), total))
    return out


async def volume_copies(pool: asyncpg.Pool, symbol: str = "FPT") -> dict[int, int]:
    rows = await pool.fetch("SELECT volume, count(*) AS n FROM trades WHERE symbol = $1 GROUP BY volume", symbol)
    return {r["volume"]: r["n"] for r in rows}


async def run_writer(pool, journal_dir: Path, values, origin: str | None = MARKET) -> BatchWriter:  # type: ignore[no-untyped-def]
    """One run: a new writer (nothing remembered but the database and the journal dir)."""
    writer = BatchWriter(pool, Journal(journal_dir, 1 << 30), flush_interval_s=60, queue_max=100_000, origin=origin)
    await writer.start()
    await writer.stored_until()  # what the pipeline does before the feed starts
    for value in values:
        writer.enqueue(value)
    await writer.stop()
    return writer


def test_intervals_merge_adjacent_and_answer_membership() -> None:
    covered = Intervals.of([(10, 20), (1, 3), (21, 25), (40, 40)])
    assert covered.pairs() == [(1, 3), (10, 25), (40, 40)]
    assert [x for x in range(0, 45) if covered.contains(x)] == [1, 2, 3, *range(10, 26), 40]
    assert covered.overlaps(26, 39) is False and covered.overlaps(26, 40) is True
    assert covered.union(Intervals.of([(4, 9)])).pairs() == [(1, 25), (40, 40)]
    assert Intervals.from_flat(covered.flat()) == covered


def test_select_copy_rows_keeps_exactly_the_rows_asked_for() -> None:
    layout = table_layouts()["trades"]
    trades = prints(range(6))
    data = layout.encode_objects(trades, header=True, trailer=True)
    keep = [True, False, False, True, True, False]
    selected, n = select_copy_rows(data, keep)
    assert n == 3
    assert selected == layout.encode_objects([trades[0], trades[3], trades[4]], header=True, trailer=True)


async def test_a_second_run_over_the_same_prints_stores_nothing(pool, tmp_path: Path) -> None:
    first = await run_writer(pool, tmp_path / "j", prints(range(500)))
    second = await run_writer(pool, tmp_path / "j", prints(range(500)))
    assert first.metrics().rows_written["trades"] == 500
    assert second.metrics().rows_written["trades"] == 0
    assert second.metrics().skipped_stored["trades"] == 500
    assert await volume_copies(pool) == {v: 1 for v in range(1, 501)}


async def test_a_restart_resent_print_with_the_same_total_volume_is_skipped(pool, tmp_path: Path) -> None:
    await run_writer(pool, tmp_path / "j", prints(range(100)))
    # after a reconnect the X channel sends the last print again, then the market goes on
    await run_writer(pool, tmp_path / "j", prints([99, 100, 101]))
    assert await volume_copies(pool) == {v: 1 for v in range(1, 103)}


async def test_a_later_import_fills_the_gap_a_crash_left_and_adds_nothing_else(pool, tmp_path: Path) -> None:
    await run_writer(pool, tmp_path / "j", prints(range(0, 100)))
    await run_writer(pool, tmp_path / "j", prints(range(200, 300)))  # restarted later: 100..199 never seen
    full = await run_writer(pool, tmp_path / "j", prints(range(300)))
    assert full.metrics().rows_written["trades"] == 100
    assert await volume_copies(pool) == {v: 1 for v in range(1, 301)}
    covered = await pool.fetchval("SELECT covered FROM ingest_coverage WHERE origin = $1 AND stream = 'trades'",
                                  MARKET)
    assert len(covered) == 2  # one interval: the runs' claims merged


async def test_a_journal_batch_overlapping_what_another_run_stored_is_replayed_without_copies(
    pool, tmp_path: Path
) -> None:
    # run 1 finds the database down: its rows wait in its journal (and the process dies)
    async def down() -> asyncpg.Pool:
        raise OSError("connection refused")

    crashed = BatchWriter(down, Journal(tmp_path / "j1", 1 << 30), flush_interval_s=60, origin=MARKET)
    await crashed.start()
    for value in prints(range(0, 300)):
        crashed.enqueue(value)
    await crashed.stop(drain_timeout_s=0.5)
    assert crashed.metrics().journal_rows == 300
    # run 2 imports an overlapping stretch; its writer checks only the database, not run 1's journal
    await run_writer(pool, tmp_path / "j2", prints(range(150, 400)))
    # run 3 (run 1's data dir) replays the journal: only rows 0..149 are new
    replay = await run_writer(pool, tmp_path / "j1", [])
    assert replay.metrics().journal_replayed == 1
    assert replay.metrics().rows_written["trades"] == 150
    assert replay.metrics().skipped_stored["trades"] == 150
    assert await volume_copies(pool) == {v: 1 for v in range(1, 401)}
    bars = await pool.fetchval("SELECT sum(volume) FROM trade_minute_bars WHERE symbol = 'FPT'")
    assert bars == sum(range(1, 401))  # the minute bars count each print once too


async def test_foreign_basis_and_alerts_are_stored_once(pool, tmp_path: Path) -> None:
    def values() -> list:
        out: list = []
        for i in range(20):
            at = T0 + timedelta(seconds=i // 2)  # two basis points per instant: both are kept
            out.append(BasisPoint("41I1G4000", Decimal(1300 + i), Decimal(1290), Decimal(10 + i), at))
            out.append(ForeignInvestorData("FPT", 1000 * (i + 1), 500, Decimal(1), Decimal(1), Decimal(0),
                                           Decimal(0), None, T0 + timedelta(seconds=i)))
        out.append(Alert("FPT", "block_trade", "block", Severity.INFO, T0))
        out.append(Alert("FPT", "ceiling_hit", "ceiling", Severity.WARNING, T0))
        return out

    await run_writer(pool, tmp_path / "j", values())
    again = await run_writer(pool, tmp_path / "j", values())
    assert again.metrics().skipped_stored == {"trades": 0, "foreign_snapshots": 20, "basis_history": 20, "alerts": 2}
    counts = {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in ("foreign_snapshots", "basis_history", "alerts")}
    assert counts == {"foreign_snapshots": 20, "basis_history": 20, "alerts": 2}


async def test_the_demo_and_the_market_are_kept_apart(pool, tmp_path: Path) -> None:
    await run_writer(pool, tmp_path / "j", prints(range(50)), origin=DEMO)
    market = await run_writer(pool, tmp_path / "j", prints(range(50)), origin=MARKET)
    assert market.metrics().rows_written["trades"] == 50  # the demo's prints are not the market's
    assert await volume_copies(pool) == {v: 2 for v in range(1, 51)}


async def test_an_unencodable_print_does_not_shift_which_rows_are_left_out(pool, tmp_path: Path) -> None:
    await run_writer(pool, tmp_path / "j", prints(range(10)))
    bad = prints([15])[0]
    bad = ClassifiedTrade(bad.symbol, bad.price, 2**40, bad.value, bad.trade_type, None, None, bad.timestamp,
                          bad.total_volume)  # no INTEGER holds this volume
    values = prints(range(0, 15)) + [bad] + prints(range(16, 20))
    # the first batch of this run mixes stored and new prints: the transaction cuts stored ones out
    writer = BatchWriter(pool, Journal(tmp_path / "j", 1 << 30), flush_interval_s=60, origin=MARKET)
    await writer.start()
    for value in values:
        writer.enqueue(value)
    metrics = await writer.stop()
    assert metrics.unencodable == 1 and metrics.quarantined == 0
    assert metrics.skipped_stored["trades"] == 10
    assert await volume_copies(pool) == {v: 1 for v in [*range(1, 16), *range(17, 21)]}
