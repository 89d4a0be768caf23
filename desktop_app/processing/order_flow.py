"""Live order flow: per symbol and Vietnam day, CVD, VWAP, volume at price, 1-minute flow bars,
big prints and the ATO / continuous / ATC split, updated print by print.

Why incremental: a busy symbol prints thousands of times a day and the charts redraw every
second; each print only adds to a few running sums (O(1): its minute's bar, its price level, the
day's totals), and the finished figures (running CVD and VWAP per bar, POC, value area) are
built on demand by the same functions the history service uses (``desktop_app.order_flow``), so
the live panes and the history API agree bar for bar.

Feed it with ``OrderFlowBook.on_value`` as a processor subscriber (it takes the
``ClassifiedTrade`` values and ignores the rest). No Qt here: the UI polls ``book.symbol(s)``.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Sequence

from desktop_app.domain import ClassifiedTrade, TradeType
from desktop_app.market_clock import to_vietnam
from desktop_app.speedups import remember_last
from desktop_app.order_flow import (
    DEFAULT_BIG_TRADE_MIN_VALUE,
    BasketFlowBar,
    BasketValueSums,
    BigTrade,
    FlowBar,
    FlowBarSums,
    PriceLevel,
    SessionSplit,
    SymbolFlowTotals,
    VolumeProfile,
    bar_start,
    basket_bars,
    flow_bars,
    is_big_trade,
    volume_profile,
    vwap_of,
)

__all__ = ["SymbolDayFlow", "OrderFlowBook"]

_BUY, _SELL, _NEUTRAL = TradeType.BUY, TradeType.SELL, TradeType.NEUTRAL
_ATO, _ATC, _PUT_THROUGH = TradeType.ATO, TradeType.ATC, TradeType.PUT_THROUGH
_ZERO = Decimal(0)

# Slots of one minute's running bar (a list, mutated in place).
(_OPEN, _OPEN_AT, _HIGH, _LOW, _CLOSE, _CLOSE_AT, _VOLUME, _BUY_VOL, _SELL_VOL, _NEUTRAL_VOL,
 _AUCTION_VOL, _BUY_VAL, _SELL_VAL, _VALUE, _NEUTRAL_VAL) = range(15)
# Slots of one price level: volume, buy, sell, neutral, auction.
_LEVEL_SLOT = {_BUY: 1, _SELL: 2, _NEUTRAL: 3, _ATO: 4, _ATC: 4}


def _minute_and_day_plain(moment: datetime) -> tuple[datetime, date]:
    """The 1-minute bar holding ``moment`` and its Vietnam day."""
    minute = bar_start(moment, 1)  # in Vietnam time
    return minute, minute.date()


# Prints in a row share one timestamp object: the time arithmetic runs once per timestamp, not
# once per print (about 3 us a print on the Qt thread; see speedups.remember_last).
_minute_and_day = remember_last(_minute_and_day_plain)


class SymbolDayFlow:
    """One symbol's order flow over one Vietnam day."""

    __slots__ = ("symbol", "day", "big_trade_min_value", "_bars", "_levels", "_big", "cvd", "volume",
                 "value", "buy_value", "sell_value", "_split")

    def __init__(self, symbol: str, day: date, big_trade_min_value: Decimal = DEFAULT_BIG_TRADE_MIN_VALUE) -> None:
        self.symbol = symbol
        self.day = day
        self.big_trade_min_value = big_trade_min_value
        self._bars: dict[datetime, list] = {}
        self._levels: dict[Decimal, list[int]] = {}
        self._big: list[BigTrade] = []
        self.cvd = 0  # buy − sell volume so far
        self.volume = 0  # every print but put-throughs
        self.value = _ZERO  # Σ price × volume of those prints
        self.buy_value = _ZERO
        self.sell_value = _ZERO
        self._split = [0, _ZERO, 0, _ZERO, 0, _ZERO]  # ato vol/val, continuous vol/val, atc vol/val

    @property
    def vwap(self) -> Decimal | None:
        """The day's VWAP so far (2 decimals)."""
        return vwap_of(self.value, self.volume)

    def add(self, trade: ClassifiedTrade) -> datetime | None:
        """Fold one print in: O(1). Returns the 1-minute bar it went into (None: a put-through,
        which no bar counts)."""
        kind = trade.trade_type
        price = trade.price
        volume = trade.volume
        value = price * volume
        if is_big_trade(kind, value, self.big_trade_min_value):
            self._big.append(BigTrade(to_vietnam(trade.timestamp), price, volume, value, kind))
        if kind is _PUT_THROUGH:
            return None
        at = trade.timestamp
        minute = _minute_and_day(at)[0]
        bar = self._bars.get(minute)
        if bar is None:
            bar = self._bars[minute] = [price, at, price, price, price, at, 0, 0, 0, 0, 0, _ZERO, _ZERO, _ZERO, _ZERO]
        else:
            if at < bar[_OPEN_AT]:  # a tie keeps the earlier arrival as the open
                bar[_OPEN], bar[_OPEN_AT] = price, at
            if at >= bar[_CLOSE_AT]:  # a tie makes the later arrival the close
                bar[_CLOSE], bar[_CLOSE_AT] = price, at
            if price > bar[_HIGH]:
                bar[_HIGH] = price
            if price < bar[_LOW]:
                bar[_LOW] = price
        bar[_VOLUME] += volume
        bar[_VALUE] += value
        self.volume += volume
        self.value += value
        split = self._split
        if kind is _BUY:
            bar[_BUY_VOL] += volume
            bar[_BUY_VAL] += value
            self.cvd += volume
            self.buy_value += value
        elif kind is _SELL:
            bar[_SELL_VOL] += volume
            bar[_SELL_VAL] += value
            self.cvd -= volume
            self.sell_value += value
        elif kind is _NEUTRAL:
            bar[_NEUTRAL_VOL] += volume
            bar[_NEUTRAL_VAL] += value
        else:
            bar[_AUCTION_VOL] += volume
        if kind is _ATO:
            split[0] += volume
            split[1] += value
        elif kind is _ATC:
            split[4] += volume
            split[5] += value
        else:
            split[2] += volume
            split[3] += value
        level = self._levels.get(price)
        if level is None:
            level = self._levels[price] = [0, 0, 0, 0, 0]
        level[0] += volume
        level[_LEVEL_SLOT[kind]] += volume
        return minute

    # ------------------------------------------------------------------ finished figures (on demand)
    def bar_sums(self) -> list[FlowBarSums]:
        return [
            FlowBarSums(to_vietnam(minute), b[_OPEN], b[_HIGH], b[_LOW], b[_CLOSE], b[_VOLUME],
                        b[_BUY_VOL], b[_SELL_VOL], b[_NEUTRAL_VOL], b[_AUCTION_VOL], b[_BUY_VAL], b[_SELL_VAL],
                        b[_VALUE])
            for minute, b in sorted(self._bars.items())
        ]

    def bars(self) -> list[FlowBar]:
        """The day's 1-minute flow bars with running CVD and VWAP (same as the history API's)."""
        return flow_bars(self.bar_sums())

    def minute_value_sums(self, minute: datetime) -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
        """One minute's buy/sell/neutral/auction value, or None when this symbol has no bar then."""
        b = self._bars.get(minute)
        if b is None:
            return None
        return (b[_BUY_VAL], b[_SELL_VAL], b[_NEUTRAL_VAL],
                b[_VALUE] - b[_BUY_VAL] - b[_SELL_VAL] - b[_NEUTRAL_VAL])

    def minutes(self) -> Iterable[datetime]:
        """The minutes this symbol has a bar for (any order)."""
        return self._bars.keys()

    def profile(self) -> VolumeProfile:
        """Volume at price with the POC and value area."""
        return volume_profile([PriceLevel(price, *counts) for price, counts in sorted(self._levels.items())])

    def big_trades(self, min_value: Decimal | None = None) -> list[BigTrade]:
        """Big prints in time order, at ``min_value`` or above (default: the book's threshold,
        which is also the floor of what is kept)."""
        kept = sorted(self._big, key=lambda t: t.time)
        return kept if min_value is None else [t for t in kept if t.value >= min_value]

    def session_split(self) -> SessionSplit:
        return SessionSplit(*self._split)

    def totals(self) -> SymbolFlowTotals:
        """Active buy/sell/neutral value and the session split so far."""
        neutral = self._split[3] - self.buy_value - self.sell_value
        return SymbolFlowTotals(self.symbol, self.buy_value, self.sell_value, neutral, self.session_split())


