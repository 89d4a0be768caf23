"""The minute-bar rule is defined once in Python (``minute_floor``, ``VOLUME_COLUMN_TYPES``,
``OUTSIDE_BARS``) and mirrored in SQL: the server computes the same bars from the same prints."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import asyncpg

from desktop_app.database.minute_bar_aggregate import (
    MINUTE_BAR_COLUMNS, MINUTE_SQL, MinuteBarBatch, aggregate_select_sql, minute_floor,
)
from desktop_app.domain import VIETNAM_TZ, ClassifiedTrade, TradeType

T0 = datetime(2026, 4, 8, 9, 15, 0, tzinfo=VIETNAM_TZ)
ODD_ZONE = timezone(timedelta(hours=5, minutes=45, seconds=30))  # not a whole number of minutes


async def test_python_and_sql_put_an_instant_in_the_same_minute(pool: asyncpg.Pool) -> None:
    instants = [
        T0, T0 + timedelta(microseconds=1), T0 + timedelta(seconds=59, microseconds=999_999),
        T0.astimezone(timezone.utc) + timedelta(seconds=61), datetime(2026, 4, 8, 9, 15, 10, tzinfo=ODD_ZONE),
        datetime(1999, 12, 31, 23, 59, 59, 500_000, tzinfo=timezone.utc),
    ]
    sql = MINUTE_SQL.replace("traded_at", "t")
    server = await pool.fetch(f"SELECT {sql} AS minute FROM unnest($1::timestamptz[]) AS t", instants)
    assert [r["minute"] for r in server] == [minute_floor(i) for i in instants]


async def test_python_and_sql_fold_every_trade_type_into_the_same_bars(pool: asyncpg.Pool) -> None:
    trades = [
        ClassifiedTrade("FPT", Decimal(98_000 + 100 * i), 100 * (i + 1), Decimal(0), kind, None, None,
                        T0 + timedelta(seconds=20 * i))
        for i, kind in enumerate(list(TradeType) * 2)
    ]
    batch = MinuteBarBatch()
    batch.add_trades(trades)
    async with pool.acquire() as conn:
        await conn.execute("CREATE TEMPORARY TABLE rule_trades (id serial, symbol text, price numeric,"
                           " volume bigint, trade_type text, traded_at timestamptz)")
        await conn.executemany(
            "INSERT INTO rule_trades (symbol, price, volume, trade_type, traded_at) VALUES ($1, $2, $3, $4, $5)",
            [(t.symbol, t.price, t.volume, t.trade_type.value, t.timestamp) for t in trades],
        )
        rows = await conn.fetch(aggregate_select_sql("rule_trades", "id"))
    in_python = list(zip(*batch.columns()))
    in_sql = [tuple(r) for r in rows]
    assert len(in_sql) == 4 and in_sql == in_python
    named = [dict(zip(MINUTE_BAR_COLUMNS, r)) for r in in_sql]
    assert sum(b["auction_volume"] for b in named) > 0 and sum(b["buy_volume"] for b in named) > 0
    put_through = sum(t.volume for t in trades if t.trade_type is TradeType.PUT_THROUGH)
    assert sum(b["volume"] for b in named) == sum(t.volume for t in trades) - put_through
