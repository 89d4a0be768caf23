"""Live per-symbol and market-wide statistics for the watchlist.

The processor updates cheap mutable state on every event; the UI, which refreshes at most about
ten times a second, asks for immutable snapshots (``SymbolStats``, ``MarketStats``) and, thanks
to a monotonically increasing version, only for the symbols that changed since its last look.
Derived figures (change, %, active-buy share) are computed when a snapshot is built, not per
event, and a snapshot is cached until its symbol changes again.

The board's close is the matched close: Last, change, % and the running open/high/low come only
from matched prints (continuous session and the ATO/ATC auctions). A put-through (thỏa thuận) is
a negotiated block at any price inside the band; it is counted in its own volume and value and
never moves the price a trader reads.

The board's depth (3 levels on a row, 10 in the depth panel) is the quote's own level tuples, kept
by reference; the sparklines are one point per minute (the minute's last price, and the running
active buy − sell value at its end), so a print costs one list store, and a snapshot copies a
list of at most ``SPARK_POINTS`` references.

A new trading day keeps every symbol (watchlist rows stay) but clears its day figures and marks
it changed, so the UI simply redraws the rows it is told about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from desktop_app.domain import (
    BasisPoint,
    ClassifiedTrade,
    ForeignInvestorData,
    IndexValue,
    PriceLevel,
    Quote,
    Trade,
    TradeType,
)

_HUNDRED = Decimal(100)
_ZERO = Decimal(0)
# Module constants: an enum member read through its class costs ~0.1 us (on_trade runs per print).
_BUY = TradeType.BUY
_SELL = TradeType.SELL
_NEUTRAL = TradeType.NEUTRAL
_PUT_THROUGH = TradeType.PUT_THROUGH
SPARK_POINTS = 480  # one point per minute: a whole trading day and then some
VN30_ID = "VN30"
VNINDEX_IDS = frozenset({"VNINDEX", "VN-INDEX", "HOSTC"})  # the HOSE index under its known codes


@dataclass(frozen=True, slots=True)
class SymbolStats:
    """One watchlist row as of ``version``."""

    symbol: str
    exchange: str | None
    version: int
    last: Decimal | None
    change: Decimal | None  # last - reference
    change_pct: float | None  # percent vs reference
    ref_price: Decimal | None
    ceiling: Decimal | None
    floor: Decimal | None
    high: Decimal | None  # session high/low as the exchange reports them (else from prints seen)
    low: Decimal | None
    open: Decimal | None  # running OHLC of the prints seen today
    day_high: Decimal | None
    day_low: Decimal | None
    close: Decimal | None  # the matched close so far (= last)
    total_volume: int  # exchange cumulative TotalVol: matched prints AND put-throughs
    total_value: Decimal | None  # exchange cumulative TotalVal: matched AND put-through
    buy_volume: int  # active buy
    sell_volume: int  # active sell
    neutral_volume: int
    auction_volume: int  # ATO + ATC
    put_through_volume: int  # put-through prints seen today
    active_buy_share: float | None  # buy / (buy + sell)
    best_bid: Decimal | None
    best_ask: Decimal | None
    foreign_buy_volume: int | None
    foreign_sell_volume: int | None
    foreign_net_volume: int | None
    foreign_buy_speed_per_min: Decimal | None
    foreign_sell_speed_per_min: Decimal | None
    foreign_room_left: int | None
    last_update: datetime | None
    # Order matching only (continuous + ATO/ATC): the exchange totals less the put-throughs seen.
    # TotalVol rises with every print, put-throughs included (the processor's duplicate check
    # relies on it), so this is what DailyOhlc's Volume/Value count.
    matched_volume: int = 0
    matched_value: Decimal | None = None
    put_through_value: Decimal | None = None  # price x volume of the put-throughs seen today
    avg_price: Decimal | None = None  # X-TRADE AvgPrice: the exchange's average matched price
    bids: tuple[PriceLevel, ...] = ()  # the book, best first (X-QUOTE BidPrice/BidVol 1..10)
    asks: tuple[PriceLevel, ...] = ()
    buy_value: Decimal = _ZERO  # active buy value today (price x volume of the BUY prints)
    sell_value: Decimal = _ZERO
    delta_value: Decimal = _ZERO  # buy_value - sell_value: the day's value delta
    price_points: tuple[Decimal, ...] = ()  # each minute's last matched price, oldest first
    delta_points: tuple[Decimal, ...] = ()  # the running value delta at each minute's end (CVD)


@dataclass(frozen=True, slots=True)
class MarketStats:
    version: int
    trading_date: date | None
    vn30_value: Decimal | None
    vn30_change: Decimal | None
    vn30_change_pct: float | None
    vn30_time: datetime | None
    futures_symbol: str | None
    futures_price: Decimal | None
    basis: Decimal | None
    basis_time: datetime | None
    vn30_breadth: "Breadth | None" = None
    vnindex_value: Decimal | None = None
    vnindex_change: Decimal | None = None
    vnindex_change_pct: float | None = None
    vnindex_breadth: "Breadth | None" = None


@dataclass(frozen=True, slots=True)
class Breadth:
    """An index's advancers / decliners / unchanged / ceiling / floor counts (MI message)."""

    advances: int
    declines: int
    unchanged: int | None
    ceilings: int | None
    floors: int | None


