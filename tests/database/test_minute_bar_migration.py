"""Revision 0002 on a database that already holds trades: the minute bars are backfilled from them
(the same bars as aggregating the raw prints), and a downgrade drops only the aggregate."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import asyncpg
import numpy as np

from desktop_app.database.migrate import current_revision, upgrade_to_head
from desktop_app.database.repositories import trade_repository
from desktop_app.market_clock import day_bounds
from desktop_app.database.schema import TRADE_COPY_COLUMNS
from desktop_app.domain import VIETNAM_TZ
from tests.support.migrations import migrate

DAY = date(2025, 6, 2)


def seeded_trades() -> list[tuple]:
    """Two symbols over a morning, every trade type, prints sharing one microsecond (ties by id)."""
    rows = []
    kinds = ["buy", "sell", "neutral", "buy", "sell", "ato", "atc", "put_through"]
    start = datetime(2025, 6, 2, 9, 0, tzinfo=VIETNAM_TZ)
    for i in range(1_500):
        symbol = ("FPT", "VNM")[i % 2]
        price = Decimal(100_000 + 100 * ((i * 37) % 23))
        volume = 100 * (1 + (i * 7) % 19)
        when = start + timedelta(seconds=(i * 13) % 5_400)  # out of time order, repeated instants
        rows.append((symbol, price, volume, price * volume, kinds[(i * 5) % 8], None, None, when))
    return rows


async def test_upgrading_a_database_with_trades_builds_their_minute_bars(empty_database_url: str) -> None:
    await migrate(empty_database_url, "upgrade", "0001")
    conn = await asyncpg.connect(empty_database_url)
    try:
        await conn.copy_records_to_table("trades", records=seeded_trades(), columns=list(TRADE_COPY_COLUMNS))
        assert await conn.fetchval("SELECT to_regclass('trade_minute_bars')") is None
    finally:
        await conn.close()

    await upgrade_to_head(empty_database_url)

    pool = await asyncpg.create_pool(empty_database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        start, end = day_bounds(DAY)
        for symbol in ("FPT", "VNM"):
            got = await trade_repository.minute_bars(pool, symbol, start, end)
            want = await trade_repository._minute_bars_from_trades(pool, symbol, start, end)
            assert len(got) == 90  # 09:00-10:29
            for field in ("minute_epoch_s", "open", "high", "low", "close", "volume", "buy_volume",
                          "sell_volume", "neutral_volume", "auction_volume"):
                assert np.array_equal(getattr(got, field), getattr(want, field)), (symbol, field)
        counted = await pool.fetchval("SELECT sum(trades) FROM trade_minute_bars")
        assert counted == await pool.fetchval("SELECT count(*) FROM trades WHERE trade_type <> 'put_through'")
        first = await pool.fetchval("SELECT min(minute) FROM trade_minute_bars")
        assert first == datetime(2025, 6, 2, 2, 0, tzinfo=timezone.utc)
    finally:
        await pool.close()

    await migrate(empty_database_url, "downgrade", "0001")
    assert await current_revision(empty_database_url) == "0001"
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await conn.fetchval("SELECT to_regclass('trade_minute_bars')") is None
        assert await conn.fetchval("SELECT count(*) FROM trades") == 1_500
    finally:
        await conn.close()
