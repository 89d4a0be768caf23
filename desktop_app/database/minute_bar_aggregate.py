"""``trade_minute_bars``: the per-minute aggregate of ``trades``, kept current as trades are written.

Why it exists: a one-year intraday chart aggregated from raw ``trades`` reads every print of every
symbol (one symbol's rows are interleaved with 29 others on disk): seconds at full size. The
aggregate holds one row per symbol-minute behind its ``(symbol, minute)`` primary key, ~70k rows
per symbol-year, so the same chart is a short index range scan.

How it stays exact (a hand-made continuous aggregate):

* the ``BatchWriter`` folds each encoded slice of trades into a ``MinuteBarBatch`` on its encoder
  thread, and upserts the merged batch (``upsert_minute_bars``) IN THE SAME TRANSACTION as the
  trades' COPY and the batch's ledger row: the ledger's exactly-once covers the bars too;
* a journal replay only has COPY bytes, so ``aggregate_copied_trades`` copies the trades payload
  once more into a temporary staging table and aggregates it in SQL (journals written before this
  table existed replay correctly as well);
* partial bars of one minute merge associatively: high/low by max/min, volumes and counts summed,
  open = the price at the earliest ``traded_at`` (a tie keeps the earlier arrival), close = the
  price at the latest (a tie takes the later arrival) — the order ``ORDER BY traded_at, id`` gives
  over raw trades, since a later batch gets later ids.

Semantics, defined once here and identical to aggregating raw trades: a print belongs to the
minute that contains its instant (``minute_floor``; a minute starts on a whole UTC minute, which
is a whole Vietnam minute too; SQL: ``MINUTE_SQL``); put-through prints are left out entirely
(``OUTSIDE_BARS``: negotiated off the order book); each volume column sums the trade types
``VOLUME_COLUMN_TYPES`` gives it (ATO/ATC: auction volume), and each has its value beside it
(``value_column``: Σ price × volume, VND, what order flow's buy/sell value and VWAP need and what
volumes alone cannot give back once prices within a minute differ). The SQL of every bar query is built
from these (``volume_columns_sql``, ``IN_BARS_SQL``), and the tests check that Python and SQL agree.

Trades written by other means than the writer (a bulk import, a test fixture) are folded in with
``refresh_minute_bars``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable, Sequence

import asyncpg

from desktop_app.domain import TradeType

__all__ = [
    "MinuteBarBatch", "MINUTE_BAR_COLUMNS", "upsert_minute_bars", "aggregate_copied_trades",
    "refresh_minute_bars", "minute_floor", "aggregate_select_sql", "VOLUME_COLUMN_TYPES", "OUTSIDE_BARS",
    "MINUTE_SQL", "BUCKET_ORIGIN_SQL", "IN_BARS_SQL", "volume_columns_sql", "value_columns_sql", "value_column",
]

MINUTE_BAR_COLUMNS: tuple[str, ...] = (
    "symbol", "minute", "open", "high", "low", "close", "volume", "buy_volume", "sell_volume",
    "neutral_volume", "auction_volume", "trades", "first_at", "last_at",
    "buy_value", "sell_value", "neutral_value", "auction_value",
)

VOLUME_COLUMN_TYPES: dict[str, tuple[TradeType, ...]] = {
    "buy_volume": (TradeType.BUY,),
    "sell_volume": (TradeType.SELL,),
    "neutral_volume": (TradeType.NEUTRAL,),
    "auction_volume": (TradeType.ATO, TradeType.ATC),
}
"""Which trade types each volume column of a bar sums (``volume`` sums them all)."""
OUTSIDE_BARS: tuple[TradeType, ...] = (TradeType.PUT_THROUGH,)
"""Trade types left out of minute bars altogether."""


def value_column(volume_column: str) -> str:
    """The value (VND) column beside a volume-by-type column: ``buy_volume`` -> ``buy_value``."""
    return volume_column.removesuffix("_volume") + "_value"


# Slots of one bar (a list, mutated in place while folding).
(_OPEN, _HIGH, _LOW, _CLOSE, _VOLUME, _BUY, _SELL, _NEUTRAL, _AUCTION, _TRADES, _FIRST, _LAST,
 _BUY_VALUE, _SELL_VALUE, _NEUTRAL_VALUE, _AUCTION_VALUE) = range(16)
_VALUE_OF = _BUY_VALUE - _BUY  # a volume slot + this = the same trade type's value slot
_OUTSIDE = -1  # the "slot" of a print left out of the bars
assert MINUTE_BAR_COLUMNS[_BUY + 2:_AUCTION + 3] == tuple(VOLUME_COLUMN_TYPES)
assert MINUTE_BAR_COLUMNS[_BUY_VALUE + 2:] == tuple(value_column(c) for c in VOLUME_COLUMN_TYPES)
# Volume slot by trade type value (plain strings), and by TradeType member identity: an Enum's
# hash is a Python-level call, too slow per print, while ``id`` is not.
_SLOT_OF_VALUE: dict[str, int] = {
    **{t.value: _BUY + i for i, types in enumerate(VOLUME_COLUMN_TYPES.values()) for t in types},
    **{t.value: _OUTSIDE for t in OUTSIDE_BARS},
}
_SLOT_OF_MEMBER: dict[int, int] = {id(TradeType(value)): slot for value, slot in _SLOT_OF_VALUE.items()}

_NO_TIME = object()
_ZERO = Decimal(0)
_MINUTE = timedelta(minutes=1)
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def minute_floor(value: datetime) -> datetime:
    """The start of ``value``'s minute (same instant rules as the SQL ``date_bin('1 minute', …)``)."""
    return value - (value - _EPOCH) % _MINUTE


