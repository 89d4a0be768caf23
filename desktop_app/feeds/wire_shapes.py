"""The shape SSI sends all day for X-TRADE and X-QUOTE, decoded straight into typed fields.

WHY: trades and quotes are over 90 % of the feed. ``msgspec`` decodes their ``Content`` text
directly into the few fields the parser reads (skipping the rest of the object without building
it), where ``orjson`` builds a dict of every key first: 0.4-0.6 us less per message, measured on
a demo day. These shapes only say "the usual message": every field present, numbers as JSON
numbers, texts as strings. Anything else (a renamed or missing key, a number sent as text, a
boolean, malformed JSON) fails to decode here, and ``feeds.messages`` then parses the message
the general way, which accepts the variants and explains a rejection. So this module decides no
validity: it only offers a faster road for the common case.

Field order matters: ``feeds.messages`` unpacks ``msgspec.structs.astuple`` of a decoded value,
and reads its dict-based fast paths with the same field names, in the same order.
"""

from __future__ import annotations

import msgspec

__all__ = ["QUOTE_WIRE", "TRADE_WIRE", "WIRE_ERRORS", "QuoteWire", "TradeWire"]


class TradeWire(msgspec.Struct):
    """An X-TRADE ``Content`` as SSI sends it during the session (unread keys are skipped)."""

    Symbol: str
    TradingDate: str
    Time: str
    Exchange: str
    TradingSession: str
    LastPrice: float
    LastVol: float
    TotalVol: float
    TotalVal: float
    RefPrice: float | None
    Ceiling: float | None
    Floor: float | None
    Highest: float | None
    Lowest: float | None
    AvgPrice: float | None
    Side: str | None


class QuoteWire(msgspec.Struct):
    """An X-QUOTE ``Content`` with its top three levels a side; level 4 only tells a deeper book."""

    Symbol: str
    TradingDate: str
    Time: str
    Exchange: str
    TradingSession: str
    BidPrice1: float
    BidVol1: float
    BidPrice2: float
    BidVol2: float
    BidPrice3: float
    BidVol3: float
    BidPrice4: float
    AskPrice1: float
    AskVol1: float
    AskPrice2: float
    AskVol2: float
    AskPrice3: float
    AskVol3: float
    AskPrice4: float


TRADE_WIRE = msgspec.json.Decoder(TradeWire)
QUOTE_WIRE = msgspec.json.Decoder(QuoteWire)
WIRE_ERRORS: tuple[type[BaseException], ...] = (msgspec.MsgspecError, UnicodeError)
"""What a decode raises for a message that is not the usual shape (lone surrogates: UnicodeError)."""