def _bar_time(bar: BasketFlowBar) -> datetime:
    return bar.time


class _BasketFlowCache:
    """The last basket flow computed, and the earliest minute any print has touched since."""

    __slots__ = ("symbols", "bars", "dirty_from")

    def __init__(self, symbols: tuple[str, ...]) -> None:
        self.symbols = symbols
        self.bars: list[BasketFlowBar] = []
        self.dirty_from: datetime | None = None


class OrderFlowBook:
    """Every symbol's live order flow for the current day; a new day starts a symbol afresh.

    The basket's flow (``basket_flow``) is kept incrementally: prints arrive in time order, so only
    the minutes from the earliest one touched since the last call are summed again; summing the
    whole day over 30 members on every refresh cost ~20 ms of the Qt thread by mid-day, growing to
    the close. The result equals the sum computed from scratch (tested).
    """

    __slots__ = ("big_trade_min_value", "_symbols", "day", "_minutes", "_minute_set", "_basket")

    def __init__(self, big_trade_min_value: Decimal = DEFAULT_BIG_TRADE_MIN_VALUE) -> None:
        self.big_trade_min_value = big_trade_min_value
        self._symbols: dict[str, SymbolDayFlow] = {}
        self.day: date | None = None  # the latest trading day seen (the feed's, not the wall clock's)
        self._minutes: list[datetime] = []  # every minute any symbol has a bar for, ascending
        self._minute_set: set[datetime] = set()
        self._basket: _BasketFlowCache | None = None

    def on_value(self, value: object) -> None:
        """Processor subscriber: folds in classified trades, ignores every other value."""
        if type(value) is ClassifiedTrade:
            self.add(value)

    def add(self, trade: ClassifiedTrade) -> None:
        day = _minute_and_day(trade.timestamp)[1]
        flow = self._symbols.get(trade.symbol)
        if flow is None or flow.day != day:
            if flow is not None and day < flow.day:
                return  # a late print of a day already closed here: history holds it
            replaced = flow is not None
            flow = self._symbols[trade.symbol] = SymbolDayFlow(trade.symbol, day, self.big_trade_min_value)
            if replaced:  # that symbol's earlier day leaves the book: its minutes may go too
                self._rebuild_minutes()
            if self.day is None or day > self.day:
                self.day = day
        minute = flow.add(trade)
        if minute is None:
            return
        if minute not in self._minute_set:
            self._minute_set.add(minute)
            insort(self._minutes, minute)
        basket = self._basket
        if basket is not None and (basket.dirty_from is None or minute < basket.dirty_from):
            basket.dirty_from = minute

    def add_all(self, trades: Iterable[ClassifiedTrade]) -> None:
        for trade in trades:
            self.add(trade)

    def symbol(self, symbol: str) -> SymbolDayFlow | None:
        return self._symbols.get(symbol)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._symbols)

    def basket_flow(self, symbols: Sequence[str]) -> list[BasketFlowBar]:
        """The basket's 1-minute value flow (as ``HistoryService.basket_flow`` at interval 1)."""
        key = tuple(symbols)
        basket = self._basket
        if basket is None or basket.symbols != key:
            basket = self._basket = _BasketFlowCache(key)
            dirty_from = None  # nothing kept: every minute is summed
        elif basket.dirty_from is None:
            return list(basket.bars)
        else:
            dirty_from = basket.dirty_from
        # Bars before the earliest touched minute stand; a minute between them and it has no
        # member's bar (else it would be one of them), so the sums start at that minute.
        kept = basket.bars[:bisect_left(basket.bars, dirty_from, key=_bar_time)] if dirty_from else []
        flows = [flow for flow in (self._symbols.get(symbol) for symbol in key) if flow is not None]
        sums = []
        for minute in self._minutes[bisect_left(self._minutes, dirty_from) if dirty_from else 0:]:
            total: list[Decimal] | None = None
            for flow in flows:
                values = flow.minute_value_sums(minute)
                if values is None:
                    continue
                if total is None:
                    total = [_ZERO, _ZERO, _ZERO, _ZERO]
                total[0] += values[0]
                total[1] += values[1]
                total[2] += values[2]
                total[3] += values[3]
            if total is not None:
                sums.append(BasketValueSums(to_vietnam(minute), *total))
        basket.bars = kept + basket_bars(sums, kept[-1].cvd_value if kept else _ZERO)
        basket.dirty_from = None
        return list(basket.bars)

    def _rebuild_minutes(self) -> None:
        self._minute_set = {minute for flow in self._symbols.values() for minute in flow.minutes()}
        self._minutes = sorted(self._minute_set)
        self._basket = None
