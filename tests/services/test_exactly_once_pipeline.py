"""The Pipeline run twice on one database (a restart): the demo's day caught up again, and a live
reconnect that sends the last print again. The processor sees everything; nothing is stored twice."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import asyncpg

from desktop_app.config import Settings
from desktop_app.domain import Alert, BasisPoint, ClassifiedTrade
from desktop_app.feeds.replay import ReplayFeed
from desktop_app.feeds.spec import FeedSpec
from desktop_app.market_clock import VIETNAM_TZ
from desktop_app.services.pipeline import Pipeline
from tests.support.record_tapes import volume_copies, write_tape


async def run_demo(settings: Settings, pool: asyncpg.Pool, trades: int) -> list:
    """One demo run at max speed until the processor has passed ``trades`` prints."""
    pipeline = Pipeline(settings, FeedSpec("demo", None, None), pool)
    seen: list = []
    pipeline.processor.subscribe(seen.append)
    await pipeline.start()
    deadline = time.monotonic() + 120
    while pipeline.processor.counters.trades < trades and not pipeline.finished and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await pipeline.stop()
    assert pipeline.processor.counters.trades >= trades, "the demo did not get that far"
    return seen


def print_row(t: ClassifiedTrade) -> tuple:
    return (t.symbol, t.price, t.volume, t.trade_type.value, t.timestamp)


async def test_the_demo_run_twice_stores_each_print_point_and_alert_once(pool, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    first = await run_demo(settings, pool, 3_000)
    second = await run_demo(settings, pool, 6_000)  # the same day again, and further

    # every print either run saw, by its identity (symbol, day, TotalVol), exactly once
    expected: dict[tuple, tuple] = {}
    for value in first + second:
        if isinstance(value, ClassifiedTrade):
            expected[(value.symbol, value.timestamp.date(), value.total_volume)] = print_row(value)
    stored = Counter(
        (r["symbol"], r["price"], r["volume"], r["trade_type"], r["traded_at"].astimezone(VIETNAM_TZ))
        for r in await pool.fetch("SELECT symbol, price, volume, trade_type, traded_at FROM trades")
    )
    assert stored == Counter(expected.values())

    # basis points: per (contract, instant) as many as the run that saw the most of them
    def per_instant(values: list) -> Counter:
        return Counter((v.futures_symbol, v.timestamp) for v in values if isinstance(v, BasisPoint))

    most = per_instant(first) | per_instant(second)
    stored_basis = Counter((r["futures_symbol"], r["captured_at"].astimezone(VIETNAM_TZ))
                           for r in await pool.fetch("SELECT futures_symbol, captured_at FROM basis_history"))
    assert stored_basis == most

    alerts = {(v.symbol, v.alert_type, v.timestamp) for v in first + second if isinstance(v, Alert)}
    stored_alerts = [(r["symbol"], r["alert_type"], r["created_at"].astimezone(VIETNAM_TZ))
                     for r in await pool.fetch("SELECT symbol, alert_type, created_at FROM alerts")]
    assert sorted(stored_alerts) == sorted(alerts)
    foreign_copies = await pool.fetchval(
        "SELECT count(*) - count(DISTINCT (symbol, f_buy_vol, f_sell_vol)) FROM foreign_snapshots")
    assert foreign_copies == 0


async def test_a_reconnect_resending_the_last_print_stores_it_once(db, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    before = write_tape(tmp_path / "before.jsonl", range(300))
    first = Pipeline(settings, FeedSpec("replay", before, None), db)
    await first.start()
    await first.wait_finished()
    await first.stop()

    # the app restarts; SSI's X channel sends the last print again (twice: once more on a
    # reconnect within the run), then the market goes on
    after = tmp_path / "after.jsonl"
    after.write_text(before.read_text().splitlines()[-1] + "\n" + before.read_text().splitlines()[-1] + "\n")
    with after.open("a") as f:
        f.write(write_tape(tmp_path / "more.jsonl", range(300, 310)).read_text())
    second = Pipeline(settings, FeedSpec("replay", after, None), db, feed=ReplayFeed(after, speed=None))
    await second.start()
    await second.wait_finished()
    await second.stop()

    assert second.processor.counters.duplicates == 1  # the resend within the run
    assert second.writer.metrics().skipped_stored["trades"] == 1  # the resend across the restart
    assert second.writer.metrics().rows_written["trades"] == 10
    assert await volume_copies(db.dsn) == {v: 1 for v in range(1, 311)}
