"""Order flow: the values and the definitions, in one place for the live path and the history path.

Definitions (the history API's contract):

* **Excluded prints.** Put-through prints are negotiated, not matched: they are outside flow bars,
  VWAP, the volume profile and basket flow. They do appear in big trades.
* **Auction prints** (ATO/ATC) count in ``volume`` and ``auction_volume``, never in ``delta``;
  they are not big trades (one auction match sums many orders).
* **Bars** are aligned to the interval from midnight Vietnam time; ``open``/``close`` are the
  bar's first/last print by time (a tie on the timestamp keeps arrival order).
* ``delta`` = ``buy_volume − sell_volume``; ``cvd`` is the running sum of ``delta`` from the day's
  first bar.
* ``vwap`` is the day's running Σ(price × volume) / Σ volume up to the end of the bar, over every
  print except put-throughs, rounded to 2 decimals (half up).
* **Values** are price × volume in VND.
* ``poc`` is the price with the most volume, the lower price on a tie. The **value area** starts
  at the POC and grows by whichever neighbouring traded level has more volume (the upper one on
  a tie) until it holds ≥ 70 % of the day's volume.

The database side sums prints per bar / per price (``order_flow_repository``); the live side
sums them incrementally (``processing/order_flow.py``); both finish with the functions here, so
the running figures are computed by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

from desktop_app.domain import TradeType
from desktop_app.market_clock import to_vietnam

__all__ = [
    "FLOW_INTERVALS", "VALUE_AREA_SHARE", "DEFAULT_BIG_TRADE_MIN_VALUE", "FlowBarSums", "FlowBar",
    "PriceLevel", "VolumeProfile", "BigTrade", "BasketValueSums", "BasketFlowBar", "SessionSplit",
    "SymbolFlowTotals", "bar_start", "flow_bars", "volume_profile", "basket_bars", "vwap_of",
    "symbol_totals", "is_big_trade",
]

FLOW_INTERVALS: tuple[int, ...] = (1, 5, 15, 30, 60)
"""Bar lengths (minutes) the flow views and the API offer; each divides a day evenly."""
VALUE_AREA_SHARE = (7, 10)  # 70 %, as a fraction kept exact
DEFAULT_BIG_TRADE_MIN_VALUE = Decimal(1_000_000_000)  # 1 bn VND
_CENT = Decimal("0.01")
_ZERO = Decimal(0)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class FlowBarSums:
    """The sums of one bar's prints (put-throughs left out): what the definitions need to finish."""

    time: datetime  # bar start, Vietnam time
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int  # every print but put-throughs (auctions included)
    buy_volume: int
    sell_volume: int
    neutral_volume: int
    auction_volume: int  # ATO + ATC
    buy_value: Decimal
    sell_value: Decimal
    value: Decimal  # Σ price × volume over the bar's prints (auctions included)


@dataclass(frozen=True, slots=True)
class FlowBar:
    """One order-flow bar as the API and the charts show it."""

    time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    buy_volume: int
    sell_volume: int
    neutral_volume: int
    auction_volume: int
    buy_value: Decimal
    sell_value: Decimal
    delta: int
    cvd: int
    vwap: Decimal | None  # None only while the day's prints sum to zero volume


@dataclass(frozen=True, slots=True)
class PriceLevel:
    """Volume traded at one price over a day (put-throughs left out)."""

    price: Decimal
    volume: int
    buy_volume: int
    sell_volume: int
    neutral_volume: int
    auction_volume: int


@dataclass(frozen=True, slots=True)
class VolumeProfile:
    levels: tuple[PriceLevel, ...]  # ascending price
    poc: Decimal | None  # None: no prints
    value_area_low: Decimal | None
    value_area_high: Decimal | None


@dataclass(frozen=True, slots=True)
class BigTrade:
    time: datetime
    price: Decimal
    volume: int
    value: Decimal
    trade_type: TradeType


@dataclass(frozen=True, slots=True)
class BasketValueSums:
    """One bar's values summed over a basket's symbols (put-throughs left out)."""

    time: datetime
    buy_value: Decimal
    sell_value: Decimal
    neutral_value: Decimal
    auction_value: Decimal


@dataclass(frozen=True, slots=True)
class SessionSplit:
    """Volume and value by session: opening auction, continuous matching, closing auction
    (put-throughs left out)."""

    ato_volume: int
    ato_value: Decimal
    continuous_volume: int
    continuous_value: Decimal
    atc_volume: int
    atc_value: Decimal