class MinuteBarBatch:
    """Minute bars of some trades, keyed by (symbol, minute start); merged in arrival order.

    Built on the writer's encoder thread (plain Python, no I/O); one instance is used by one
    thread at a time.
    """

    __slots__ = ("bars",)

    def __init__(self) -> None:
        self.bars: dict[tuple[str, datetime], list[Any]] = {}

    def __len__(self) -> int:
        return len(self.bars)

    def add_trades(self, trades: Iterable[Any]) -> None:
        """Fold ``ClassifiedTrade``-like objects (in arrival order) into the bars.

        A row the database would refuse anyway (no price, volume or time) is skipped here: the
        batch's COPY fails on it and the whole transaction, these bars included, is rolled back.
        Written for speed (~0.4 µs a print): consecutive prints mostly share their time, so the
        minute is recomputed only when the time changes."""
        bars = self.bars
        slot_of_member = _SLOT_OF_MEMBER.get
        slot_of_value = _SLOT_OF_VALUE.get
        last_at: Any = _NO_TIME
        minute: Any = None
        # The bars of ``minute`` by symbol (the same lists as in ``bars``): a lookup by a string
        # instead of building and hashing a (symbol, minute) key per print.
        of_minute: dict[str, list[Any]] = {}
        for t in trades:
            kind = t.trade_type
            slot = slot_of_member(id(kind))
            if slot is None:  # a plain string, or a type no volume column sums
                slot = slot_of_value(kind) if type(kind) is str else None
            if slot == _OUTSIDE:
                continue
            at = t.timestamp
            if at is not last_at:
                if at is None:
                    continue
                if at != last_at:
                    start = at.replace(second=0, microsecond=0)
                    if start.utcoffset().seconds % 60:  # an offset that is not whole minutes
                        start = minute_floor(at)
                    if start != minute:
                        minute = start
                        of_minute = {}
                last_at = at
            price = t.price
            volume = t.volume
            if price is None or volume is None:
                continue
            symbol = t.symbol
            bar = of_minute.get(symbol)
            if bar is None:
                key = (symbol, minute)
                bar = bars.get(key)
                if bar is not None:
                    of_minute[symbol] = bar
            if bar is None:
                bars[key] = of_minute[symbol] = bar = [price, price, price, price, volume, 0, 0, 0, 0, 1, at, at,
                                                      _ZERO, _ZERO, _ZERO, _ZERO]
            else:
                if at < bar[_FIRST]:
                    bar[_OPEN] = price
                    bar[_FIRST] = at
                if at >= bar[_LAST]:
                    bar[_CLOSE] = price
                    bar[_LAST] = at
                if price > bar[_HIGH]:
                    bar[_HIGH] = price
                elif price < bar[_LOW]:
                    bar[_LOW] = price
                bar[_VOLUME] += volume
                bar[_TRADES] += 1
            if slot is not None:
                bar[slot] += volume
                bar[slot + _VALUE_OF] += price * volume

    def merge(self, later: "MinuteBarBatch") -> None:
        """Fold ``later`` (bars of trades that arrived after this batch's) into this batch."""
        bars = self.bars
        for key, new in later.bars.items():
            bar = bars.get(key)
            if bar is None:
                bars[key] = list(new)
                continue
            _merge_bar(bar, new)

    def columns(self) -> tuple[list[Any], ...]:
        """One list per ``MINUTE_BAR_COLUMNS`` entry, rows sorted by (symbol, minute): concurrent
        writers then lock the same rows in the same order (no deadlock between them)."""
        keys = sorted(self.bars)
        rows = [self.bars[k] for k in keys]
        return (
            [k[0] for k in keys], [k[1] for k in keys],
            *([r[i] for r in rows] for i in range(_OPEN, _AUCTION_VALUE + 1)),
        )


