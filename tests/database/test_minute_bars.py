"""The BatchWriter keeps ``trade_minute_bars`` equal to the minute aggregation of what it wrote:
across flushes, with out-of-order prints, through journal replays, and never twice."""

from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import numpy as np

from desktop_app.database.batch_writer import BatchWriter
from desktop_app.database.journal import Journal
from desktop_app.database.repositories import trade_repository
from desktop_app.domain import VIETNAM_TZ, ClassifiedTrade, TradeType

from tests.support.unreachable_database import unreachable_pool

D = Decimal
B, S, N, ATO, ATC, PT = (TradeType.BUY, TradeType.SELL, TradeType.NEUTRAL, TradeType.ATO, TradeType.ATC,
                         TradeType.PUT_THROUGH)
DAY_START = datetime(2026, 4, 8, tzinfo=VIETNAM_TZ)
DAY_END = DAY_START + timedelta(days=1)


def at(h: int, m: int, s: int = 0, us: int = 0) -> datetime:
    return datetime(2026, 4, 8, h, m, s, us, tzinfo=VIETNAM_TZ)


def print_(symbol: str, price: str, volume: int, kind: TradeType, when: datetime) -> ClassifiedTrade:
    p = D(price)
    return ClassifiedTrade(symbol, p, volume, p * volume, kind, None, None, when)


async def stored_bars(pool: asyncpg.Pool) -> dict[tuple[str, str], tuple]:
    """{(symbol, "HH:MM" Vietnam time): (open, high, low, close, volume, buy, sell, neutral, auction, trades)}"""
    rows = await pool.fetch(
        "SELECT symbol, minute, open, high, low, close, volume, buy_volume, sell_volume, neutral_volume, "
        "auction_volume, trades FROM trade_minute_bars ORDER BY symbol, minute")
    return {(r[0], r[1].astimezone(VIETNAM_TZ).strftime("%H:%M")): tuple(r[2:]) for r in rows}


async def assert_bars_match_raw_trades(pool: asyncpg.Pool, symbols: list[str]) -> None:
    """What the repository reads from the aggregate == the same bars aggregated from raw prints."""
    for symbol in symbols:
        for bucket in (timedelta(minutes=1), timedelta(minutes=5), timedelta(hours=1)):
            got = await trade_repository.minute_bars(pool, symbol, DAY_START, DAY_END, bucket=bucket)
            want = await trade_repository._minute_bars_from_trades(pool, symbol, DAY_START, DAY_END, bucket=bucket)
            assert len(want) > 0
            for field in ("minute_epoch_s", "open", "high", "low", "close", "volume", "buy_volume",
                          "sell_volume", "neutral_volume", "auction_volume"):
                assert np.array_equal(getattr(got, field), getattr(want, field)), (symbol, bucket, field)


async def write_batches(writer: BatchWriter, batches: list[list[ClassifiedTrade]]) -> None:
    for batch in batches:
        for t in batch:
            writer.enqueue(t)
        await writer.flush_now()


