"""Trade history: one symbol-day, paged ranges, minute bars, numpy columns.

Queries over raw prints use ``idx_trades_symbol_time (symbol, traded_at DESC)``; minute bars come
from the ``trade_minute_bars`` aggregate (primary key ``(symbol, minute)``), which the batch writer
keeps current: a year of one symbol is ~70k rows there instead of every print of every symbol.
Times come back in Vietnam time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from desktop_app.database.repositories import Executor
from desktop_app.database.repositories.query_bounds import (
    in_vietnam_time,
    require_aware,
    require_page,
    vietnam_day_bounds,
)
from desktop_app.database.schema import TRADE_COPY_COLUMNS
from desktop_app.domain import ClassifiedTrade, TradeType

__all__ = [
    "TRADE_COPY_COLUMNS", "TRADE_TYPE_CODES", "MinuteBars", "TradeColumns",
    "trades_for_day", "trades_between", "minute_bars", "trade_columns_for_day",
]

ONE_MINUTE = timedelta(minutes=1)

TRADE_TYPE_CODES: dict[TradeType, int] = {t: i for i, t in enumerate(TradeType)}
"""Small integer per trade type in ``TradeColumns.trade_type`` (buy 0, sell 1, neutral 2, ato 3,
atc 4, put_through 5); -1 for a type this version does not know."""

_SELECT = """
SELECT symbol, price, volume, value, trade_type, bid_price, ask_price, traded_at
FROM trades
WHERE symbol = $1 AND traded_at >= $2 AND traded_at < $3
ORDER BY traded_at, id
"""

_TYPE_CODE_SQL = "CASE trade_type " + " ".join(
    f"WHEN '{t.value}' THEN {code}" for t, code in TRADE_TYPE_CODES.items()
) + " ELSE -1 END"

_COLUMNS = f"""
SELECT extract(epoch FROM traded_at)::float8, price::float8, volume, {_TYPE_CODE_SQL}
FROM trades
WHERE symbol = $1 AND traded_at >= $2 AND traded_at < $3
ORDER BY traded_at, id
"""

# Minute bars from the aggregate (put-through prints left out, ATO/ATC as auction volume: see
# ``minute_bar_aggregate``). One minute: the stored rows as they are. Wider buckets (aligned on
# Vietnam midnight) re-aggregate the minute rows: open/close are the first/last minute's, taken from
# arrays ordered by minute (both aggregates share one ORDER BY, so PostgreSQL sorts once).
_MINUTE_BARS = """
SELECT extract(epoch FROM minute)::bigint, open::float8, high::float8, low::float8, close::float8,
       volume, buy_volume, sell_volume, neutral_volume, auction_volume
FROM trade_minute_bars
WHERE symbol = $1 AND minute >= $2 AND minute < $3
ORDER BY minute
"""

_BUCKET_BARS = """
SELECT extract(epoch FROM bucket)::bigint, opens[1]::float8, high::float8, low::float8,
       closes[cardinality(closes)]::float8,
       volume, buy_volume, sell_volume, neutral_volume, auction_volume
FROM (
    SELECT date_bin($4::interval, minute, TIMESTAMPTZ '2000-01-03 00:00:00+07') AS bucket,
           array_agg(open ORDER BY minute) AS opens,
           array_agg(close ORDER BY minute) AS closes,
           max(high) AS high,
           min(low) AS low,
           sum(volume)::bigint AS volume,
           sum(buy_volume)::bigint AS buy_volume,
           sum(sell_volume)::bigint AS sell_volume,
           sum(neutral_volume)::bigint AS neutral_volume,
           sum(auction_volume)::bigint AS auction_volume
    FROM trade_minute_bars
    WHERE symbol = $1 AND minute >= $2 AND minute < $3
    GROUP BY 1
) AS bars
ORDER BY bucket
"""

# The same bars straight from raw trades (the aggregate's definition; used to check it). Open/close
# come from ONE ordered array per bucket (first and last element): a single sort of the input serves
# both, and ties on the same microsecond resolve by id (arrival order).
_MINUTE_BARS_FROM_TRADES = """
SELECT extract(epoch FROM bucket)::bigint, prices[1]::float8, high::float8, low::float8,
       prices[cardinality(prices)]::float8,
       volume, buy_volume, sell_volume, neutral_volume, auction_volume
FROM (
    SELECT date_bin($4::interval, traded_at, TIMESTAMPTZ '2000-01-03 00:00:00+07') AS bucket,
           array_agg(price ORDER BY traded_at, id) AS prices,
           max(price) AS high,
           min(price) AS low,
           sum(volume)::bigint AS volume,
           coalesce(sum(volume) FILTER (WHERE trade_type = 'buy'), 0)::bigint AS buy_volume,
           coalesce(sum(volume) FILTER (WHERE trade_type = 'sell'), 0)::bigint AS sell_volume,
           coalesce(sum(volume) FILTER (WHERE trade_type = 'neutral'), 0)::bigint AS neutral_volume,
           coalesce(sum(volume) FILTER (WHERE trade_type IN ('ato', 'atc')), 0)::bigint AS auction_volume
    FROM trades
    WHERE symbol = $1 AND traded_at >= $2 AND traded_at < $3 AND trade_type <> 'put_through'
    GROUP BY 1
) AS bars
ORDER BY bucket
"""


@dataclass(frozen=True, slots=True, eq=False)
class TradeColumns:
    """One symbol's prints as arrays for charts (same length, time order)."""

    epoch_s: np.ndarray  # float64 seconds since 1970 (UTC instant)
    price: np.ndarray  # float64
    volume: np.ndarray  # int64
    trade_type: np.ndarray  # int8, TRADE_TYPE_CODES

    def __len__(self) -> int:
        return len(self.epoch_s)


