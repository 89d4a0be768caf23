"""``stock-tracker bench query``: history query latency on a database of the planned size.

Fills a bench dataset (once; kept for the next run) at the sizes the persistence plan targets,
scaled by ``--scale``:
  * ``daily_ohlc``: 10 years of weekdays × 400 symbols (≈1.04 M rows at scale 1; symbols scale),
  * ``trades``: one year of weekdays × 30 symbols × 2,300 prints per symbol-day (≈18 M rows at
    scale 1; the prints per day scale, so every query still spans its full time range),
  * ``alerts``: 100,000 alerts over that year (scaled),
then times the queries the app and the history API make, through the real repositories:
  ``daily_ohlc_1y``        one symbol, one year of daily bars            (ohlc_repository.daily_bars)
  ``trades_symbol_day``    one symbol, one trading day of trades         (trade_repository.trades_for_day)
  ``intraday_minutes_1y``  one symbol, a year of minute bars             (trade_repository.minute_bars)
  ``intraday_15min_1y``    the same in 15-minute buckets                 (trade_repository.minute_bars)
  ``alert_page``           first page (100) of alerts for a symbol+severity (alert_repository.list_alerts)
  ``flow_1min``            one symbol-day of 1-minute order-flow bars    (HistoryService.flow)
  ``volume_profile``       one symbol-day's volume at price, POC, VA     (HistoryService.volume_profile)
  ``basket_flow``          30 symbols' 1-minute value flow over a day    (HistoryService.basket_flow)
  ``big_trades``           one symbol-day's prints >= 100 M VND          (HistoryService.big_trades)

Where the data goes: a separate schema, ``bench_query``, seeded (and reused by later runs) by
``desktop_app.database.bench.query_dataset``, so the user's data is never touched; the benchmark's
pool reads it first, so the unmodified repositories query that dataset. This module holds no SQL: it
orchestrates, times and prints; every measured query is a repository's.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import asyncpg

from desktop_app.bench.machine_load import load_average, load_line
from desktop_app.database.bench.query_dataset import (
    DAILY_END,
    DAILY_YEARS,
    SCHEMA,
    SEED_VERSION,
    TRADE_SYMBOLS,
    TRADES_YEAR_END,
    TRADES_YEAR_START,
    SeedInfo,
    daily_symbol,
    ensure_seeded,
    open_bench_pool,
    trade_symbol,
)
from desktop_app.database.server_version import server_version
from desktop_app.market_clock import days_bounds

if TYPE_CHECKING:
    from desktop_app.config import Settings

__all__ = [
    "run_query_bench", "measure", "ALERT_PAGE",
    # the seed's names, for callers (tests) that look at the seeded data
    "SCHEMA", "SEED_VERSION", "TRADES_YEAR_START", "TRADES_YEAR_END", "open_bench_pool", "ensure_seeded",
]

ALERT_PAGE = 100
BIG_TRADE_MIN_VALUE = Decimal(100_000_000)  # the seed's prints are worth at most ~200 M VND
QUERY_NAMES = (
    "daily_ohlc_1y", "trades_symbol_day", "intraday_minutes_1y", "intraday_15min_1y", "alert_page",
    "flow_1min", "volume_profile", "basket_flow", "big_trades",
)


# --------------------------------------------------------------------------- measuring


async def _time_query(make: Callable[[random.Random], Awaitable[Any]], iterations: int, rng: random.Random) -> list[float]:
    await make(rng)  # warm-up: plans cached, pages in memory
    samples = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        await make(rng)
        samples.append((time.perf_counter() - t0) * 1000.0)
    return samples


def _p(samples: list[float], q: float) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


async def measure(pool: asyncpg.Pool, info: SeedInfo, *, quick: bool = False) -> dict[str, Any]:
    """p50/p99 (ms) per query on the seeded schema (``pool`` must have the bench search_path)."""
    from desktop_app.database.repositories import alert_repository, ohlc_repository, trade_repository
    from desktop_app.services.history import HistoryService

    history = HistoryService(pool)

    rng = random.Random(42)
    year_days = (TRADES_YEAR_END - TRADES_YEAR_START).days + 1
    trading_days = [TRADES_YEAR_START + timedelta(days=i) for i in range(year_days)
                    if (TRADES_YEAR_START + timedelta(days=i)).weekday() < 5]
    daily_first = DAILY_END - timedelta(days=365 * (DAILY_YEARS - 1))

    async def daily_1y(r: random.Random) -> Any:
        sym = daily_symbol(r.randint(1, info.daily_symbols))
        start = daily_first + timedelta(days=r.randrange((DAILY_END - daily_first).days - 365))
        bars = await ohlc_repository.daily_bars(pool, sym, start - timedelta(days=365), start)
        assert bars, "daily_ohlc_1y returned nothing: the seed is not where the repository looks"
        return bars

    async def trades_day(r: random.Random) -> Any:
        trades = await trade_repository.trades_for_day(pool, trade_symbol(r.randint(1, TRADE_SYMBOLS)), r.choice(trading_days))
        assert trades, "trades_symbol_day returned nothing"
        return trades

    year_start, year_end = days_bounds(TRADES_YEAR_START, TRADES_YEAR_END)

    async def minutes_1y(r: random.Random) -> Any:
        sym = trade_symbol(r.randint(1, TRADE_SYMBOLS))
        bars = await trade_repository.minute_bars(pool, sym, year_start, year_end)
        assert len(bars), "intraday_minutes_1y returned nothing: trade_minute_bars is not seeded"
        return bars

    async def minutes_15_1y(r: random.Random) -> Any:
        sym = trade_symbol(r.randint(1, TRADE_SYMBOLS))
        bars = await trade_repository.minute_bars(pool, sym, year_start, year_end, bucket=timedelta(minutes=15))
        assert len(bars), "intraday_15min_1y returned nothing"
        return bars

    async def alert_page(r: random.Random) -> Any:
        filt = alert_repository.AlertFilter(
            symbol=trade_symbol(r.randint(1, TRADE_SYMBOLS)), severity=r.choice(["info", "warning"])
        )
        rows = await alert_repository.list_alerts(pool, filt, ALERT_PAGE, 0)
        assert rows, "alert_page returned nothing"
        return rows

    async def flow_1min(r: random.Random) -> Any:
        bars = await history.flow(trade_symbol(r.randint(1, TRADE_SYMBOLS)), r.choice(trading_days), 1)
        assert bars, "flow_1min returned nothing"
        return bars

    async def profile(r: random.Random) -> Any:
        levels = await history.volume_profile(trade_symbol(r.randint(1, TRADE_SYMBOLS)), r.choice(trading_days))
        assert levels.poc is not None, "volume_profile returned nothing"
        return levels

    basket = [trade_symbol(i) for i in range(1, TRADE_SYMBOLS + 1)]

    async def basket_flow(r: random.Random) -> Any:
        bars = await history.basket_flow(basket, r.choice(trading_days), 1)
        assert bars, "basket_flow returned nothing"
        return bars

    async def big_trades(r: random.Random) -> Any:
        sym = trade_symbol(r.randint(1, TRADE_SYMBOLS))
        return await history.big_trades(sym, r.choice(trading_days), BIG_TRADE_MIN_VALUE)  # may be none

    plan = {
        "daily_ohlc_1y": (daily_1y, 20 if quick else 200),
        "trades_symbol_day": (trades_day, 10 if quick else 100),
        "intraday_minutes_1y": (minutes_1y, 3 if quick else 30),
        "intraday_15min_1y": (minutes_15_1y, 3 if quick else 30),
        "alert_page": (alert_page, 20 if quick else 200),
        "flow_1min": (flow_1min, 10 if quick else 100),
        "volume_profile": (profile, 10 if quick else 100),
        "basket_flow": (basket_flow, 5 if quick else 50),
        "big_trades": (big_trades, 10 if quick else 100),
    }
    out: dict[str, Any] = {}
    for name, (make, iterations) in plan.items():
        samples = await _time_query(make, iterations, rng)
        out[f"{name}_ms_p50"] = round(_p(samples, 50), 3)
        out[f"{name}_ms_p99"] = round(_p(samples, 99), 3)
        out[f"{name}_samples"] = len(samples)
    return out


async def run_query_bench(settings: "Settings", as_json: bool, scale: float, *, quick: bool = False) -> int:
    """Seed (or reuse) and measure; prints one JSON object with ``--json``, a table otherwise.

    ``quick`` takes fewer samples per query (tests); the figures are then rougher."""
    from desktop_app.database.connection import Database

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    database = await Database.open(settings, migrate=True, min_size=1, max_size=2)
    try:
        pool = await open_bench_pool(database.dsn)
        try:
            info = await ensure_seeded(pool, scale, log_to=say)
            figures = await measure(pool, info, quick=quick)
            version = await server_version(pool)
        finally:
            await pool.close()
    finally:
        await database.close()
    result: dict[str, Any] = {
        **figures,
        "trades_rows": info.trades_rows,
        "minute_bars_rows": info.minute_bars_rows,
        "minute_bars_build_s": round(info.minute_bars_s, 1),
        "daily_rows": info.daily_rows,
        "alerts_rows": info.alerts_rows,
        "scale_requested": scale,
        "scale_seeded": info.scale,
        "seed_reused": info.reused,
        "seed_s": round(info.seed_s, 1),
        "postgres": version,
        **load_average(),  # at the end of the measurements
    }
    if as_json:
        print(json.dumps(result), flush=True)
        return 0
    print(f"bench query  (PostgreSQL {version}; seed scale {info.scale:g}"
          f"{', reused' if info.reused else ''}; seeding took {info.seed_s:.1f} s)")
    print(f"  seeded rows: daily_ohlc {info.daily_rows:,}  trades {info.trades_rows:,}  alerts {info.alerts_rows:,}"
          f"  minute bars {info.minute_bars_rows:,}")
    print(f"  {'query':<22}{'p50 ms':>10}{'p99 ms':>10}{'runs':>6}")
    for name in QUERY_NAMES:
        print(f"  {name:<22}{figures[name + '_ms_p50']:>10.2f}{figures[name + '_ms_p99']:>10.2f}"
              f"{figures[name + '_samples']:>6}")
    print(f"  {load_line(result)}")
    return 0