async def test_a_minute_split_over_flushes_with_out_of_order_prints_merges_like_one_pass(db, tmp_path: Path) -> None:
    writer = BatchWriter(db, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=60)
    await writer.start()
    await write_batches(writer, [
        [print_("FPT", "100.00", 100, B, at(9, 15, 20)),
         print_("FPT", "101.00", 200, S, at(9, 15, 40)),
         print_("VNM", "70.00", 10, B, at(9, 15, 1))],
        # earlier than anything stored: the new open; in the middle: close unchanged; put-through ignored
        [print_("FPT", "99.00", 50, N, at(9, 15, 5)),
         print_("FPT", "102.00", 30, B, at(9, 15, 30)),
         print_("FPT", "150.00", 1_000_000, PT, at(9, 15, 50)),
         print_("FPT", "100.50", 10, B, at(9, 16, 0))],
        # the same instant as the stored close: the later arrival is the close
        [print_("FPT", "100.50", 70, S, at(9, 15, 40)),
         print_("FPT", "98.00", 400, ATC, at(14, 45, 0)),
         print_("FPT", "98.50", 100, ATO, at(14, 45, 0, 1))],
    ])
    metrics = await writer.stop()
    assert metrics.rows_written["trades"] == 10 and metrics.quarantined == 0

    bars = await stored_bars(db.pool)
    assert bars == {
        ("FPT", "09:15"): (D("99.00"), D("102.00"), D("99.00"), D("100.50"), 450, 130, 270, 50, 0, 5),
        ("FPT", "09:16"): (D("100.50"), D("100.50"), D("100.50"), D("100.50"), 10, 10, 0, 0, 0, 1),
        ("FPT", "14:45"): (D("98.00"), D("98.50"), D("98.00"), D("98.50"), 500, 0, 0, 0, 500, 2),
        ("VNM", "09:15"): (D("70.00"), D("70.00"), D("70.00"), D("70.00"), 10, 10, 0, 0, 0, 1),
    }
    await assert_bars_match_raw_trades(db.pool, ["FPT", "VNM"])


async def test_a_replayed_journal_adds_its_bars_once_even_when_replayed_again(db, tmp_path: Path) -> None:
    journal_dir = tmp_path / "journal"
    # 1. one batch written while the database answers
    first = BatchWriter(db, Journal(journal_dir, 1 << 30), flush_interval_s=60)
    await first.start()
    await write_batches(first, [[print_("FPT", "100.00", 100, B, at(9, 15, 10)),
                                 print_("FPT", "101.00", 100, S, at(9, 15, 50))]])
    await first.stop()
    # 2. two batches spilled while it does not: the same minute, one print before the stored open
    pool = await unreachable_pool()
    offline = BatchWriter(pool, Journal(journal_dir, 1 << 30), flush_interval_s=60, retry_initial_s=60)
    await offline.start()
    await write_batches(offline, [
        [print_("FPT", "97.00", 300, N, at(9, 15, 0)), print_("FPT", "160.00", 5_000, PT, at(9, 15, 1))],
        [print_("FPT", "103.00", 20, B, at(9, 15, 59, 999_999)), print_("VNM", "70.00", 10, ATO, at(9, 0))],
    ])
    spilled = await offline.stop()
    await pool.close()
    assert spilled.journal_batches == 2
    saved = tmp_path / "saved"
    shutil.copytree(journal_dir, saved)

    # 3. the next start replays them (COPY bytes only: aggregated in SQL)
    replaying = BatchWriter(db, Journal(journal_dir, 1 << 30), flush_interval_s=60)
    await replaying.start()
    replayed = await replaying.stop()
    assert replayed.journal_replayed == 2
    expected = {
        ("FPT", "09:15"): (D("97.00"), D("103.00"), D("97.00"), D("103.00"), 520, 120, 100, 300, 0, 4),
        ("VNM", "09:00"): (D("70.00"), D("70.00"), D("70.00"), D("70.00"), 10, 0, 0, 0, 10, 1),
    }
    assert await stored_bars(db.pool) == expected

    # 4. a crash after COMMIT, before the journal forgot them: replayed again, counted once
    shutil.rmtree(journal_dir)
    shutil.copytree(saved, journal_dir)
    again = BatchWriter(db, Journal(journal_dir, 1 << 30), flush_interval_s=60)
    await again.start()
    assert (await again.stop()).journal_replayed == 0
    assert await stored_bars(db.pool) == expected
    await assert_bars_match_raw_trades(db.pool, ["FPT", "VNM"])