def _breadth(index: IndexValue | None) -> Breadth | None:
    if index is None or index.advances is None or index.declines is None:
        return None  # nothing rather than a fake 0
    return Breadth(index.advances, index.declines, index.no_changes, index.ceilings, index.floors)


def _index_change(index: IndexValue | None) -> tuple[Decimal | None, float | None]:
    if index is None:
        return None, None
    change = index.change
    prior = index.prior_value
    if change is None and prior is not None:
        change = index.value - prior
    pct = None
    if index.ratio_change is not None:
        pct = float(index.ratio_change)
    elif change is not None and prior:
        pct = float(change * _HUNDRED / prior)
    return change, pct


class _SymbolState:
    """Mutable per-symbol figures; only the processor's loop writes them."""

    __slots__ = (
        "symbol", "exchange", "version", "snapshot",
        "last", "ref", "ceiling", "floor", "high", "low",
        "open", "day_high", "day_low",
        "total_volume", "total_value",
        "buy", "sell", "neutral", "auction", "put_through", "put_through_value",
        "book", "foreign", "last_update", "avg",
        "buy_value", "sell_value", "spark_minute", "prices", "deltas",
    )  # fmt: skip

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.exchange: str | None = None
        self.version = 0
        self.snapshot: SymbolStats | None = None
        self.clear_day()

    def clear_day(self) -> None:
        self.last: Decimal | None = None
        self.ref: Decimal | None = None
        self.ceiling: Decimal | None = None
        self.floor: Decimal | None = None
        self.high: Decimal | None = None
        self.low: Decimal | None = None
        self.open: Decimal | None = None
        self.day_high: Decimal | None = None
        self.day_low: Decimal | None = None
        self.total_volume = 0
        self.total_value: Decimal | None = None
        self.buy = 0
        self.sell = 0
        self.neutral = 0
        self.auction = 0
        self.put_through = 0
        self.put_through_value: Decimal | None = None
        self.book: Quote | None = None  # the latest quote: its levels are built with a snapshot
        self.avg: Decimal | None = None
        self.buy_value = _ZERO
        self.sell_value = _ZERO
        self.spark_minute = -1
        self.prices: list[Decimal] = []
        self.deltas: list[Decimal] = []  # the value delta at the end of each finished minute
        self.foreign: ForeignInvestorData | None = None
        self.last_update: datetime | None = None

    def build(self) -> SymbolStats:
        last = self.last
        ref = self.ref
        change = change_pct = None
        if last is not None and ref is not None:
            change = last - ref
            if ref:
                change_pct = float(change * _HUNDRED / ref)
        buy, sell = self.buy, self.sell
        classified = buy + sell
        f = self.foreign
        pt_value = self.put_through_value
        total_value = self.total_value
        matched_value = total_value
        if total_value is not None and pt_value is not None:
            matched_value = max(total_value - pt_value, _ZERO)
        book = self.book
        bids: tuple[PriceLevel, ...] = () if book is None else book.bids
        asks: tuple[PriceLevel, ...] = () if book is None else book.asks
        delta = self.buy_value - self.sell_value
        prices = self.prices
        return SymbolStats(
            self.symbol,
            self.exchange,
            self.version,
            last,
            change,
            change_pct,
            ref,
            self.ceiling,
            self.floor,
            self.high if self.high is not None else self.day_high,
            self.low if self.low is not None else self.day_low,
            self.open,
            self.day_high,
            self.day_low,
            last,
            self.total_volume,
            total_value,
            buy,
            sell,
            self.neutral,
            self.auction,
            self.put_through,
            buy / classified if classified else None,
            None if book is None else book.best_bid,
            None if book is None else book.best_ask,
            None if f is None else f.buy_volume,
            None if f is None else f.sell_volume,
            None if f is None else f.buy_volume - f.sell_volume,
            None if f is None else f.buy_speed_per_min,
            None if f is None else f.sell_speed_per_min,
            None if f is None else f.room_left,
            self.last_update,
            max(self.total_volume - self.put_through, 0),
            matched_value,
            pt_value,
            self.avg,
            bids,
            asks,
            self.buy_value,
            self.sell_value,
            delta,
            tuple(prices),
            (*self.deltas, delta) if prices else (),
        )


