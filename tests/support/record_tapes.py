"""Replay files of known content and the ``record`` subprocess, for the record, pipeline and
exactly-once tests: print n has volume n + 1 (its name in the ``trades`` table) and the TotalVol
its symbol's day has reached with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterable

import asyncpg

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_replay.jsonl"
DAY = date(2026, 4, 8)
SYMBOLS = ("ACB", "FPT", "VNM")
START = datetime(2026, 4, 8, 9, 30)


def envelope(data_type: str, content: dict) -> str:
    return json.dumps({"DataType": data_type, "Content": json.dumps(content)})


def trade_line(n: int, per_second: int, start: datetime = START) -> str:
    """The n-th print of the test tape: volume n+1 identifies it; TotalVol grows per symbol."""
    symbol = SYMBOLS[n % len(SYMBOLS)]
    moment = start + timedelta(seconds=n // per_second)
    price = 20_000 + 50 * (n % 9)
    volume = n + 1
    total = sum(i + 1 for i in range(n % len(SYMBOLS), n + 1, len(SYMBOLS)))
    return envelope("X-TRADE", {
        "RType": "X-TRADE", "TradingDate": DAY.strftime("%d/%m/%Y"), "Time": moment.strftime("%H:%M:%S"),
        "Symbol": symbol, "Exchange": "HOSE", "LastPrice": price, "LastVol": volume, "TotalVol": total,
        "TotalVal": price * total, "RefPrice": 20_200, "Ceiling": 21_600, "Floor": 18_800,
        "TradingSession": "LO", "Side": "BU" if n % 2 else "SD",
    })


def write_tape(path: Path, trades: int | Iterable[int], per_second: int = 20, bad_lines: list[str] = ()) -> Path:
    """Prints 0..trades-1 (or the given print numbers), with ``bad_lines`` spread among them."""
    numbers = range(trades) if isinstance(trades, int) else trades
    lines = [trade_line(n, per_second) for n in numbers]
    for i, bad in enumerate(bad_lines):
        lines.insert((i + 1) * len(lines) // (len(bad_lines) + 1), bad)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def record_env(database_url: str, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["STOCK_TRACKER_DATABASE_URL"] = database_url
    env["STOCK_TRACKER_HOME"] = str(home)
    return env


def start_record(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "desktop_app", "record", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def one_summary(out: str, err: str) -> dict:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected ONE summary line on stdout, got {out!r} (stderr: {err[-2000:]})"
    return json.loads(lines[0])


def run_record(args: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, dict, str]:
    proc = start_record(args, env)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, one_summary(out, err), err


async def fetch_volumes(database_url: str) -> list[int]:
    conn = await asyncpg.connect(database_url)
    try:
        return [r["volume"] for r in await conn.fetch("SELECT volume FROM trades ORDER BY volume")]
    finally:
        await conn.close()


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
