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
from desktop_app.database.repositories.query_bounds import require_aware, require_page
from desktop_app.database.minute_bar_aggregate import BUCKET_ORIGIN_SQL, IN_BARS_SQL, volume_columns_sql
from desktop_app.database.schema import TRADE_COPY_COLUMNS
from desktop_app.domain import TRADE_TYPE_CODES, ClassifiedTrade, TradeType
from desktop_app.market_clock import day_bounds, to_vietnam

__all__ = [
    "TRADE_COPY_COLUMNS", "TRADE_TYPE_CODES", "MinuteBars", "TradeColumns",
    "trades_for_day", "trades_between", "minute_bars", "trade_columns_for_day",
]

ONE_MINUTE = timedelta(minutes=1)

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
# ``minute_bar_aggregate``). One minute: the stored rows as they are, by an index-only scan of the
# covering primary key. Wider buckets (aligned on Vietnam midnight) re-aggregate the minute rows:
# open/close are the first/last minute's, from arrays ordered by minute (one shared sort).
# Every bar query yields ten 8-byte columns (int8 epoch, four float8 prices, five int8 volumes),
# fetched as binary COPY and decoded by numpy in one step (``_decode_bars``): ~70k bars decode in
# a few ms, where asyncpg records + per-column iteration took ~150 ms.
_MINUTE_BARS = """
SELECT date_part('epoch', minute)::int8, open::float8, high::float8, low::float8, close::float8,
       volume, buy_volume, sell_volume, neutral_volume, auction_volume
FROM trade_minute_bars
WHERE symbol = $1 AND minute >= $2 AND minute < $3
ORDER BY minute
"""

_BUCKET_BARS = f"""
SELECT date_part('epoch', bucket)::int8, opens[1]::float8, high::float8, low::float8,
       closes[cardinality(closes)]::float8,
       volume, buy_volume, sell_volume, neutral_volume, auction_volume
FROM (
    SELECT date_bin($4::interval, minute, {BUCKET_ORIGIN_SQL}) AS bucket,
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
_MINUTE_BARS_FROM_TRADES = f"""
SELECT extract(epoch FROM bucket)::bigint, prices[1]::float8, high::float8, low::float8,
       prices[cardinality(prices)]::float8,
       volume, buy_volume, sell_volume, neutral_volume, auction_volume
FROM (
    SELECT date_bin($4::interval, traded_at, {BUCKET_ORIGIN_SQL}) AS bucket,
           array_agg(price ORDER BY traded_at, id) AS prices,
           max(price) AS high,
           min(price) AS low,
           {volume_columns_sql()}
    FROM trades
    WHERE symbol = $1 AND traded_at >= $2 AND traded_at < $3 AND {IN_BARS_SQL}
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
    trade_type: np.ndarray  # int8, domain.TRADE_TYPE_CODES

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
        bid_price=row[5], ask_price=row[6], timestamp=to_vietnam(row[7]),
    )


async def trades_for_day(executor: Executor, symbol: str, day: date) -> list[ClassifiedTrade]:
    """Every print of one Vietnam trading day, oldest first."""
    start, end = day_bounds(day)
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
    start, end = day_bounds(day)
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
        return await _fetch_bars(executor, _MINUTE_BARS, symbol, start, end)
    return await _fetch_bars(executor, _BUCKET_BARS, symbol, start, end, bucket)


async def _minute_bars_from_trades(
    executor: Executor, symbol: str, start: datetime, end: datetime, *, bucket: timedelta = ONE_MINUTE
) -> MinuteBars:
    """``minute_bars`` aggregated from the raw prints (reads every print in range; for checks)."""
    require_aware(start, end)
    _require_bucket(bucket)
    return await _fetch_bars(executor, _MINUTE_BARS_FROM_TRADES, symbol, start, end, bucket)


def _require_bucket(bucket: timedelta) -> None:
    if not ONE_MINUTE <= bucket <= timedelta(days=7) or bucket % ONE_MINUTE:
        raise ValueError(f"bucket must be a whole number of minutes, 1 minute to 7 days; got {bucket}")


_BAR_FIELDS = ("minute_epoch_s", "open", "high", "low", "close", "volume", "buy_volume", "sell_volume",
               "neutral_volume", "auction_volume")
_FLOAT_FIELDS = frozenset({"open", "high", "low", "close"})
# One binary COPY tuple of a bar query: int16 field count, then per field int32 length + 8 bytes.
_BAR_TUPLE = np.dtype([("fields", ">i2")] + [
    item for name in _BAR_FIELDS
    for item in ((f"{name}_len", ">i4"), (name, ">f8" if name in _FLOAT_FIELDS else ">i8"))
])
_COPY_HEADER_BYTES = 19  # signature (11) + flags (4) + header extension length (4, always 0 here)
_COPY_TRAILER_BYTES = 2


async def _fetch_bars(executor: Executor, query: str, *args: object) -> MinuteBars:
    chunks: list[bytes] = []

    async def collect(chunk: bytes) -> None:  # a file object would cost an executor hop per chunk
        chunks.append(chunk)

    await executor.copy_from_query(query, *args, output=collect, format="binary")
    return _decode_bars(memoryview(b"".join(chunks)))


def _decode_bars(data: memoryview) -> MinuteBars:
    """Binary COPY of a bar query -> arrays (every field NOT NULL and 8 bytes wide, else refused)."""
    body = data[_COPY_HEADER_BYTES : len(data) - _COPY_TRAILER_BYTES]
    if len(data) < _COPY_HEADER_BYTES + _COPY_TRAILER_BYTES or len(body) % _BAR_TUPLE.itemsize:
        raise ValueError(f"unexpected COPY stream for minute bars ({len(data)} bytes)")
    rows = np.frombuffer(body, _BAR_TUPLE)
    if len(rows) and ((rows["fields"] != len(_BAR_FIELDS)).any()
                      or any((rows[f"{name}_len"] != 8).any() for name in _BAR_FIELDS)):
        raise ValueError("minute bar query returned a NULL or a field that is not 8 bytes")
    return MinuteBars(**{
        name: rows[name].astype(np.float64 if name in _FLOAT_FIELDS else np.int64) for name in _BAR_FIELDS
    })
