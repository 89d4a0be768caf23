"""refresh_minute_bars: trades written around the BatchWriter are folded in for exactly the minutes
and symbols asked for; other bars are left as they are."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest

from desktop_app.database.minute_bar_aggregate import refresh_minute_bars
from desktop_app.database.schema import TRADE_COPY_COLUMNS
from desktop_app.domain import VIETNAM_TZ


def at(h: int, m: int, s: int = 0) -> datetime:
    return datetime(2025, 3, 14, h, m, s, tzinfo=VIETNAM_TZ)


async def insert(pool: asyncpg.Pool, rows: list[tuple[str, str, int, str, datetime]]) -> None:
    await pool.copy_records_to_table("trades", columns=list(TRADE_COPY_COLUMNS), records=[
        (s, Decimal(p), v, Decimal(p) * v, kind, None, None, when) for s, p, v, kind, when in rows])


async def volumes(pool: asyncpg.Pool) -> dict[tuple[str, str], int]:
    rows = await pool.fetch("SELECT symbol, minute, volume FROM trade_minute_bars ORDER BY 1, 2")
    return {(r[0], r[1].astimezone(VIETNAM_TZ).strftime("%H:%M")): r[2] for r in rows}


async def test_a_refresh_recomputes_only_its_symbols_and_whole_minutes(pool: asyncpg.Pool) -> None:
    await insert(pool, [("FPT", "100", 10, "buy", at(9, 15, 5)), ("FPT", "101", 20, "sell", at(9, 16, 5)),
                        ("FPT", "102", 30, "buy", at(9, 17, 5)), ("VNM", "70", 40, "buy", at(9, 16, 30))])
    assert await refresh_minute_bars(pool) == 4
    # more prints arrive around the writer; the 09:15 bar is deliberately wrong to show it stays untouched
    await insert(pool, [("FPT", "103", 1, "buy", at(9, 16, 59)), ("FPT", "99", 2, "ato", at(9, 17, 0)),
                        ("VNM", "71", 3, "sell", at(9, 16, 31)), ("FPT", "98", 4, "buy", at(9, 15, 6))])
    await pool.execute("UPDATE trade_minute_bars SET volume = 999 WHERE symbol = 'FPT' AND minute = $1", at(9, 15))

    # [09:16:30, 09:17:00.5) covers the whole minutes 09:16 and 09:17
    count = await refresh_minute_bars(pool, symbols=["FPT"], start=at(9, 16, 30),
                                      end=at(9, 17) + timedelta(microseconds=500_000))
    assert count == 2
    assert await volumes(pool) == {("FPT", "09:15"): 999, ("FPT", "09:16"): 21, ("FPT", "09:17"): 32,
                                   ("VNM", "09:16"): 40}
    bar = await pool.fetchrow("SELECT open, close, auction_volume, trades FROM trade_minute_bars "
                              "WHERE symbol = 'FPT' AND minute = $1", at(9, 17))
    assert tuple(bar) == (Decimal("99.00"), Decimal("102.00"), 2, 2)

    with pytest.raises(ValueError, match="timezone-aware"):
        await refresh_minute_bars(pool, start=datetime(2025, 3, 14, 9, 0))
