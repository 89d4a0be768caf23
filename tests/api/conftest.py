"""History API fixtures: a test database holding known rows, and an HTTP client over the app.

``history_rows`` writes a small, fully known history (daily bars, trades, foreign snapshots,
basis, alerts) into the per-test database; ``api`` is an ``httpx.AsyncClient`` speaking to
``create_app`` through ASGI, over the same read-only pool the served API uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import AsyncIterator

import asyncpg
import httpx
import pytest

from desktop_app.api.history import create_app
from desktop_app.api.server import open_read_only_pool
from desktop_app.domain import VIETNAM_TZ


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=VIETNAM_TZ)


DAILY = [
    # symbol, date, open, high, low, close, volume
    ("FPT", date(2023, 12, 29), "94500", "95600", "94000", "95000", 1_200_300),
    ("FPT", date(2024, 1, 2), "95000", "96800", "94900", "96500.50", 2_345_600),
    ("FPT", date(2024, 1, 3), "96500", "97000", "95500", "95800", 1_800_000),
    ("FPT", date(2024, 1, 4), "95800", "96000", "95000", "95100", 1_500_000),
    ("FPT", date(2024, 1, 5), "95100", "98000", "95100", "97900", 3_000_000),
    ("VNM", date(2024, 1, 2), "68000", "68500", "67500", "68100", 900_000),
]

TRADES = [
    # symbol, price, volume, value, type, bid, ask, traded_at
    ("FPT", "96000", 100, "9600000", "neutral", None, None, vn(2024, 2, 29, 23, 59, 59)),
    ("FPT", "96500", 1000, "96500000", "ato", None, None, vn(2024, 3, 1, 9, 15)),
    ("FPT", "96600", 500, "48300000", "buy", "96500", "96600", vn(2024, 3, 1, 9, 15, 3)),
    ("FPT", "96500", 200, "19300000", "sell", "96500", "96600", vn(2024, 3, 1, 9, 15, 7)),
    ("FPT", "96550.5", 300, "28965150", "neutral", "96500", "96600", vn(2024, 3, 1, 10, 0)),
    ("FPT", "97000", 2000, "194000000", "atc", None, None, vn(2024, 3, 1, 14, 45)),
    ("FPT", "97100", 100, "9710000", "buy", "97000", "97100", vn(2024, 3, 4, 9, 16)),
    ("VNM", "68000", 100, "6800000", "buy", "67900", "68000", vn(2024, 3, 1, 9, 16)),
]

FOREIGN = [
    # symbol, buy_vol, sell_vol, buy_speed, sell_speed, captured_at, buy_val, sell_val, room
    ("FPT", 10_000, 4_000, "1200.50", "300", vn(2024, 3, 1, 9, 20), "965000000", "386000000", 50_000_000),
    ("FPT", 25_000, 9_000, "1500", "400.25", vn(2024, 3, 1, 9, 25), "2412500000", "868500000", 49_985_000),
    ("FPT", 30_000, 9_500, "800", "50", vn(2024, 3, 1, 13, 5), "2895000000", "916750000", None),
    ("VNM", 1_000, 0, "10", "0", vn(2024, 3, 1, 9, 20), None, None, None),
]

BASIS = [
    # futures, futures_price, spot, basis, captured_at
    ("VN30F2403", "1255.5", "1250.25", "5.25", vn(2024, 3, 1, 9, 15, 1)),
    ("VN30F2404", "1258.0", "1250.25", "7.75", vn(2024, 3, 1, 9, 15, 2)),
    ("VN30F2403", "1248.1", "1250.6", "-2.50", vn(2024, 3, 1, 10, 30)),
    ("VN30F2403", "1249", "1249.5", "-0.5", vn(2024, 3, 4, 9, 0)),
]

ALERTS = [
    # id, symbol, type, message, severity, created_at, acknowledged_at, note
    (1, "FPT", "ceiling_hit", "FPT hit ceiling 102,700 at 10:42:05", "warning", vn(2024, 3, 1, 10, 42, 5), None, None),
    (2, "FPT", "block_trade", "FPT block 12.5 bn VND", "info", vn(2024, 3, 1, 11, 0), vn(2024, 3, 1, 11, 5), "seen"),
    (3, "VNM", "floor_hit", "VNM hit floor", "warning", vn(2024, 3, 1, 13, 30), None, None),
    (4, "VN30F2403", "basis_flip", "basis turned to discount", "info", vn(2024, 3, 1, 10, 30), None, None),
    (5, "FPT", "foreign_surge", "foreign net buy 600,000", "warning", vn(2024, 3, 4, 9, 30), None, None),
]


@dataclass(frozen=True)
class HistoryRows:
    daily: list
    trades: list
    foreign: list
    basis: list
    alerts: list


@pytest.fixture
async def history_rows(pool: asyncpg.Pool) -> HistoryRows:
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            "INSERT INTO daily_ohlc (symbol, date, open, high, low, close, volume) VALUES ($1,$2,$3,$4,$5,$6,$7)",
            [(s, d, Decimal(o), Decimal(h), Decimal(lo), Decimal(c), v) for s, d, o, h, lo, c, v in DAILY],
        )
        await conn.executemany(
            "INSERT INTO trades (symbol, price, volume, value, trade_type, bid_price, ask_price, traded_at)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            [(s, Decimal(p), v, Decimal(val), t, b and Decimal(b), a and Decimal(a), ts)
             for s, p, v, val, t, b, a, ts in TRADES],
        )
        await conn.executemany(
            "INSERT INTO foreign_snapshots (symbol, f_buy_vol, f_sell_vol, f_net_vol, buy_speed_per_min,"
            " sell_speed_per_min, captured_at, f_buy_val, f_sell_val, room_left)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
            [(s, b, se, b - se, Decimal(bs), Decimal(ss), ts, bv and Decimal(bv), sv and Decimal(sv), room)
             for s, b, se, bs, ss, ts, bv, sv, room in FOREIGN],
        )
        await conn.executemany(
            "INSERT INTO basis_history (futures_symbol, futures_price, spot_value, basis, captured_at)"
            " VALUES ($1,$2,$3,$4,$5)",
            [(f, Decimal(fp), Decimal(sp), Decimal(b), ts) for f, fp, sp, b, ts in BASIS],
        )
        await conn.executemany(
            "INSERT INTO alerts (id, symbol, alert_type, message, severity, created_at, acknowledged_at, note)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            ALERTS,
        )
    return HistoryRows(DAILY, TRADES, FOREIGN, BASIS, ALERTS)


@pytest.fixture
async def read_only_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await open_read_only_pool(database_url)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def api(read_only_pool: asyncpg.Pool, history_rows: HistoryRows) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(read_only_pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://history.test") as client:
        yield client
