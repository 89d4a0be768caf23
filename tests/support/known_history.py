"""Known rows for the UI tests, written straight into a test database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import tempfile
from pathlib import Path

import asyncpg

from desktop_app.database.batch_writer import BatchWriter
from desktop_app.database.journal import Journal
from desktop_app.database.repositories import ohlc_repository
from desktop_app.domain import VIETNAM_TZ, ClassifiedTrade, DailyBar, TradeType

DAY = date(2024, 3, 15)  # a Friday
SYMBOL = "FPT"
FUTURES = "VN30F2403"


def vn(h: int, m: int, s: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=VIETNAM_TZ)


def daily_bars(symbol: str = SYMBOL, n: int = 300, first: date = date(2023, 1, 2)) -> list[DailyBar]:
    bars: list[DailyBar] = []
    d = first
    price = 90_000
    i = 0
    while len(bars) < n:
        if d.weekday() < 5:
            o = price
            c = price + (100 if i % 3 else -200)
            bars.append(DailyBar(symbol, d, Decimal(o), Decimal(max(o, c) + 300), Decimal(min(o, c) - 200),
                                 Decimal(c), 1_000_000 + 1000 * i))
            price = c
            i += 1
        d += timedelta(days=1)
    return bars


# (time, price, volume, trade_type)
TRADES = [
    (vn(9, 15), 97_900, 5_000, "ato"),
    (vn(9, 15, 20), 98_000, 1_200, "buy"),
    (vn(9, 15, 40), 97_900, 800, "sell"),
    (vn(9, 16, 5), 98_100, 2_000, "buy"),
    (vn(9, 16, 30), 98_100, 300, "neutral"),
    (vn(9, 17, 0), 98_200, 700, "buy"),
    (vn(10, 1, 0), 97_800, 4_000, "sell"),
    (vn(14, 45), 98_000, 9_000, "atc"),
    (vn(14, 50), 97_500, 50_000, "put_through"),
]

FOREIGN = [  # (time, buy, sell, buy speed, sell speed)
    (vn(9, 20), 10_000, 2_000, Decimal("2000.00"), Decimal("400.00")),
    (vn(9, 25), 25_000, 4_000, Decimal("3000.00"), Decimal("400.00")),
    (vn(10, 0), 40_000, 30_000, Decimal("428.57"), Decimal("742.86")),
]

BASIS = [  # (time, futures, spot, basis)
    (vn(9, 15), Decimal("1270.5"), Decimal("1268.20"), Decimal("2.30")),
    (vn(9, 30), Decimal("1265.0"), Decimal("1267.40"), Decimal("-2.40")),
    (vn(10, 0), Decimal("1290.0"), Decimal("1272.00"), Decimal("18.00")),
]

ALERTS = [  # (symbol, type, message, severity, time)
    (SYMBOL, "block_trade", "FPT block trade 50,000 shares", "info", vn(9, 16, 5)),
    (SYMBOL, "ceiling_hit", "FPT hit ceiling", "warning", vn(10, 1, 0)),
    (FUTURES, "basis_flip", "basis flipped to discount", "info", vn(9, 30)),
    (FUTURES, "basis_extreme", "basis 18.00 points", "warning", vn(10, 0)),
]


async def seed_all(pool: asyncpg.Pool) -> None:
    await ohlc_repository.upsert_daily_bars(pool, daily_bars())
    # trades through the real BatchWriter: it also keeps the per-minute aggregate charts read
    writer = BatchWriter(pool, Journal(Path(tempfile.mkdtemp(prefix="ui-seed-journal-")), 1 << 24))
    await writer.start()
    for ts, p, v, t in TRADES:
        writer.enqueue(ClassifiedTrade(SYMBOL, Decimal(p), v, Decimal(p * v), TradeType(t), None, None, ts))
    writer.enqueue(ClassifiedTrade("VNM", Decimal(70_000), 100, Decimal(7_000_000), TradeType.BUY,
                                   None, None, vn(9, 20)))  # another symbol
    await writer.stop()
    await pool.executemany(
        "INSERT INTO foreign_snapshots (symbol, f_buy_vol, f_sell_vol, f_net_vol, buy_speed_per_min,"
        " sell_speed_per_min, captured_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [(SYMBOL, b, s, b - s, bs, ss, ts) for ts, b, s, bs, ss in FOREIGN],
    )
    await pool.executemany(
        "INSERT INTO basis_history (futures_symbol, futures_price, spot_value, basis, captured_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        [(FUTURES, f, s, b, ts) for ts, f, s, b in BASIS],
    )
    await pool.executemany(
        "INSERT INTO alerts (symbol, alert_type, message, severity, created_at) VALUES ($1, $2, $3, $4, $5)",
        ALERTS,
    )


def earlier_weekdays(n: int, last: date = DAY) -> list[date]:
    """The ``n`` weekdays before ``last``, oldest first."""
    out: list[date] = []
    d = last
    while len(out) < n:
        d -= timedelta(days=1)
        if d.weekday() < 5:
            out.append(d)
    return out[::-1]


def day_of_prints(day: date, k: int) -> list[ClassifiedTrade]:
    """A deterministic day of FPT prints: ATO, continuous trading of each type, ATC."""
    kinds = (TradeType.BUY, TradeType.SELL, TradeType.NEUTRAL, TradeType.BUY, TradeType.SELL)
    times = [vn(9, 15, day=day)]
    times += [vn(9 + (20 + 7 * i) // 60, (20 + 7 * i) % 60, 5 * (i % 4), day=day) for i in range(18)]
    times += [vn(13 + (5 + 8 * i) // 60, (5 + 8 * i) % 60, 3 * (i % 5), day=day) for i in range(12)]
    times += [vn(14, 45, day=day)]
    out: list[ClassifiedTrade] = []
    for i, ts in enumerate(times):
        price = 90_000 + 100 * ((k * 7 + i * 3) % 41)
        volume = 100 * (1 + (k + i) % 9)
        kind = TradeType.ATO if i == 0 else TradeType.ATC if i == len(times) - 1 else kinds[(k + i) % 5]
        out.append(ClassifiedTrade(SYMBOL, Decimal(price), volume, Decimal(price * volume), kind, None, None, ts))
    return out


async def seed_days(pool: asyncpg.Pool, days: list[date]) -> None:
    """FPT prints on each of ``days`` through the real BatchWriter (fills trade_minute_bars)."""
    writer = BatchWriter(pool, Journal(Path(tempfile.mkdtemp(prefix="ui-seed-journal-")), 1 << 24))
    await writer.start()
    for k, day in enumerate(days):
        for trade in day_of_prints(day, k):
            writer.enqueue(trade)
    await writer.stop()
