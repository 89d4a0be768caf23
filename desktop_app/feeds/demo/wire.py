"""The SSI hub's wire format, as the demo writes it: envelopes and 10-level books.

The envelope is what the hub sends after its first decode: ``Content`` is itself JSON text, so
the demo exercises the same parser as the live hub.
"""

from __future__ import annotations

import orjson

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