@dataclass(frozen=True, slots=True)
class SymbolFlowTotals:
    """One symbol-day's active buy/sell value and session split (a row of the basket view)."""

    symbol: str
    buy_value: Decimal
    sell_value: Decimal
    neutral_value: Decimal
    split: SessionSplit

    @property
    def delta_value(self) -> Decimal:
        return self.buy_value - self.sell_value


@dataclass(frozen=True, slots=True)
class BasketFlowBar:
    time: datetime
    buy_value: Decimal
    sell_value: Decimal
    neutral_value: Decimal
    auction_value: Decimal
    delta_value: Decimal
    cvd_value: Decimal


# --------------------------------------------------------------------------- definitions


def bar_start(moment: datetime, interval_minutes: int) -> datetime:
    """The start of the bar holding ``moment``: whole intervals from midnight Vietnam time."""
    local = to_vietnam(moment)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    step = timedelta(minutes=interval_minutes)
    return midnight + ((local - midnight) // step) * step


def vwap_of(value: Decimal, volume: int) -> Decimal | None:
    """Σ(price × volume) / Σ volume to 2 decimals, half up (None for no volume)."""
    if volume <= 0:
        return None
    return (value / volume).quantize(_CENT, rounding=ROUND_HALF_UP)


def flow_bars(sums: Iterable[FlowBarSums]) -> list[FlowBar]:
    """Finish per-bar sums (in time order, one day) with delta, the running CVD and VWAP."""
    out: list[FlowBar] = []
    cvd = 0
    day_volume = 0
    day_value = _ZERO
    for s in sums:
        delta = s.buy_volume - s.sell_volume
        cvd += delta
        day_volume += s.volume
        day_value += s.value
        out.append(FlowBar(
            time=s.time, open=s.open, high=s.high, low=s.low, close=s.close, volume=s.volume,
            buy_volume=s.buy_volume, sell_volume=s.sell_volume, neutral_volume=s.neutral_volume,
            auction_volume=s.auction_volume, buy_value=s.buy_value, sell_value=s.sell_value,
            delta=delta, cvd=cvd, vwap=vwap_of(day_value, day_volume),
        ))
    return out


def volume_profile(levels: Sequence[PriceLevel]) -> VolumeProfile:
    """POC and value area of a day's price levels (given in ascending price)."""
    if not levels:
        return VolumeProfile((), None, None, None)
    volumes = [level.volume for level in levels]
    poc = max(range(len(levels)), key=lambda i: (volumes[i], -i))  # most volume, lower price on tie
    total = sum(volumes)
    share_num, share_den = VALUE_AREA_SHARE
    lo = hi = poc
    held = volumes[poc]
    while held * share_den < total * share_num:
        up = volumes[hi + 1] if hi + 1 < len(levels) else None
        down = volumes[lo - 1] if lo > 0 else None
        if up is None and down is None:
            break
        if down is None or (up is not None and up >= down):
            hi += 1
            held += volumes[hi]
        else:
            lo -= 1
            held += volumes[lo]
    return VolumeProfile(tuple(levels), levels[poc].price, levels[lo].price, levels[hi].price)


def basket_bars(sums: Iterable[BasketValueSums], cvd: Decimal = _ZERO) -> list[BasketFlowBar]:
    """Finish per-bar basket sums (time order) with the value delta and its running sum (from
    ``cvd``: the running sum before the first of them, when continuing a series)."""
    out: list[BasketFlowBar] = []
    for s in sums:
        delta = s.buy_value - s.sell_value
        cvd += delta
        out.append(BasketFlowBar(s.time, s.buy_value, s.sell_value, s.neutral_value, s.auction_value, delta, cvd))
    return out


def symbol_totals(symbol: str, sums: Iterable[tuple[TradeType, int, Decimal]]) -> SymbolFlowTotals:
    """A symbol-day's totals from its (trade type, volume, value) sums; put-throughs are ignored."""
    by_type = {kind: (volume, value) for kind, volume, value in sums}
    nothing = (0, _ZERO)
    continuous = [by_type.get(k, nothing) for k in (TradeType.BUY, TradeType.SELL, TradeType.NEUTRAL)]
    ato, atc = by_type.get(TradeType.ATO, nothing), by_type.get(TradeType.ATC, nothing)
    return SymbolFlowTotals(
        symbol, continuous[0][1], continuous[1][1], continuous[2][1],
        SessionSplit(ato[0], ato[1], sum(v for v, _ in continuous), sum((m for _, m in continuous), _ZERO),
                     atc[0], atc[1]),
    )


def is_big_trade(trade_type: TradeType, value: Decimal, min_value: Decimal) -> bool:
    """A big print: worth ``min_value`` or more and not an auction match (put-throughs count)."""
    return trade_type is not TradeType.ATO and trade_type is not TradeType.ATC and value >= min_value