def _merge_bar(bar: list[Any], new: Sequence[Any]) -> None:
    if new[_FIRST] < bar[_FIRST]:
        bar[_OPEN] = new[_OPEN]
        bar[_FIRST] = new[_FIRST]
    if new[_LAST] >= bar[_LAST]:
        bar[_CLOSE] = new[_CLOSE]
        bar[_LAST] = new[_LAST]
    if new[_HIGH] > bar[_HIGH]:
        bar[_HIGH] = new[_HIGH]
    if new[_LOW] < bar[_LOW]:
        bar[_LOW] = new[_LOW]
    for i in (_VOLUME, _BUY, _SELL, _NEUTRAL, _AUCTION, _TRADES, _BUY_VALUE, _SELL_VALUE, _NEUTRAL_VALUE,
              _AUCTION_VALUE):
        bar[i] += new[i]


# --------------------------------------------------------------------------- SQL

_INSERT = f"INSERT INTO trade_minute_bars AS b ({', '.join(MINUTE_BAR_COLUMNS)})"

# The same merge as ``_merge_bar``: the stored row is the earlier part, EXCLUDED the later one.
_MERGE = """
ON CONFLICT (symbol, minute) DO UPDATE SET
    open = CASE WHEN EXCLUDED.first_at < b.first_at THEN EXCLUDED.open ELSE b.open END,
    high = GREATEST(b.high, EXCLUDED.high),
    low = LEAST(b.low, EXCLUDED.low),
    close = CASE WHEN EXCLUDED.last_at >= b.last_at THEN EXCLUDED.close ELSE b.close END,
    volume = b.volume + EXCLUDED.volume,
    buy_volume = b.buy_volume + EXCLUDED.buy_volume,
    sell_volume = b.sell_volume + EXCLUDED.sell_volume,
    neutral_volume = b.neutral_volume + EXCLUDED.neutral_volume,
    auction_volume = b.auction_volume + EXCLUDED.auction_volume,
    trades = b.trades + EXCLUDED.trades,
    first_at = LEAST(b.first_at, EXCLUDED.first_at),
    last_at = GREATEST(b.last_at, EXCLUDED.last_at),
    buy_value = b.buy_value + EXCLUDED.buy_value,
    sell_value = b.sell_value + EXCLUDED.sell_value,
    neutral_value = b.neutral_value + EXCLUDED.neutral_value,
    auction_value = b.auction_value + EXCLUDED.auction_value
"""

# Prices and values travel as text (``str(Decimal)``, exact; the columns' scale applies on input):
# asyncpg's binary Decimal encoder costs ~1.5 us a value on the loop, 10x the text path.
_UPSERT = _INSERT + """
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[]::numeric[], $4::text[]::numeric[],
                     $5::text[]::numeric[], $6::text[]::numeric[], $7::int8[], $8::int8[], $9::int8[],
                     $10::int8[], $11::int8[], $12::int4[], $13::timestamptz[], $14::timestamptz[],
                     $15::text[]::numeric[], $16::text[]::numeric[], $17::text[]::numeric[],
                     $18::text[]::numeric[])
""" + _MERGE
_NUMERIC_COLUMNS = frozenset(i for i, name in enumerate(MINUTE_BAR_COLUMNS)
                             if name in ("open", "high", "low", "close") or name.endswith("_value"))

MINUTE_SQL = "date_bin('1 minute', traded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
"""``minute_floor`` in SQL."""
BUCKET_ORIGIN_SQL = "TIMESTAMPTZ '2000-01-03 00:00:00+07'"
"""Where wider buckets (5 minutes, 1 hour, ...) start counting: a Vietnam midnight (a Monday)."""
IN_BARS_SQL = "trade_type NOT IN (" + ", ".join(f"'{t.value}'" for t in OUTSIDE_BARS) + ")"
"""``OUTSIDE_BARS`` in SQL: the prints that minute bars count."""


def volume_columns_sql(indent: str = "           ") -> str:
    """``volume`` and the ``VOLUME_COLUMN_TYPES`` sums as SELECT items over rows shaped like ``trades``."""
    items = ["sum(volume)::bigint AS volume"] + [
        f"coalesce(sum(volume) FILTER (WHERE trade_type IN ({', '.join(repr(t.value) for t in types)})), 0)"
        f"::bigint AS {column}"
        for column, types in VOLUME_COLUMN_TYPES.items()
    ]
    return f",\n{indent}".join(items)


def value_columns_sql(indent: str = "           ") -> str:
    """The value (Σ price × volume) beside each ``VOLUME_COLUMN_TYPES`` sum, as SELECT items."""
    return f",\n{indent}".join(
        f"coalesce(sum(price * volume) FILTER (WHERE trade_type IN ({', '.join(repr(t.value) for t in types)})), 0)"
        f" AS {value_column(column)}"
        for column, types in VOLUME_COLUMN_TYPES.items()
    )


