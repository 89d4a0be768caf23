"""Daily OHLC: idempotent upsert (the backfill), ranged reads, numpy columns, coverage for resuming.

The upsert sends the whole batch as arrays in ONE statement (``unnest``), so thousands of bars cost
one round trip; ``ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM`` leaves identical rows alone,
which is what lets a re-run report them as unchanged. A batch may repeat a (symbol, date): the last
bar wins (PostgreSQL would otherwise refuse to update one row twice in one statement).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

import numpy as np

from desktop_app.database.repositories import Executor
from desktop_app.domain import DailyBar

UPSERT_CHUNK = 10_000

_UPSERT = """
WITH upserted AS (
    INSERT INTO daily_ohlc AS d (symbol, date, open, high, low, close, volume)
    SELECT * FROM unnest($1::varchar[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[],
                         $6::numeric[], $7::bigint[])
    ON CONFLICT (symbol, date) DO UPDATE
        SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
            close = EXCLUDED.close, volume = EXCLUDED.volume
        WHERE (d.open, d.high, d.low, d.close, d.volume)
              IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
"""

_SELECT = """
SELECT symbol, date, open, high, low, close, volume
FROM daily_ohlc
WHERE symbol = $1 AND date >= $2 AND date <= $3
ORDER BY date
"""


@dataclass(frozen=True, slots=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int
    duplicates_in_batch: int = 0  # repeated (symbol, date) in the input; the last one was kept

    def __add__(self, other: "UpsertResult") -> "UpsertResult":
        return UpsertResult(
            self.inserted + other.inserted, self.updated + other.updated,
            self.unchanged + other.unchanged, self.duplicates_in_batch + other.duplicates_in_batch,
        )


@dataclass(frozen=True, slots=True, eq=False)
class DailyColumns:
    """Daily bars as arrays for charts; NULL prices/volumes become NaN."""

    date: np.ndarray  # datetime64[D]
    open: np.ndarray  # float64
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray  # float64 (NaN where unknown)

    def __len__(self) -> int:
        return len(self.date)


@dataclass(frozen=True, slots=True)
class Coverage:
    """What ``daily_ohlc`` holds for one symbol."""

    symbol: str
    first: date
    last: date
    days: int


async def upsert_daily_bars(executor: Executor, bars: Sequence[DailyBar]) -> UpsertResult:
    """Insert new bars, update changed ones, count identical ones as unchanged."""
    latest: dict[tuple[str, date], DailyBar] = {}
    for bar in bars:
        latest[(bar.symbol, bar.date)] = bar
    unique = list(latest.values())
    total = UpsertResult(0, 0, 0, len(bars) - len(unique))
    for i in range(0, len(unique), UPSERT_CHUNK):
        chunk = unique[i : i + UPSERT_CHUNK]
        inserted, updated = await executor.fetchrow(
            _UPSERT,
            [b.symbol for b in chunk], [b.date for b in chunk], [b.open for b in chunk],
            [b.high for b in chunk], [b.low for b in chunk], [b.close for b in chunk],
            [b.volume for b in chunk],
        )
        total = total + UpsertResult(inserted, updated, len(chunk) - inserted - updated)
    return total


async def daily_bars(executor: Executor, symbol: str, start: date, end: date) -> list[DailyBar]:
    """Bars for ``start..end`` inclusive (calendar dates), oldest first."""
    return [DailyBar(*row) for row in await executor.fetch(_SELECT, symbol, start, end)]


async def daily_columns(executor: Executor, symbol: str, start: date, end: date) -> DailyColumns:
    rows = await executor.fetch(
        """SELECT date, open::float8, high::float8, low::float8, close::float8, volume::float8
           FROM daily_ohlc WHERE symbol = $1 AND date >= $2 AND date <= $3 ORDER BY date""",
        symbol, start, end,
    )
    n = len(rows)

    def col(i: int) -> np.ndarray:
        return np.fromiter((np.nan if r[i] is None else r[i] for r in rows), np.float64, n)

    return DailyColumns(
        date=np.array([r[0] for r in rows], dtype="datetime64[D]"),
        open=col(1), high=col(2), low=col(3), close=col(4), volume=col(5),
    )


async def dates_present(executor: Executor, symbol: str, start: date, end: date) -> set[date]:
    """The dates in ``start..end`` that already have a bar (the backfill skips them on resume)."""
    rows = await executor.fetch(
        "SELECT date FROM daily_ohlc WHERE symbol = $1 AND date >= $2 AND date <= $3",
        symbol, start, end,
    )
    return {r[0] for r in rows}


async def coverage(executor: Executor, symbols: Sequence[str]) -> dict[str, Coverage]:
    """First/last date and day count per symbol (symbols without bars are absent)."""
    rows = await executor.fetch(
        """SELECT symbol, min(date), max(date), count(*) FROM daily_ohlc
           WHERE symbol = ANY($1::varchar[]) GROUP BY symbol""",
        list(symbols),
    )
    return {r[0]: Coverage(r[0], r[1], r[2], r[3]) for r in rows}
