"""Replay files of known content for the exactly-once tests: print n has volume n + 1 (its name
in the ``trades`` table) and the TotalVol its symbol's day has reached with it."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterable

import asyncpg

DAY = date(2026, 4, 8)
SYMBOLS = ("ACB", "FPT", "VNM")
START = datetime(2026, 4, 8, 9, 30)


def envelope(data_type: str, content: dict) -> str:
    return json.dumps({"DataType": data_type, "Content": json.dumps(content)})


def trade_line(n: int, per_second: int) -> str:
    symbol = SYMBOLS[n % len(SYMBOLS)]
    moment = START + timedelta(seconds=n // per_second)
    price = 20_000 + 50 * (n % 9)
    volume = n + 1
    total = sum(i + 1 for i in range(n % len(SYMBOLS), n + 1, len(SYMBOLS)))
    return envelope("X-TRADE", {
        "RType": "X-TRADE", "TradingDate": DAY.strftime("%d/%m/%Y"), "Time": moment.strftime("%H:%M:%S"),
        "Symbol": symbol, "Exchange": "HOSE", "LastPrice": price, "LastVol": volume, "TotalVol": total,
        "TotalVal": price * total, "RefPrice": 20_200, "Ceiling": 21_600, "Floor": 18_800,
        "TradingSession": "LO", "Side": "BU" if n % 2 else "SD",
    })


def write_tape(path: Path, numbers: Iterable[int], per_second: int = 20) -> Path:
    path.write_text("".join(trade_line(n, per_second) + "\n" for n in numbers), encoding="utf-8")
    return path


async def volume_copies(database_url: str) -> dict[int, int]:
    """How many times each print (named by its volume) is stored."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT volume, count(*) AS n FROM trades GROUP BY volume")
    finally:
        await conn.close()
    return {r["volume"]: r["n"] for r in rows}


async def table_counts(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}")
                for t in ("trades", "foreign_snapshots", "basis_history", "alerts")}
    finally:
        await conn.close()


async def copies(database_url: str) -> dict[str, int]:
    """Rows stored more than once by their identities (trades: the board's view — same symbol,
    time, price, volume and side is the same print on these tapes)."""
    queries = {
        "alerts": "SELECT count(*) - count(DISTINCT (symbol, alert_type, created_at)) FROM alerts",
        "foreign_snapshots": "SELECT count(*) - count(DISTINCT (symbol, f_buy_vol, f_sell_vol)) FROM foreign_snapshots",
    }
    conn = await asyncpg.connect(database_url)
    try:
        return {name: await conn.fetchval(q) for name, q in queries.items()}
    finally:
        await conn.close()