def aggregate_select_sql(source: str, tiebreak: str, where: str = "TRUE", order_by: str = "symbol, minute") -> str:
    """SELECT of minute bars (``MINUTE_BAR_COLUMNS`` order) over rows of ``source`` shaped like
    ``trades``; ``tiebreak`` orders prints of the same microsecond (``id``, or ``ctid`` in
    arrival order for a freshly filled staging table). Open/close come from one ordered array."""
    return f"""
SELECT symbol, minute, prices[1], high, low, prices[cardinality(prices)], volume, buy_volume,
       sell_volume, neutral_volume, auction_volume, trades, first_at, last_at, buy_value, sell_value,
       neutral_value, auction_value
FROM (
    SELECT symbol, {MINUTE_SQL} AS minute,
           array_agg(price ORDER BY traded_at, {tiebreak}) AS prices,
           max(price) AS high, min(price) AS low,
           {volume_columns_sql()},
           count(*)::int AS trades, min(traded_at) AS first_at, max(traded_at) AS last_at,
           {value_columns_sql()}
    FROM {source}
    WHERE {IN_BARS_SQL} AND ({where})
    GROUP BY 1, 2
) AS m
ORDER BY {order_by}
"""


async def upsert_minute_bars(conn: asyncpg.Connection, batch: MinuteBarBatch) -> None:
    """Fold a batch's bars into ``trade_minute_bars`` (call inside the batch's transaction)."""
    if batch.bars:
        columns = batch.columns()
        await conn.execute(_UPSERT, *(list(map(str, c)) if i in _NUMERIC_COLUMNS else c
                                      for i, c in enumerate(columns)))


_STAGING = "minute_bar_replay_trades"


async def aggregate_copied_trades(conn: asyncpg.Connection, copy_payload: bytes | memoryview,
                                  columns: Sequence[str]) -> None:
    """Fold a binary COPY payload of trades (a journal record's) into ``trade_minute_bars``.

    Call inside the transaction that COPYs the same payload into ``trades``: the payload is
    copied into a temporary staging table dropped at COMMIT and aggregated there."""
    await conn.execute(
        f"CREATE TEMPORARY TABLE {_STAGING} ON COMMIT DROP AS "
        f"SELECT {', '.join(columns)} FROM trades WITH NO DATA"
    )
    # bytes would be taken for a file name by asyncpg: hand it a memoryview
    await conn.copy_to_table(_STAGING, source=memoryview(copy_payload), columns=list(columns), format="binary")
    await conn.execute(_INSERT + aggregate_select_sql(_STAGING, "ctid") + _MERGE)
    await conn.execute(f"DROP TABLE {_STAGING}")  # a second payload in the same transaction


async def refresh_minute_bars(
    executor: asyncpg.Pool | asyncpg.Connection,
    *,
    symbols: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Recompute the bars of ``[start, end)`` (whole minutes around it; unbounded when None) for
    ``symbols`` (all when None) from ``trades``; returns the number of bars now in that range.

    For trades that did not come through the ``BatchWriter``. Run it while nothing writes trades
    of that range (a concurrent flush would be counted twice or not at all)."""
    for value in (start, end):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError(f"time bounds must be timezone-aware, got naive {value.isoformat()}")
    low = minute_floor(start) if start is not None else None
    high = minute_floor(end - timedelta(microseconds=1)) + _MINUTE if end is not None else None
    args: list[Any] = [list(symbols) if symbols is not None else None, low, high]
    bar_where = ("($1::text[] IS NULL OR symbol = ANY($1::text[])) AND ($2::timestamptz IS NULL OR minute >= $2)"
                 " AND ($3::timestamptz IS NULL OR minute < $3)")
    trade_where = ("($1::text[] IS NULL OR symbol = ANY($1::text[])) AND ($2::timestamptz IS NULL OR traded_at >= $2)"
                   " AND ($3::timestamptz IS NULL OR traded_at < $3)")
    if isinstance(executor, asyncpg.Pool):
        async with executor.acquire() as conn:
            return await _refresh(conn, bar_where, trade_where, args)
    return await _refresh(executor, bar_where, trade_where, args)


async def _refresh(conn: asyncpg.Connection, bar_where: str, trade_where: str, args: list[Any]) -> int:
    async with conn.transaction():
        await conn.execute(f"DELETE FROM trade_minute_bars WHERE {bar_where}", *args)
        status = await conn.execute(_INSERT + aggregate_select_sql("trades", "id", trade_where) + _MERGE, *args)
    return int(status.rsplit(" ", 1)[-1])
