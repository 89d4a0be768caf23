"""A hand-built trading day (5 March 2024) whose order-flow figures are worked out by hand.

HPG: an ATO print, active buys and sells, a neutral print, a put-through worth 2.6 bn VND, the
last print before lunch at 11:29:59, two prints at the same instant 13:00:00 (arrival order
decides the close), a 1.004 bn VND active buy and an ATC print worth 1.26 bn VND. A print at
23:59:59 the day before must stay out.
VWP: two prints whose VWAP is exactly 10000.005 (rounds half up to 10000.01).
TIE1: two levels share the most volume (the POC is the lower price).
TIE2: the POC's two neighbours hold the same volume (the value area grows upward first).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import asyncpg

from desktop_app.database.minute_bar_aggregate import refresh_minute_bars
from desktop_app.domain import VIETNAM_TZ

DAY = date(2024, 3, 5)


def at(h: int, mi: int, s: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, h, mi, s, tzinfo=VIETNAM_TZ)


TRADES = [
    # symbol, price, volume, trade_type, traded_at (rows are inserted in this order: ids follow it)
    ("HPG", "24000", 100, "buy", at(23, 59, 59, date(2024, 3, 4))),
    ("HPG", "25000", 1000, "ato", at(9, 15)),
    ("HPG", "25050", 200, "buy", at(9, 15, 10)),
    ("HPG", "25000", 300, "sell", at(9, 15, 40)),
    ("HPG", "25100", 100, "buy", at(9, 16, 5)),
    ("HPG", "26000", 100_000, "put_through", at(9, 16, 30)),
    ("HPG", "25050", 50, "neutral", at(9, 17)),
    ("HPG", "25100", 500, "buy", at(11, 29, 59)),
    ("HPG", "25000", 400, "sell", at(13, 0)),
    ("HPG", "25050", 10, "buy", at(13, 0)),
    ("HPG", "25100", 40_000, "buy", at(13, 5)),
    ("HPG", "25200", 50_000, "atc", at(14, 45)),
    ("VWP", "10000.00", 1, "buy", at(9, 20)),
    ("VWP", "10000.01", 1, "sell", at(9, 20, 30)),
    ("TIE1", "10000", 300, "buy", at(9, 20)),
    ("TIE1", "10050", 500, "sell", at(9, 21)),
    ("TIE1", "10100", 500, "buy", at(9, 22)),
    ("TIE1", "10150", 200, "neutral", at(9, 23)),
    ("TIE2", "10000", 200, "buy", at(9, 20)),
    ("TIE2", "10050", 600, "sell", at(9, 21)),
    ("TIE2", "10100", 200, "buy", at(9, 22)),
    ("TIE2", "10150", 100, "buy", at(9, 23)),
]


async def insert_day(pool: asyncpg.Pool) -> None:
    """The day's prints, one row each, in list order (so ids follow arrival), and their minute bars
    (rows written around the batch writer are folded in by ``refresh_minute_bars``)."""
    async with pool.acquire() as conn, conn.transaction():
        for symbol, price, volume, trade_type, ts in TRADES:
            await conn.execute(
                "INSERT INTO trades (symbol, price, volume, value, trade_type, traded_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                symbol, Decimal(price), volume, Decimal(price) * volume, trade_type, ts,
            )
    await refresh_minute_bars(pool)
