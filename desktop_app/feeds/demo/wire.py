"""The SSI hub's wire format, as the demo writes it: envelopes and 10-level books.

The envelope is what the hub sends after its first decode: ``Content`` is itself JSON text, so
the demo exercises the same parser as the live hub.
"""

from __future__ import annotations

import orjson

from desktop_app.feeds.demo.market_model import Instrument, Stock

BOOK_DEPTH = 10  # SSI sends 10 levels; HOSE fills 3

_dumps = orjson.dumps
_BID_KEYS = tuple((f"BidPrice{i}", f"BidVol{i}") for i in range(1, BOOK_DEPTH + 1))
_ASK_KEYS = tuple((f"AskPrice{i}", f"AskVol{i}") for i in range(1, BOOK_DEPTH + 1))
_EMPTY_BIDS = {k: 0.0 for pair in _BID_KEYS for k in pair}
_EMPTY_ASKS = {k: 0.0 for pair in _ASK_KEYS for k in pair}


def envelope(data_type: str, content: dict) -> str:
    """The hub's envelope after its first decode: Content is itself JSON text."""
    return _dumps({"DataType": data_type, "Content": _dumps(content).decode()}).decode()


def book_fields(content: dict, bids: list, asks: list) -> None:
    """All 10 levels per side as SSI sends them; unused levels are 0.0."""
    content.update(_EMPTY_BIDS)
    for (pk, vk), (p, v) in zip(_BID_KEYS, bids):
        content[pk] = float(p)
        content[vk] = float(v)
    content.update(_EMPTY_ASKS)
    for (pk, vk), (p, v) in zip(_ASK_KEYS, asks):
        content[pk] = float(p)
        content[vk] = float(v)


class DayStamp:
    """The current market second as SSI spells it (``TradingDate`` and ``Time`` texts)."""

    __slots__ = ("date_text", "time_text")

    def __init__(self, date_text: str) -> None:
        self.date_text = date_text
        self.time_text = ""


def trade_content(at: DayStamp, st: Instrument, price: float, volume: int, session: str, side: str | None,
                  multiplier: int, data_type: str) -> dict:
    """An X-TRADE (or the trade part of an X snapshot) after ``st``'s totals took the print."""
    futures = st.exchange == "DERIVATIVES"
    last = st.last or price
    change = last - st.ref
    return {
        "RType": "X-TRADE" if data_type == "X-TRADE" else "X",
        "TradingDate": at.date_text,
        "Time": at.time_text,
        "Isin": st.symbol,
        "Symbol": st.symbol,
        "Ceiling": st.ceiling,
        "Floor": st.floor,
        "RefPrice": st.ref,
        "AvgPrice": round(st.total_val / st.total_vol / multiplier, 2 if not futures else 1),
        "PriorVal": st.ref,
        "LastPrice": float(price),
        "LastVol": float(volume),
        "TotalVal": round(st.total_val, 1),
        "TotalVol": float(st.total_vol),
        "MarketId": st.exchange,
        "Exchange": st.exchange,
        "TradingSession": session,
        "TradingStatus": "N",
        "Change": round(change, 2),
        "RatioChange": round(change / st.ref * 100, 2),
        "EstMatchedPrice": float(price),
        "Highest": float(st.highest or price),
        "Lowest": float(st.lowest or price),
        "Side": side,
    }


def quote_content(at: DayStamp, exchange: str, symbol: str, bids: list, asks: list, session: str) -> dict:
    content = {
        "RType": "X-QUOTE",
        "TradingDate": at.date_text,
        "Time": at.time_text,
        "Exchange": exchange,
        "Symbol": symbol,
    }
    book_fields(content, bids, asks)
    content["TradingSession"] = session
    return content


def room_content(at: DayStamp, st: Stock, current_room: int) -> dict:
    """R: the foreign counters are cumulative for the day."""
    return {
        "RType": "R",
        "TradingDate": at.date_text,
        "Time": at.time_text,
        "Isin": st.symbol,
        "Symbol": st.symbol,
        "TotalRoom": float(st.total_room),
        "CurrentRoom": float(current_room),
        "BuyVol": float(st.f_buy_vol),
        "SellVol": float(st.f_sell_vol),
        "BuyVal": round(st.f_buy_val, 1),
        "SellVal": round(st.f_sell_val, 1),
        "MarketId": "HOSE",
        "Exchange": "HOSE",
    }


def bar_content(at: DayStamp, symbol: str, bar: list) -> dict:
    """B: one minute's [open, high, low, close, volume, value]."""
    return {
        "RType": "B",
        "Symbol": symbol,
        "TradingDate": at.date_text,
        "Time": at.time_text,
        "Open": float(bar[0]),
        "High": float(bar[1]),
        "Low": float(bar[2]),
        "Close": float(bar[3]),
        "Volume": float(bar[4]),
        "Value": round(bar[5], 1),
    }


def session_content(at: DayStamp, symbol: str, exchange: str, session: str) -> dict:
    """F: the session a symbol's market is in."""
    return {
        "RType": "F",
        "MarketId": exchange,
        "Exchange": exchange,
        "Symbol": symbol,
        "TradingDate": at.date_text,
        "Time": at.time_text,
        "TradingSession": session,
        "TradingStatus": "N",
    }