@dataclass(frozen=True, slots=True, eq=False)
class MinuteBars:
    """Minute OHLC + volume split by classification, as arrays (one entry per minute with trades)."""

    minute_epoch_s: np.ndarray  # int64, start of the minute/bucket (UTC instant)
    open: np.ndarray  # float64
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray  # int64: all but put-through
    buy_volume: np.ndarray
    sell_volume: np.ndarray
    neutral_volume: np.ndarray
    auction_volume: np.ndarray  # ATO + ATC

    def __len__(self) -> int:
        return len(self.minute_epoch_s)


def _to_trade(row) -> ClassifiedTrade:  # type: ignore[no-untyped-def]
    return ClassifiedTrade(
        symbol=row[0], price=row[1], volume=row[2], value=row[3], trade_type=TradeType(row[4]),
        bid_price=row[5], ask_price=row[6], timestamp=in_vietnam_time(row[7]),
    )


async def trades_for_day(executor: Executor, symbol: str, day: date) -> list[ClassifiedTrade]:
    """Every print of one Vietnam trading day, oldest first."""
    start, end = vietnam_day_bounds(day)
    return [_to_trade(r) for r in await executor.fetch(_SELECT, symbol, start, end)]


async def trades_between(
    executor: Executor, symbol: str, start: datetime, end: datetime, limit: int = 1000, offset: int = 0
) -> list[ClassifiedTrade]:
    """Prints in ``[start, end)``, oldest first, one page (stable order: time, then id)."""
    require_aware(start, end)
    require_page(limit, offset)
    rows = await executor.fetch(_SELECT + " LIMIT $4 OFFSET $5", symbol, start, end, limit, offset)
    return [_to_trade(r) for r in rows]


async def count_trades_between(executor: Executor, symbol: str, start: datetime, end: datetime) -> int:
    require_aware(start, end)
    return await executor.fetchval(
        "SELECT count(*) FROM trades WHERE symbol = $1 AND traded_at >= $2 AND traded_at < $3",
        symbol, start, end,
    )


async def trade_columns_for_day(executor: Executor, symbol: str, day: date) -> TradeColumns:
    start, end = vietnam_day_bounds(day)
    rows = await executor.fetch(_COLUMNS, symbol, start, end)
    n = len(rows)
    return TradeColumns(
        epoch_s=np.fromiter((r[0] for r in rows), np.float64, n),
        price=np.fromiter((r[1] for r in rows), np.float64, n),
        volume=np.fromiter((r[2] for r in rows), np.int64, n),
        trade_type=np.fromiter((r[3] for r in rows), np.int8, n),
    )


async def minute_bars(
    executor: Executor, symbol: str, start: datetime, end: datetime, *, bucket: timedelta = ONE_MINUTE
) -> MinuteBars:
    """Bars of the minutes that start in ``[start, end)``, one per minute unless ``bucket`` (a whole
    number of minutes) says otherwise: a year of minutes is ~70k bars, a long-range chart may ask
    for 5-15 minute buckets. Bounds on whole minutes give exactly the bars of the prints in
    ``[start, end)``; a bound inside a minute includes or leaves out that whole minute."""
    require_aware(start, end)
    _require_bucket(bucket)
    if bucket == ONE_MINUTE:
        rows = await executor.fetch(_MINUTE_BARS, symbol, start, end)
    else:
        rows = await executor.fetch(_BUCKET_BARS, symbol, start, end, bucket)
    return _to_minute_bars(rows)


async def _minute_bars_from_trades(
    executor: Executor, symbol: str, start: datetime, end: datetime, *, bucket: timedelta = ONE_MINUTE
) -> MinuteBars:
    """``minute_bars`` aggregated from the raw prints (reads every print in range; for checks)."""
    require_aware(start, end)
    _require_bucket(bucket)
    return _to_minute_bars(await executor.fetch(_MINUTE_BARS_FROM_TRADES, symbol, start, end, bucket))


def _require_bucket(bucket: timedelta) -> None:
    if not ONE_MINUTE <= bucket <= timedelta(days=7) or bucket % ONE_MINUTE:
        raise ValueError(f"bucket must be a whole number of minutes, 1 minute to 7 days; got {bucket}")


def _to_minute_bars(rows: list) -> MinuteBars:  # type: ignore[type-arg]
    n = len(rows)

    def col(i: int, dtype: type) -> np.ndarray:
        return np.fromiter((r[i] for r in rows), dtype, n)

    return MinuteBars(
        minute_epoch_s=col(0, np.int64), open=col(1, np.float64), high=col(2, np.float64),
        low=col(3, np.float64), close=col(4, np.float64), volume=col(5, np.int64),
        buy_volume=col(6, np.int64), sell_volume=col(7, np.int64),
        neutral_volume=col(8, np.int64), auction_volume=col(9, np.int64),
    )
