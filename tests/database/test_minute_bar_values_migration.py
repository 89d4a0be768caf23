"""Revision 0005 on a database whose minute bars predate it: the value per trade type is
backfilled from the stored trades (the same as the aggregate's definition), and a downgrade
drops only those columns."""

from __future__ import annotations

import asyncpg

from desktop_app.database.migrate import upgrade_to_head
from desktop_app.database.minute_bar_aggregate import aggregate_select_sql
from desktop_app.database.schema import TRADE_COPY_COLUMNS
from tests.database.test_minute_bar_migration import migrate, seeded_trades

VALUES = ("buy_value", "sell_value", "neutral_value", "auction_value")


async def test_upgrading_backfills_minute_values_from_the_trades(empty_database_url: str) -> None:
    await migrate(empty_database_url, "upgrade", "0002")
    conn = await asyncpg.connect(empty_database_url)
    try:
        await conn.copy_records_to_table("trades", records=seeded_trades(), columns=list(TRADE_COPY_COLUMNS))
        await conn.execute("INSERT INTO trade_minute_bars SELECT * FROM ("
                           + aggregate_select_sql("trades", "id").replace(
                               ", buy_value, sell_value,\n       neutral_value, auction_value", "")
                           + ") AS m")
        bars = await conn.fetchval("SELECT count(*) FROM trade_minute_bars")
        assert bars > 100
    finally:
        await conn.close()

    await upgrade_to_head(empty_database_url)

    conn = await asyncpg.connect(empty_database_url)
    try:
        stored = await conn.fetch(f"SELECT symbol, minute, {', '.join(VALUES)} FROM trade_minute_bars ORDER BY 1, 2")
        want = await conn.fetch(f"SELECT symbol, minute, {', '.join(VALUES)} FROM ("
                                + aggregate_select_sql("trades", "id") + ") AS m ORDER BY 1, 2")
        assert len(stored) == bars and [tuple(r) for r in stored] == [tuple(r) for r in want]
        assert sum(r["buy_value"] for r in stored) > 0 and sum(r["auction_value"] for r in stored) > 0
    finally:
        await conn.close()

    await migrate(empty_database_url, "downgrade", "0002")
    conn = await asyncpg.connect(empty_database_url)
    try:
        columns = {r[0] for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'trade_minute_bars'")}
        assert not columns & set(VALUES) and "buy_volume" in columns
        assert await conn.fetchval("SELECT count(*) FROM trade_minute_bars") == bars
    finally:
        await conn.close()