async def test_refused_and_unencodable_prints_leave_no_bars(db, tmp_path: Path, caplog) -> None:
    writer = BatchWriter(db, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=60)
    await writer.start()
    # the database refuses this batch (NUMERIC(12,2) overflow): none of its bars may stay
    await write_batches(writer, [[print_("FPT", "100.00", 100, B, at(9, 15)),
                                  print_("FPT", "123456789012.5", 1, B, at(9, 16))]])
    # a naive time cannot be encoded: the row is set aside before writing, the rest is written
    naive = ClassifiedTrade("FPT", D("105.00"), 7, D("735.00"), B, None, None, datetime(2026, 4, 8, 9, 17))
    await write_batches(writer, [[naive, print_("FPT", "101.00", 40, S, at(9, 17, 30))]])
    metrics = await writer.stop()
    assert metrics.quarantined == 2 and metrics.unencodable == 1
    assert await stored_bars(db.pool) == {
        ("FPT", "09:17"): (D("101.00"), D("101.00"), D("101.00"), D("101.00"), 40, 0, 40, 0, 0, 1),
    }


def random_day(rng: random.Random, n: int) -> list[ClassifiedTrade]:
    """Prints of three symbols over ~20 minutes, partly out of order, with exact-time ties."""
    kinds = [B, B, S, S, N, ATO, ATC, PT]
    out = []
    for i in range(n):
        second = max(0, i // 3 + rng.randint(-90, 10))  # arrivals up to 90 s late
        when = at(9, 15) + timedelta(seconds=second, microseconds=rng.choice([0, 0, 0, 500_000, rng.randrange(10**6)]))
        price = f"{rng.randint(990, 1010) * 100}.{rng.choice(['00', '50'])}"
        out.append(print_(rng.choice(["ACB", "FPT", "VNM"]), price, 100 * rng.randint(1, 50), rng.choice(kinds), when))
    return out


async def test_random_flushes_fresh_and_replayed_equal_the_raw_aggregation(db, tmp_path: Path) -> None:
    rng = random.Random(8)
    trades = random_day(rng, 3_600)
    # queue_max=250 seals full queues for the journal, replayed before the fresh rows of each cycle:
    # the bars come from both paths (Python-folded fresh batches, SQL-folded replays)
    writer = BatchWriter(db, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=60, queue_max=250,
                         encode_slice_rows=37)
    await writer.start()
    i = 0
    while i < len(trades):
        step = rng.randint(1, 400)
        await write_batches(writer, [trades[i : i + step]])
        i += step
    metrics = await writer.stop()
    assert metrics.rows_written["trades"] == len(trades)
    assert metrics.journal_replayed > 0 and metrics.flushes > metrics.journal_replayed
    await assert_bars_match_raw_trades(db.pool, ["ACB", "FPT", "VNM"])
    total = await db.pool.fetchval("SELECT sum(volume) FROM trade_minute_bars")
    assert total == sum(t.volume for t in trades if t.trade_type is not PT)


async def test_prints_python_cannot_fold_are_aggregated_in_sql(db, tmp_path: Path, caplog) -> None:
    """A price given as text is encoded fine but cannot be compared with Decimals: the flush falls
    back to aggregating its COPY bytes in SQL, and the bars are still exact."""
    writer = BatchWriter(db, Journal(tmp_path / "journal", 1 << 30), flush_interval_s=60)
    await writer.start()
    odd = ClassifiedTrade("FPT", "104.50", 5, D("522.50"), B, None, None, at(9, 15, 30))  # type: ignore[arg-type]
    await write_batches(writer, [[print_("FPT", "100.00", 100, B, at(9, 15, 10)), odd,
                                  print_("FPT", "99.00", 7, S, at(9, 15, 50))]])
    metrics = await writer.stop()
    assert metrics.rows_written["trades"] == 3 and metrics.quarantined == 0
    assert "aggregates them in SQL" in caplog.text
    assert await stored_bars(db.pool) == {
        ("FPT", "09:15"): (D("100.00"), D("104.50"), D("99.00"), D("99.00"), 112, 105, 7, 0, 0, 3),
    }
