"""Active buy / active sell classification of matched prints.

Order of evidence, strongest first (docs/market-data.md, "Active buy / active sell"):

1. The session: ATO / ATC prints are single-price auction matches and PT prints are negotiated
   put-throughs, so they get their own types and are never buy/sell, whatever ``Side`` says.
2. SSI's ``Side`` (``BU`` -> buy, ``SD`` -> sell) when the exchange sent it.
3. The quote rule against the best bid/ask standing *before* the print: price >= best ask ->
   buy, price <= best bid -> sell. A crossed or locked book (bid >= ask) says nothing, so it
   falls through.
4. The tick test against the previous print: uptick -> buy, downtick -> sell. A zero tick takes
   the direction of the last price *change* (the classic Lee-Ready "zero-uptick / zero-downtick"
   rule): a run of prints at one price after an uptick is still buying pressure. With no earlier
   price change known, a zero tick is neutral.
5. Otherwise neutral.

Put-through prints never move the tick reference (they are negotiated off the book), auction
prints do (they are the market's price).
"""

from __future__ import annotations

from decimal import Decimal

from desktop_app.domain import (
    ClassifiedTrade,
    Quote,
    Side,
    Trade,
    TradeType,
    TradingSession,
)
from desktop_app.speedups import fast_constructor

_BUY = TradeType.BUY
_SELL = TradeType.SELL
_NEUTRAL = TradeType.NEUTRAL
_SESSION_TYPES: dict[TradingSession, TradeType] = {
    TradingSession.ATO: TradeType.ATO,
    TradingSession.ATC: TradeType.ATC,
    TradingSession.PUT_THROUGH: TradeType.PUT_THROUGH,
}
_SIDE_TYPES: dict[Side, TradeType] = {Side.BUY: TradeType.BUY, Side.SELL: TradeType.SELL}
_CONTINUOUS = TradingSession.CONTINUOUS
_PUT_THROUGH = TradingSession.PUT_THROUGH
_new_classified_trade = fast_constructor(ClassifiedTrade)


class _Tape:
    """What the classifier remembers about one symbol: the standing quote and the tick state."""

    __slots__ = ("bid", "ask", "last_price", "tick_direction")

    def __init__(self) -> None:
        self.bid: Decimal | None = None
        self.ask: Decimal | None = None
        self.last_price: Decimal | None = None
        self.tick_direction: TradeType | None = None  # direction of the last price change


def classify_print(
    price: Decimal,
    session: TradingSession,
    side: Side | None,
    bid: Decimal | None,
    ask: Decimal | None,
    previous_price: Decimal | None,
    previous_tick_direction: TradeType | None,
) -> TradeType:
    """The rule itself, free of state, so each path can be pinned by a test."""
    special = _SESSION_TYPES.get(session)
    if special is not None:
        return special
    if side is not None:
        return _SIDE_TYPES[side]
    if bid is not None and ask is not None and bid >= ask:
        bid = ask = None  # crossed/locked book: the quote rule cannot tell
    if ask is not None and price >= ask:
        return _BUY
    if bid is not None and price <= bid:
        return _SELL
    if previous_price is not None:
        if price > previous_price:
            return _BUY
        if price < previous_price:
            return _SELL
        if previous_tick_direction is not None:
            return previous_tick_direction
    return _NEUTRAL


class TradeClassifier:
    """Keeps the per-symbol quote and tick state and turns each new print into a ClassifiedTrade.

    The caller (the processor) filters duplicates first: every print handed here is new.
    """

    __slots__ = ("_tapes",)

    def __init__(self) -> None:
        self._tapes: dict[str, _Tape] = {}

    def reset(self) -> None:
        """A new trading day: yesterday's book and last price say nothing about today."""
        self._tapes.clear()

    def on_quote(self, quote: Quote) -> None:
        tape = self._tapes.get(quote.symbol)
        if tape is None:
            tape = self._tapes[quote.symbol] = _Tape()
        bids = quote.bid_prices
        asks = quote.ask_prices
        tape.bid = bids[0] if bids else None
        tape.ask = asks[0] if asks else None

    def classify(self, trade: Trade, session: TradingSession | None = None) -> ClassifiedTrade:
        """Classify ``trade``; ``session`` overrides the print's own (when the print said UNKNOWN)."""
        symbol = trade.symbol
        tape = self._tapes.get(symbol)
        if tape is None:
            tape = self._tapes[symbol] = _Tape()
        price = trade.price
        if session is None:
            session = trade.session
        bid = tape.bid
        ask = tape.ask
        previous = tape.last_price
        side = trade.side
        if side is not None and session is _CONTINUOUS:  # the common case on SSI's feed
            trade_type = _SIDE_TYPES[side]
        else:
            trade_type = classify_print(price, session, side, bid, ask, previous, tape.tick_direction)
        if session is not _PUT_THROUGH:
            if previous is not None and price != previous:
                tape.tick_direction = _BUY if price > previous else _SELL
            tape.last_price = price
        volume = trade.volume
        return _new_classified_trade(
            symbol, price, volume, price * volume, trade_type, bid, ask, trade.timestamp, trade.total_volume
        )