class LiveStats:
    """The watchlist's live figures. Written by the processor, read by the UI (same loop)."""

    __slots__ = (
        "_version", "_symbols", "_trading_date", "_market_version", "_market_snapshot",
        "_vn30", "_vnindex", "_futures_symbol", "_futures_price", "_basis", "_latest",
    )  # fmt: skip

    def __init__(self) -> None:
        self._version = 0
        self._symbols: dict[str, _SymbolState] = {}
        self._trading_date: date | None = None
        self._market_version = 0
        self._market_snapshot: MarketStats | None = None
        self._vn30: IndexValue | None = None
        self._vnindex: IndexValue | None = None
        self._latest: datetime | None = None
        self._futures_symbol: str | None = None
        self._futures_price: Decimal | None = None
        self._basis: BasisPoint | None = None

    # ------------------------------------------------------------------ reading (UI)
    @property
    def version(self) -> int:
        """Increases with every change to any symbol or to the market figures."""
        return self._version

    @property
    def trading_date(self) -> date | None:
        return self._trading_date

    @property
    def latest_event_time(self) -> datetime | None:
        """The market time of the newest print, quote or index value: the clock of a simulated day."""
        return self._latest

    def symbol(self, symbol: str) -> SymbolStats | None:
        state = self._symbols.get(symbol)
        return None if state is None else self._snapshot(state)

    def symbols(self) -> dict[str, SymbolStats]:
        return {sym: self._snapshot(state) for sym, state in self._symbols.items()}

    def changed_since(self, version: int) -> tuple[int, list[SymbolStats]]:
        """(current version, snapshots of the symbols changed after ``version``); pass the
        returned version next time."""
        return self._version, [
            self._snapshot(state) for state in self._symbols.values() if state.version > version
        ]

    def market(self) -> MarketStats:
        snap = self._market_snapshot
        if snap is not None and snap.version == self._market_version:
            return snap
        vn30 = self._vn30
        vnindex = self._vnindex
        basis = self._basis
        change, pct = _index_change(vn30)
        vnindex_change, vnindex_pct = _index_change(vnindex)
        snap = MarketStats(
            self._market_version,
            self._trading_date,
            None if vn30 is None else vn30.value,
            change,
            pct,
            None if vn30 is None else vn30.timestamp,
            self._futures_symbol,
            self._futures_price,
            None if basis is None else basis.basis,
            None if basis is None else basis.timestamp,
            _breadth(vn30),
            None if vnindex is None else vnindex.value,
            vnindex_change,
            vnindex_pct,
            _breadth(vnindex),
        )
        self._market_snapshot = snap
        return snap

    @staticmethod
    def _snapshot(state: _SymbolState) -> SymbolStats:
        snap = state.snapshot
        if snap is None or snap.version != state.version:
            snap = state.snapshot = state.build()
        return snap

    # ------------------------------------------------------------------ writing (processor)
    def start_day(self, trading_date: date) -> None:
        """Clear the day figures of every symbol and mark them all changed."""
        self._trading_date = trading_date
        self._version += 1
        version = self._version
        for state in self._symbols.values():
            state.clear_day()
            state.version = version
        self._vn30 = None
        self._vnindex = None
        self._futures_price = None
        self._basis = None
        self._market_version = version

    def _state(self, symbol: str) -> _SymbolState:
        state = self._symbols.get(symbol)
        if state is None:
            state = self._symbols[symbol] = _SymbolState(symbol)
        return state

    def on_trade(self, trade: Trade, classified: ClassifiedTrade) -> None:
        """Totals from every print; prices (last, open/high/low) from matched prints only."""
        state = self._symbols.get(trade.symbol)
        if state is None:
            state = self._symbols[trade.symbol] = _SymbolState(trade.symbol)
        volume = trade.volume
        state.exchange = trade.exchange
        if trade.ref_price is not None:
            state.ref = trade.ref_price
        if trade.ceiling is not None:
            state.ceiling = trade.ceiling
        if trade.floor is not None:
            state.floor = trade.floor
        state.total_volume = trade.total_volume
        state.total_value = trade.total_value
        trade_type = classified.trade_type
        if trade_type is _PUT_THROUGH:
            state.put_through += volume
            pt_value = state.put_through_value
            state.put_through_value = classified.value if pt_value is None else pt_value + classified.value
        else:
            price = trade.price
            state.last = price
            if trade.highest is not None:
                state.high = trade.highest
            if trade.lowest is not None:
                state.low = trade.lowest
            if state.open is None:
                state.open = state.day_high = state.day_low = price
            elif price > state.day_high:  # type: ignore[operator]
                state.day_high = price
            elif price < state.day_low:  # type: ignore[operator]
                state.day_low = price
            if trade.avg_price is not None:
                state.avg = trade.avg_price
            ts = trade.timestamp
            minute = ts.hour * 60 + ts.minute
            if minute == state.spark_minute:
                state.prices[-1] = price
            else:  # a new minute: the delta so far closes the previous minute's point
                prices = state.prices
                if prices:
                    state.deltas.append(state.buy_value - state.sell_value)
                prices.append(price)
                if len(prices) > SPARK_POINTS:
                    del prices[0]
                    del state.deltas[0]
                state.spark_minute = minute
            if trade_type is _BUY:
                state.buy += volume
                state.buy_value += classified.value
            elif trade_type is _SELL:
                state.sell += volume
                state.sell_value += classified.value
            elif trade_type is _NEUTRAL:
                state.neutral += volume
            else:
                state.auction += volume
        state.last_update = self._latest = trade.timestamp
        self._version += 1
        state.version = self._version

    def on_quote(self, quote: Quote) -> None:
        state = self._symbols.get(quote.symbol)
        if state is None:
            state = self._symbols[quote.symbol] = _SymbolState(quote.symbol)
        state.exchange = quote.exchange
        state.book = quote
        state.last_update = self._latest = quote.timestamp
        self._version += 1
        state.version = self._version

    def on_foreign(self, data: ForeignInvestorData) -> None:
        state = self._state(data.symbol)
        state.foreign = data
        state.last_update = data.timestamp
        self._version += 1
        state.version = self._version

    def on_index(self, index: IndexValue) -> None:
        """VN30 and VN-Index (header read-outs and breadth); other indexes are ignored."""
        key = index.index_id.upper()
        if key == VN30_ID:
            self._vn30 = index
        elif key in VNINDEX_IDS:
            self._vnindex = index
        else:
            return
        self._latest = index.timestamp
        self._version += 1
        self._market_version = self._version

    def on_futures(self, symbol: str | None, price: Decimal | None) -> None:
        """The front month (and its last price) as the basis tracker sees it."""
        if symbol == self._futures_symbol and price == self._futures_price:
            return
        self._futures_symbol = symbol
        self._futures_price = price
        self._version += 1
        self._market_version = self._version

    def on_basis(self, point: BasisPoint) -> None:
        self._basis = point
        self._futures_symbol = point.futures_symbol
        self._futures_price = point.futures_price
        self._version += 1
        self._market_version = self._version
