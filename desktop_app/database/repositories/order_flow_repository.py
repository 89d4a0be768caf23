"""Order-flow sums over stored prints: per bar, per price, big prints, and a basket's values.

Flow bars and basket flow read the ``trade_minute_bars`` aggregate (one row per symbol-minute,
volume and value per trade type, put-throughs already left out): a basket-day is ~7k rows there
instead of ~70k prints. Wider bars re-aggregate the minutes, aligned on midnight Vietnam time;
open/close are the first/last minute's (each the first/last print by time). The volume profile
and big prints need single prices, so they read ``trades`` (one symbol-day is a short range of
``idx_trades_symbol_time``). Put-through prints are left out of every sum but the big prints;
the finishing definitions (delta, CVD, VWAP, POC, value area) are ``desktop_app.order_flow``'s.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Sequence

from desktop_app.database.repositories import Executor
from desktop_app.database.repositories.query_bounds import require_aware
from desktop_app.market_clock import to_vietnam
from desktop_app.domain import TradeType
from desktop_app.order_flow import BasketValueSums, BigTrade, FlowBarSums, PriceLevel

__all__ = ["flow_bar_sums", "basket_value_sums", "price_levels", "big_trades", "type_sums"]

_BUY, _SELL, _NEUTRAL = TradeType.BUY.value, TradeType.SELL.value, TradeType.NEUTRAL.value
_AUCTION = f"('{TradeType.ATO.value}', '{TradeType.ATC.value}')"
_PUT_THROUGH = TradeType.PUT_THROUGH.value
_BAR = "date_bin($4::interval, minute, TIMESTAMPTZ '2000-01-03 00:00:00+07')"  # a Monday, 00:00 VN

_FLOW_BARS = f"""
SELECT bar, opens[1], high, low, closes[cardinality(closes)], volume, buy_volume, sell_volume,
       neutral_volume, auction_volume, buy_value, sell_value,
       buy_value + sell_value + neutral_value + auction_value
FROM (
    SELECT {_BAR} AS bar,
           array_agg(open ORDER BY minute) AS opens,
           array_agg(close ORDER BY minute) AS closes,
           max(high) AS high, min(low) AS low,
           sum(volume)::bigint AS volume,
           sum(buy_volume)::bigint AS buy_volume,
           sum(sell_volume)::bigint AS sell_volume,
           sum(neutral_volume)::bigint AS neutral_volume,
           sum(auction_volume)::bigint AS auction_volume,
           sum(buy_value) AS buy_value,
           sum(sell_value) AS sell_value,
           sum(neutral_value) AS neutral_value,
           sum(auction_value) AS auction_value
    FROM trade_minute_bars
    WHERE symbol = $1 AND minute >= $2 AND minute < $3
    GROUP BY 1
) AS bars
ORDER BY bar
"""

_BASKET_VALUES = f"""
SELECT {_BAR} AS bar, sum(buy_value), sum(sell_value), sum(neutral_value), sum(auction_value)
FROM trade_minute_bars
WHERE symbol = ANY($1::varchar[]) AND minute >= $2 AND minute < $3
GROUP BY 1
ORDER BY 1
"""

_PRICE_LEVELS = f"""
SELECT price, sum(volume)::bigint,
       coalesce(sum(volume) FILTER (WHERE trade_type = '{_BUY}'), 0)::bigint,
       coalesce(sum(volume) FILTER (WHERE trade_type = '{_SELL}'), 0)::bigint,
       coalesce(sum(volume) FILTER (WHERE trade_type = '{_NEUTRAL}'), 0)::bigint,
       coalesce(sum(volume) FILTER (WHERE trade_type IN {_AUCTION}), 0)::bigint
FROM trades
WHERE symbol = $1 AND traded_at >= $2 AND traded_at < $3 AND trade_type <> '{_PUT_THROUGH}'
GROUP BY price
ORDER BY price
"""

_BIG_TRADES = f"""
SELECT traded_at, price, volume, price * volume, trade_type
FROM trades
WHERE symbol = $1 AND traded_at >= $2 AND traded_at < $3 AND trade_type NOT IN {_AUCTION}
  AND price * volume >= $4
ORDER BY traded_at, id
"""


_TYPE_SUMS = f"""
SELECT symbol, trade_type, sum(volume)::bigint, sum(price * volume)
FROM trades
WHERE symbol = ANY($1::varchar[]) AND traded_at >= $2 AND traded_at < $3 AND trade_type <> '{_PUT_THROUGH}'
GROUP BY 1, 2
"""


def _interval(minutes: int) -> timedelta:
    if not 1 <= minutes <= 1440 or 1440 % minutes:
        raise ValueError(f"a bar interval must divide a day into whole minutes, got {minutes}")
    return timedelta(minutes=minutes)


async def flow_bar_sums(
    executor: Executor, symbol: str, start: datetime, end: datetime, interval_minutes: int
) -> list[FlowBarSums]:
    """Per-bar sums of one symbol's prints in ``[start, end)``, bars holding prints only, in order."""
    require_aware(start, end)
    rows = await executor.fetch(_FLOW_BARS, symbol, start, end, _interval(interval_minutes))
    return [FlowBarSums(to_vietnam(r[0]), *r[1:]) for r in rows]


async def basket_value_sums(
    executor: Executor, symbols: Sequence[str], start: datetime, end: datetime, interval_minutes: int
) -> list[BasketValueSums]:
    """Per-bar values summed over ``symbols`` in ``[start, end)``, bars holding prints only."""
    require_aware(start, end)
    rows = await executor.fetch(_BASKET_VALUES, list(symbols), start, end, _interval(interval_minutes))
    return [BasketValueSums(to_vietnam(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


async def price_levels(executor: Executor, symbol: str, start: datetime, end: datetime) -> list[PriceLevel]:
    """Volume at each traded price in ``[start, end)``, ascending price."""
    require_aware(start, end)
    return [PriceLevel(*r) for r in await executor.fetch(_PRICE_LEVELS, symbol, start, end)]


async def big_trades(
    executor: Executor, symbol: str, start: datetime, end: datetime, min_value: Decimal
) -> list[BigTrade]:
    """Prints worth ``min_value`` VND or more in ``[start, end)`` (no auctions), oldest first."""
    require_aware(start, end)
    rows = await executor.fetch(_BIG_TRADES, symbol, start, end, min_value)
    return [BigTrade(to_vietnam(r[0]), r[1], r[2], r[3], TradeType(r[4])) for r in rows]


async def type_sums(
    executor: Executor, symbols: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[tuple[TradeType, int, Decimal]]]:
    """Volume and value per symbol and trade type in ``[start, end)`` (put-throughs left out): ATO
    and ATC apart, which the minute aggregate does not keep."""
    require_aware(start, end)
    out: dict[str, list[tuple[TradeType, int, Decimal]]] = {}
    for symbol, kind, volume, value in await executor.fetch(_TYPE_SUMS, list(symbols), start, end):
        out.setdefault(symbol, []).append((TradeType(kind), volume, value))
    return out
