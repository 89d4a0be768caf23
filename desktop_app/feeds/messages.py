"""SSI envelope text -> domain values, with the validation that keeps bad data out of the pipeline.

Every source (live hub, demo, replay) hands us the envelope the hub sends after its first decode:
``{"DataType": "X-TRADE", "Content": "<json>"}``. ``parse_envelope`` is the single gate: it either
returns valid domain values or raises ``InvalidMessage`` with a short, stable ``kind`` that the
pipeline counts as ``rejected``. An exception the parser did not mean to raise is a bug in the
parser, not a property of the input: it surfaces as ``ParserFailure`` (the original exception
chained), which the pipeline counts under ``PARSER_FAILURE`` and logs with its traceback, so a bug
is visible and never passes as a rejection, yet never stops a live feed.

Speed matters (the pipeline must sustain >= 150k envelopes/s), hence: orjson, a dispatch table by
DataType, fast paths for X-TRADE/X-QUOTE (the bulk of the traffic: their usual shape decoded
straight into its fields by ``wire_shapes``, or one C-level ``itemgetter`` fetch from a decoded
object; header values and tick-grid prices from caches the full path filled; anything unusual falls
back to the full path, which handles renamed keys, strings, "NaN" and says what is wrong), caches
for the values that repeat all day (prices on a tick grid, date/time strings, symbols) and domain
objects built with ``speedups.fast_constructor``. The caches live in one ``speedups.ParserCaches``
object, ``PARSER_CACHES``: they hold validated values only, so a hit needs no re-check, and tests
reset or disable them to choose the path they cover (``FAST_PATHS`` are the fast paths by
DataType, for tests that compare them with the full path).

Number conventions (the real feed's quirks): numbers may arrive as JSON numbers or as strings
("28600", "663258204999.9850"); ``"NaN"``/null/absent is "unknown" for optional fields and a
rejection for required ones; a price of 0 in an optional field means "not set" (SSI sends 0.0 for
unused book levels and for highs/lows before the first print). Decimals keep the value SSI sent:
JSON floats go through their shortest repr, integral floats through ``int`` (same value).
"""

from __future__ import annotations

import math
from operator import itemgetter
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable

import orjson
from msgspec.structs import astuple

from desktop_app.domain import (
    Bar,
    ForeignRoom,
    IndexValue,
    MarketEvent,
    Quote,
    SessionStatus,
    Side,
    Trade,
    TradingSession,
)
from desktop_app.feeds.wire_shapes import QUOTE_WIRE, TRADE_WIRE, WIRE_ERRORS, QuoteWire, TradeWire
from desktop_app.market_clock import VIETNAM_TZ
from desktop_app.speedups import ParserCaches, fast_constructor

__all__ = [
    "FAST_PATHS",
    "InvalidMessage",
    "PARSER_CACHES",
    "PARSER_FAILURE",
    "ParserFailure",
    "REJECTION_KINDS",
    "MAX_ENVELOPE_BYTES",
    "SUPPORTED_DATA_TYPES",
    "parse_envelope",
]

MAX_ENVELOPE_BYTES = 64 * 1024
"""A hub broadcast is well under 4 KiB; anything over 64 KiB is garbage or an attack."""

MAX_PRICE = Decimal(10) ** 9  # VND per share / index points: nothing real comes near
MAX_VOLUME = 10**11  # shares
MAX_VALUE = Decimal(10) ** 16  # VND: a whole market day is ~10^13
MAX_SIGNED = Decimal(10) ** 12  # changes / ratios / counts that may be negative
_MAX_PRICE_F = 1e9
_MAX_VALUE_F = 1e16
_MAX_VOLUME_F = float(MAX_VOLUME)

REJECTION_KINDS = frozenset(
    {
        "oversized",  # more than MAX_ENVELOPE_BYTES
        "not_json",  # the envelope or its Content is not JSON (or not UTF-8)
        "not_envelope",  # JSON, but not {"DataType": str, "Content": str|object}
        "unknown_type",  # a DataType we do not handle
        "missing_field",  # a required field is absent, null or "NaN"
        "bad_symbol",  # empty, too long or non-alphanumeric symbol / index id
        "bad_value",  # wrong type, negative, non-finite, fractional volume, absurd magnitude
        "bad_time",  # TradingDate/Time unreadable or out of range
    }
)
PARSER_FAILURE = "parser_failure"
"""The kind the pipeline counts a ``ParserFailure`` under (deliberately not in REJECTION_KINDS)."""


_new_trade = fast_constructor(Trade)
_new_quote = fast_constructor(Quote)
_new_foreign_room = fast_constructor(ForeignRoom)
_new_index_value = fast_constructor(IndexValue)


class InvalidMessage(ValueError):
    """An envelope that must be skipped; ``kind`` is one of ``REJECTION_KINDS``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class ParserFailure(Exception):
    """The parser itself failed on an envelope (a bug): the original exception is ``__cause__``.

    Not an ``InvalidMessage``: the input may be perfectly valid. The envelope is lost, so the
    caller logs it with the traceback and counts it apart from the rejections.
    """

    def __init__(self, exc: BaseException) -> None:
        super().__init__(f"{PARSER_FAILURE}: {type(exc).__name__}: {exc}")
        self.kind = PARSER_FAILURE
        self.__cause__ = exc  # also set here: compiled code (mypyc) drops ``raise ... from exc``


# --------------------------------------------------------------------------- scalar converters

_MISSING = object()
_NAN_TEXTS = frozenset({"nan", "NaN", "NAN", "", "null", "None"})

PARSER_CACHES = ParserCaches()
"""The parser's one set of caches (see ``speedups.ParserCaches``); tests reset or disable it."""
_store = PARSER_CACHES.store
# Module-level names for the dicts (cleared in place, never replaced): one global lookup each.
_FLOAT_DEC = PARSER_CACHES.float_decimals
_STR_DEC = PARSER_CACHES.text_decimals
_PRICES = PARSER_CACHES.prices
_SYMBOLS = PARSER_CACHES.symbols
_EXCHANGES = PARSER_CACHES.exchanges
_DATES = PARSER_CACHES.dates
_STAMPS = PARSER_CACHES.stamps


def _float_dec(v: float, name: str) -> Decimal:
    d = _FLOAT_DEC.get(v)
    if d is not None:
        return d
    if not math.isfinite(v):
        raise InvalidMessage("bad_value", f"{name} is not finite")
    d = Decimal(int(v)) if v.is_integer() else Decimal(repr(v))
    _store(_FLOAT_DEC, v, d)
    return d


def _str_dec(v: str, name: str) -> Decimal | None:
    """Decimal from a numeric string; None for the "NaN"-like texts SSI uses for unknown."""
    d = _STR_DEC.get(v)
    if d is not None:
        return d
    s = v.strip()
    if s in _NAN_TEXTS:
        return None
    if len(s) > 40 or "_" in s:
        raise InvalidMessage("bad_value", f"{name} is not a number: {v[:40]!r}")
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise InvalidMessage("bad_value", f"{name} is not a number: {v[:40]!r}") from None
    if not d.is_finite():
        if d.is_nan():
            return None
        raise InvalidMessage("bad_value", f"{name} is not finite")
    _store(_STR_DEC, v, d)
    return d


def _any_dec(v: Any, name: str) -> Decimal | None:
    """Any JSON value -> Decimal, None for unknown (null / "NaN"); raises for non-numbers."""
    t = type(v)
    if t is float:
        return _float_dec(v, name)
    if t is int:
        return Decimal(v)
    if t is str:
        return _str_dec(v, name)
    if v is None:
        return None
    raise InvalidMessage("bad_value", f"{name} has type {t.__name__}")


# Valid prices by the number SSI sent (``_PRICES``): the hot path is one type check and one dict
# lookup; see ParserCaches.prices for why only repeating prices go in.


def _price_slow(v: Any, name: str, required: bool) -> Decimal | None:
    d: Decimal | None
    if type(v) is float and 0.0 < v < _MAX_PRICE_F:  # a cache miss (a price not seen yet): one step
        d = Decimal(int(v)) if v.is_integer() else Decimal(repr(v))
        _store(_PRICES, v, d)
        return d
    d = _any_dec(v, name)
    if d is None or (d == 0 and not required):
        if required:
            raise InvalidMessage("missing_field", f"{name} is unknown")
        return None
    if not 0 < d < MAX_PRICE:
        raise InvalidMessage("bad_value", f"{name} out of range: {d}")
    if type(v) is float or type(v) is int:
        _store(_PRICES, v, d)
    return d


def _price(v: Any, name: str) -> Decimal:
    """A required price: > 0 and below MAX_PRICE."""
    if type(v) is float or type(v) is int:
        d = _PRICES.get(v)
        if d is not None:
            return d
    return _price_slow(v, name, True)  # type: ignore[return-value]


def _opt_price(v: Any, name: str) -> Decimal | None:
    """An optional price: unknown or 0 -> None; negative or absurd -> rejection."""
    if type(v) is float or type(v) is int:
        d = _PRICES.get(v)
        if d is not None:
            return d
    elif v is None:
        return None
    return _price_slow(v, name, False)


def _opt_price_uncached(v: Any, name: str) -> Decimal | None:
    """``_opt_price`` for a value that rarely repeats (AvgPrice): converted, kept out of _PRICES."""
    if type(v) is float and 0.0 < v < _MAX_PRICE_F:
        return Decimal(int(v)) if v.is_integer() else Decimal(repr(v))
    return _opt_price(v, name)


def _value(v: Any, name: str) -> Decimal:
    """A required money amount (VND or points x volume): >= 0 and below MAX_VALUE."""
    if type(v) is float and 0.0 <= v < _MAX_VALUE_F:
        return Decimal(int(v)) if v.is_integer() else Decimal(repr(v))
    d = _any_dec(v, name)
    if d is None:
        raise InvalidMessage("missing_field", f"{name} is unknown")
    if not 0 <= d < MAX_VALUE:
        raise InvalidMessage("bad_value", f"{name} out of range: {d}")
    return d


def _opt_value(v: Any, name: str) -> Decimal | None:
    if v is None:
        return None
    d = _any_dec(v, name)
    if d is None:
        return None
    if not 0 <= d < MAX_VALUE:
        raise InvalidMessage("bad_value", f"{name} out of range: {d}")
    return d


def _opt_signed(v: Any, name: str) -> Decimal | None:
    """Changes and ratios: may be negative; unknown -> None."""
    if v is None:
        return None
    d = _any_dec(v, name)
    if d is None:
        return None
    if not -MAX_SIGNED < d < MAX_SIGNED:
        raise InvalidMessage("bad_value", f"{name} out of range: {d}")
    return d


def _volume(v: Any, name: str) -> int:
    """A required share count: integral, 0 <= v <= MAX_VOLUME ("100.0" and 100.0 are fine)."""
    t = type(v)
    if t is float:
        if not (0.0 <= v <= MAX_VOLUME and v.is_integer()):
            raise InvalidMessage("bad_value", f"{name} is not a share count: {v!r}")
        return int(v)
    if t is int:
        if not 0 <= v <= MAX_VOLUME:
            raise InvalidMessage("bad_value", f"{name} out of range: {v}")
        return v
    d = _any_dec(v, name)
    if d is None:
        raise InvalidMessage("missing_field", f"{name} is unknown")
    if not (0 <= d <= MAX_VOLUME and d == d.to_integral_value()):
        raise InvalidMessage("bad_value", f"{name} is not a share count: {d}")
    return int(d)


def _opt_volume(v: Any, name: str) -> int | None:
    if v is None:
        return None
    if type(v) is str and v.strip() in _NAN_TEXTS:
        return None
    return _volume(v, name)


def _symbol(v: Any, name: str = "Symbol") -> str:
    s = _SYMBOLS.get(v) if type(v) is str else None
    if s is not None:
        return s
    s = _check_symbol(v, name)
    _store(_SYMBOLS, v, s, 10_000)
    return s


def _check_symbol(v: Any, name: str) -> str:
    if type(v) is not str:
        if v is None:
            raise InvalidMessage("missing_field", f"{name} is missing")
        raise InvalidMessage("bad_symbol", f"{name} has type {type(v).__name__}")
    if 0 < len(v) <= 20 and v.isascii() and v.isalnum():
        return v
    s = v.strip()
    if not s:
        raise InvalidMessage("missing_field", f"{name} is empty")
    if not (len(s) <= 20 and s.isascii() and s.isalnum()):
        raise InvalidMessage("bad_symbol", f"{name} is not a ticker: {v[:30]!r}")
    return s


def _exchange(c: dict[str, Any]) -> str:
    v = c.get("Exchange") or c.get("MarketId")
    if v is None:
        raise InvalidMessage("missing_field", "Exchange/MarketId is missing")
    e = _EXCHANGES.get(v) if type(v) is str else None
    if e is not None:
        return e
    if type(v) is not str or not (0 < len(v) <= 20 and v.isascii() and v.isalnum()):
        raise InvalidMessage("bad_value", f"Exchange is not a market code: {str(v)[:30]!r}")
    e = v.upper()
    if e in ("DER", "FU", "DERIVATIVE"):
        e = "DERIVATIVES"
    _store(_EXCHANGES, v, e, 1000)
    return e


_SESSIONS: dict[Any, TradingSession] = {s.value: s for s in TradingSession}
_SESSIONS.update(
    {
        "CONTINUOUS": TradingSession.CONTINUOUS,
        "PUT_THROUGH": TradingSession.PUT_THROUGH,
        "CLOSE": TradingSession.CLOSED,
        "CLOSED": TradingSession.CLOSED,
        "LUNCH": TradingSession.BREAK,
        "H": TradingSession.HALT,
    }
)


def _session(v: Any) -> TradingSession:
    s = _SESSIONS.get(v) if type(v) is str else None
    if s is not None:
        return s
    if type(v) is str:
        return _SESSIONS.get(v.strip().upper(), TradingSession.UNKNOWN)
    return TradingSession.UNKNOWN


_SIDES = {"BU": Side.BUY, "SD": Side.SELL, "bu": Side.BUY, "sd": Side.SELL}


_STATUSES = {"N": "N", "Normal": "N", "NORMAL": "N", "normal": "N"}


def _status(v: Any) -> str | None:
    """``TradingStatus``: "N" and "Normal" both mean normal trading; others kept as sent."""
    if v is None:
        return None
    if type(v) is not str:
        raise InvalidMessage("bad_value", f"TradingStatus has type {type(v).__name__}")
    s = _STATUSES.get(v)
    if s is not None:
        return s
    s = v.strip()
    return s[:20] if s and s not in _NAN_TEXTS else None


# --------------------------------------------------------------------------- dates and times

def _parse_date(text: str) -> date:
    d = _DATES.get(text)
    if d is not None:
        return d
    s = text.strip()
    try:
        if len(s) == 10 and s[2] == "/" and s[5] == "/":  # dd/mm/yyyy (SSI)
            d = date(int(s[6:10]), int(s[3:5]), int(s[0:2]))
        elif len(s) == 10 and s[4] == "-" and s[7] == "-":  # yyyy-mm-dd (defensive)
            d = date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
        else:
            raise ValueError(s)
    except ValueError:
        raise InvalidMessage("bad_time", f"TradingDate is not dd/mm/yyyy: {text[:30]!r}") from None
    if not 2000 <= d.year <= 2100:
        raise InvalidMessage("bad_time", f"TradingDate out of range: {text!r}")
    _store(_DATES, text, d, 10_000)
    return d


def _parse_stamp(dtext: Any, ttext: Any) -> tuple[date, datetime]:
    """(TradingDate, Time) Vietnam wall clock -> (date, aware datetime in VIETNAM_TZ)."""
    if type(dtext) is not str or type(ttext) is not str:
        if dtext is None or ttext is None or dtext is _MISSING or ttext is _MISSING:
            raise InvalidMessage("missing_field", "TradingDate/Time is missing")
        raise InvalidMessage("bad_time", "TradingDate/Time is not text")
    times = _STAMPS.get(dtext)
    if times is not None:
        cached = times.get(ttext)
        if cached is not None:
            return cached
    d = _parse_date(dtext)
    t = ttext.strip()
    try:
        if len(t) < 8 or t[2] != ":" or t[5] != ":" or not (t[0:2] + t[3:5] + t[6:8]).isdigit():
            raise ValueError(t)
        micro = 0
        if len(t) > 8:  # HH:MM:SS.fff
            frac = t[9:]
            if t[8] != "." or not (0 < len(frac) <= 6 and frac.isdigit()):
                raise ValueError(t)
            micro = int(frac.ljust(6, "0"))
        stamp = datetime(d.year, d.month, d.day, int(t[0:2]), int(t[3:5]), int(t[6:8]), micro, VIETNAM_TZ)
    except ValueError:
        raise InvalidMessage("bad_time", f"Time is not HH:MM:SS: {ttext[:30]!r}") from None
    if times is None:
        if not PARSER_CACHES.enabled:
            return d, stamp
        times = {}
        _store(_STAMPS, dtext, times, 64)  # one entry per trading day seen
    _store(times, ttext, (d, stamp))
    return d, stamp


def _first(c: dict[str, Any], *names: str) -> Any:
    """The first of several spellings present (renamed keys: FBuyVol/BuyVol, IndexId/IndexID)."""
    for n in names:
        v = c.get(n, _MISSING)
        if v is not _MISSING:
            return v
    return None


def _req(c: dict[str, Any], name: str) -> Any:
    v = c.get(name)
    if v is None:
        raise InvalidMessage("missing_field", f"{name} is missing")
    return v


# --------------------------------------------------------------------------- per-type parsers


def _trade(c: dict[str, Any], symbol: str, exchange: str, d: date, ts: datetime, session: TradingSession) -> Trade:
    g = c.get
    last_price, last_vol, total_vol, total_val = g("LastPrice"), g("LastVol"), g("TotalVol"), g("TotalVal")
    if (  # the shape SSI sends all day: plain JSON floats in range -> no per-field calls
        type(last_vol) is float and type(total_vol) is float and type(total_val) is float
        and 0.0 < last_vol <= total_vol <= MAX_VOLUME and last_vol.is_integer() and total_vol.is_integer()
        and 0.0 <= total_val < _MAX_VALUE_F
    ):
        volume, total_volume = int(last_vol), int(total_vol)
        total_value = Decimal(int(total_val)) if total_val.is_integer() else Decimal(repr(total_val))
    else:
        volume = _volume(_req(c, "LastVol"), "LastVol")
        if volume == 0:
            raise InvalidMessage("bad_value", "LastVol is 0 for a print")
        total_volume = _volume(_req(c, "TotalVol"), "TotalVol")
        if total_volume < volume:
            raise InvalidMessage("bad_value", f"TotalVol {total_volume} < LastVol {volume}")
        total_value = _value(_req(c, "TotalVal"), "TotalVal")
    prices = _PRICES
    price = (type(last_price) is float and prices.get(last_price)) or _price(_req(c, "LastPrice"), "LastPrice")
    ref, ceiling, floor = g("RefPrice"), g("Ceiling"), g("Floor")
    high, low = g("Highest"), g("Lowest")
    side = g("Side")
    return _new_trade(
        symbol,
        exchange,
        d,
        ts,
        price,
        volume,
        total_volume,
        total_value,
        (type(ref) is float and prices.get(ref)) or _opt_price(ref, "RefPrice"),
        (type(ceiling) is float and prices.get(ceiling)) or _opt_price(ceiling, "Ceiling"),
        (type(floor) is float and prices.get(floor)) or _opt_price(floor, "Floor"),
        (type(high) is float and prices.get(high)) or _opt_price(high, "Highest"),
        (type(low) is float and prices.get(low)) or _opt_price(low, "Lowest"),
        _opt_price_uncached(g("AvgPrice"), "AvgPrice"),
        session,
        _SIDES.get(side) if type(side) is str else None,
    )


_BID_KEYS = tuple((f"BidPrice{i}", f"BidVol{i}") for i in range(1, 11))
_ASK_KEYS = tuple((f"AskPrice{i}", f"AskVol{i}") for i in range(1, 11))


_Side = tuple[tuple[Decimal, ...], tuple[int, ...]]
"""One side of the book as ``Quote`` keeps it: (prices, volumes), best first."""
_EMPTY_SIDE: _Side = ((), ())


def _level(p: Any, v: Any, keys: tuple[str, str]) -> tuple[Decimal, int] | None:
    """One book level as (price, volume); None for an empty one (price 0 / null), which ends the side.

    The usual level, a price on the tick grid (a ``_PRICES`` hit, so already validated) with an
    integral float volume, is taken at once; anything else (an empty level, a new price, a
    string, a bad value) is decided here or explained in a rejection. ``keys`` (price key, volume
    key) only name the fields in a rejection.
    """
    price = _PRICES.get(p) if type(p) is float else None
    if price is not None and type(v) is float and 0.0 <= v <= _MAX_VOLUME_F and v.is_integer():
        return price, int(v)
    if p is None or (type(p) is not str and p == 0):
        return None
    price = _opt_price(p, keys[0])
    if price is None:
        return None
    return price, _volume(0 if v is None else v, keys[1])


def _side_of(pairs: Iterable[tuple[Any, Any]], keys: tuple[tuple[str, str], ...]) -> _Side:
    """Levels best first, up to the first empty one (a book has no gaps; HOSE fills 3 of 10)."""
    prices: list[Decimal] = []
    volumes: list[int] = []
    for (p, v), names in zip(pairs, keys):
        level = _level(p, v, names)
        if level is None:
            break
        prices.append(level[0])
        volumes.append(level[1])
    return tuple(prices), tuple(volumes)


def _side(c: dict[str, Any], keys: tuple[tuple[str, str], ...]) -> _Side:
    g = c.get
    return _side_of([(g(price_key), g(volume_key)) for price_key, volume_key in keys], keys)


def _header(c: dict[str, Any]) -> tuple[str, str, date, datetime, TradingSession]:
    symbol = _symbol(c.get("Symbol"))
    d, ts = _parse_stamp(c.get("TradingDate", _MISSING), c.get("Time", _MISSING))
    return symbol, _exchange(c), d, ts, _session(c.get("TradingSession"))


# ---- fast paths for the shape SSI sends all day (X-TRADE and X-QUOTE are ~95% of the traffic).
# One C-level itemgetter call fetches every field; header values come from the caches the full
# path fills; anything new, missing or unusual returns None and the full path decides.


def _orjson_keys(*names: str) -> tuple[str, ...]:
    """``names`` as the very str objects orjson hands out as dict keys.

    WHY: orjson keeps one str object per short key it has decoded, so a dict key looked up with
    that same object matches on identity instead of comparing characters (~40% cheaper for the
    19 keys of a quote). Merely an optimisation: should orjson hand out other objects one day,
    lookups compare by value as usual and give the same results.
    """
    return tuple(orjson.loads(orjson.dumps(dict.fromkeys(names))))


# The fields each fast path reads, in ``wire_shapes``' order (one list for both ways in).
_TRADE_FIELDS = itemgetter(*_orjson_keys(*TradeWire.__struct_fields__))
_QUOTE_FIELDS = itemgetter(*_orjson_keys(*QuoteWire.__struct_fields__))
_FAST_SIDES: dict[Any, Side | None] = {**_SIDES, None: None}


def _fast_x_trade(c: dict[str, Any]) -> tuple[MarketEvent, ...] | None:
    try:
        values = _TRADE_FIELDS(c)
    except KeyError:
        return None
    return _fast_trade(values)


def _fast_trade(values: tuple[Any, ...]) -> tuple[MarketEvent, ...] | None:
    """An X-TRADE's fields (``TradeWire`` order) -> its Trade, or None for the full path."""
    try:
        (sym, dtext, ttext, exch, sess, last_price, last_vol, total_vol, total_val,
         ref, ceiling, floor, high, low, avg, side) = values
        symbol = _SYMBOLS[sym]
        d, ts = _STAMPS[dtext][ttext]
        exchange = _EXCHANGES[exch]
        session = _SESSIONS[sess]
        side = _FAST_SIDES[side]
    except (KeyError, TypeError):
        return None
    if not (
        type(last_vol) is float and type(total_vol) is float and type(total_val) is float
        and type(last_price) is float
        and 0.0 < last_vol <= total_vol <= MAX_VOLUME and last_vol.is_integer() and total_vol.is_integer()
        and 0.0 <= total_val < _MAX_VALUE_F
    ):
        return None
    get = _PRICES.get
    price = get(last_price)
    if price is None:
        return None
    # Each optional price: the cached Decimal, else the one-call general conversion (None, 0, ...).
    ref_d = get(ref) if type(ref) is float else None
    if ref_d is None:
        ref_d = _opt_price(ref, "RefPrice")
    ceiling_d = get(ceiling) if type(ceiling) is float else None
    if ceiling_d is None:
        ceiling_d = _opt_price(ceiling, "Ceiling")
    floor_d = get(floor) if type(floor) is float else None
    if floor_d is None:
        floor_d = _opt_price(floor, "Floor")
    high_d = get(high) if type(high) is float else None
    if high_d is None:
        high_d = _opt_price(high, "Highest")
    low_d = get(low) if type(low) is float else None
    if low_d is None:
        low_d = _opt_price(low, "Lowest")
    avg_d: Decimal | None
    if type(avg) is float and 0.0 < avg < _MAX_PRICE_F:  # a new value with nearly every print
        avg_d = Decimal(int(avg)) if avg.is_integer() else Decimal(repr(avg))
    else:
        avg_d = _opt_price(avg, "AvgPrice")
    return (
        _new_trade(
            symbol, exchange, d, ts, price, int(last_vol), int(total_vol),
            Decimal(int(total_val)) if total_val.is_integer() else Decimal(repr(total_val)),
            ref_d, ceiling_d, floor_d, high_d, low_d, avg_d, session, side,
        ),
    )


def _top3(p1: Any, v1: Any, p2: Any, v2: Any, p3: Any, v3: Any,
          keys: tuple[tuple[str, str], ...]) -> _Side:
    """Up to 3 levels, best first, stopping at the first empty one (each decided by ``_level``)."""
    first = _level(p1, v1, keys[0])
    if first is None:
        return _EMPTY_SIDE
    second = _level(p2, v2, keys[1])
    if second is None:
        return (first[0],), (first[1],)
    third = _level(p3, v3, keys[2])
    if third is None:
        return (first[0], second[0]), (first[1], second[1])
    return (first[0], second[0], third[0]), (first[1], second[1], third[1])


_BID3 = _BID_KEYS[:3]
_ASK3 = _ASK_KEYS[:3]


def _fast_x_quote(c: dict[str, Any]) -> tuple[MarketEvent, ...] | None:
    try:
        values = _QUOTE_FIELDS(c)
    except KeyError:
        return None
    return _fast_quote(values)


def _fast_quote(values: tuple[Any, ...]) -> tuple[MarketEvent, ...] | None:
    """An X-QUOTE's fields (``QuoteWire`` order) -> its Quote, or None for the full path."""
    try:
        (sym, dtext, ttext, exch, sess, bp1, bv1, bp2, bv2, bp3, bv3, bp4,
         ap1, av1, ap2, av2, ap3, av3, ap4) = values
        symbol = _SYMBOLS[sym]
        d, ts = _STAMPS[dtext][ttext]
        exchange = _EXCHANGES[exch]
        session = _SESSIONS[sess]
    except (KeyError, TypeError):
        return None
    if bp4 != 0 or ap4 != 0:  # a deeper book: the full path reads all 10 levels
        return None
    # A bad level raises here exactly as the full path would: the header it checks first is valid.
    bid_prices, bid_volumes = _top3(bp1, bv1, bp2, bv2, bp3, bv3, _BID3)
    ask_prices, ask_volumes = _top3(ap1, av1, ap2, av2, ap3, av3, _ASK3)
    return (_new_quote(symbol, exchange, d, ts, bid_prices, bid_volumes, ask_prices, ask_volumes, session),)


def _parse_x_trade(c: dict[str, Any]) -> tuple[MarketEvent, ...]:
    fast = _fast_x_trade(c)
    if fast is not None:
        return fast
    symbol, exchange, d, ts, session = _header(c)
    return (_trade(c, symbol, exchange, d, ts, session),)


def _parse_x_quote(c: dict[str, Any]) -> tuple[MarketEvent, ...]:
    fast = _fast_x_quote(c)
    if fast is not None:
        return fast
    symbol, exchange, d, ts, session = _header(c)
    return (_quote(c, symbol, exchange, d, ts, session),)


def _quote(c: dict[str, Any], symbol: str, exchange: str, d: date, ts: datetime, session: TradingSession) -> Quote:
    bid_prices, bid_volumes = _side(c, _BID_KEYS)
    ask_prices, ask_volumes = _side(c, _ASK_KEYS)
    return _new_quote(symbol, exchange, d, ts, bid_prices, bid_volumes, ask_prices, ask_volumes, session)


def _parse_x(c: dict[str, Any]) -> tuple[MarketEvent, ...]:
    """Trade+quote snapshot: always a Quote, plus a Trade when it carries a print (LastVol > 0)."""
    symbol, exchange, d, ts, session = _header(c)
    quote = _quote(c, symbol, exchange, d, ts, session)
    last_vol = _opt_volume(c.get("LastVol"), "LastVol")
    if not last_vol:
        return (quote,)
    return (quote, _trade(c, symbol, exchange, d, ts, session))


def _parse_r(c: dict[str, Any]) -> tuple[MarketEvent, ...]:
    symbol = _symbol(c.get("Symbol"))
    d, ts = _parse_stamp(c.get("TradingDate", _MISSING), c.get("Time", _MISSING))

    def vol(*names: str) -> int:
        v = _first(c, *names)
        if v is None:
            raise InvalidMessage("missing_field", f"{names[0]} is missing")
        return _volume(v, names[0])

    def val(*names: str) -> Decimal:
        v = _first(c, *names)
        if v is None:
            raise InvalidMessage("missing_field", f"{names[0]} is missing")
        return _value(v, names[0])

    return (
        _new_foreign_room(
            symbol,
            d,
            ts,
            _opt_volume(c.get("TotalRoom"), "TotalRoom"),
            _opt_volume(c.get("CurrentRoom"), "CurrentRoom"),
            vol("BuyVol", "FBuyVol"),
            vol("SellVol", "FSellVol"),
            val("BuyVal", "FBuyVal"),
            val("SellVal", "FSellVal"),
        ),
    )


def _opt_count(c: dict[str, Any], name: str) -> int | None:
    return _opt_volume(c.get(name), name)


def _parse_mi(c: dict[str, Any]) -> tuple[MarketEvent, ...]:
    index_id = _symbol(_first(c, "IndexId", "IndexID", "IndexCode"), "IndexId")
    d, ts = _parse_stamp(c.get("TradingDate", _MISSING), c.get("Time", _MISSING))
    value = _price(_req(c, "IndexValue"), "IndexValue")
    return (
        _new_index_value(
            index_id,
            d,
            ts,
            value,
            _opt_price(c.get("PriorIndexValue"), "PriorIndexValue"),
            _opt_signed(c.get("Change"), "Change"),
            _opt_signed(c.get("RatioChange"), "RatioChange"),
            _opt_volume(_first(c, "TotalQtty", "TotalQuantity", "TotalVol"), "TotalQtty"),
            _opt_value(_first(c, "TotalValue", "TotalVal"), "TotalValue"),
            _opt_count(c, "Advances"),
            _opt_count(c, "NoChanges"),
            _opt_count(c, "Declines"),
            _opt_count(c, "Ceilings"),
            _opt_count(c, "Floors"),
            _session(c.get("TradingSession")),
        ),
    )


def _parse_b(c: dict[str, Any]) -> tuple[MarketEvent, ...]:
    symbol = _symbol(c.get("Symbol"))
    t = _first(c, "Time", "TradingTime")
    d, ts = _parse_stamp(c.get("TradingDate", _MISSING), _MISSING if t is None else t)
    o = _price(_req(c, "Open"), "Open")
    h = _price(_req(c, "High"), "High")
    lo = _price(_req(c, "Low"), "Low")
    cl = _price(_req(c, "Close"), "Close")
    if not (lo <= o <= h and lo <= cl <= h):
        raise InvalidMessage("bad_value", f"bar is not low <= open/close <= high: {o} {h} {lo} {cl}")
    return (
        Bar(symbol, d, ts, o, h, lo, cl, _volume(_req(c, "Volume"), "Volume"), _opt_value(c.get("Value"), "Value")),
    )


def _parse_f(c: dict[str, Any]) -> tuple[MarketEvent, ...]:
    raw_symbol = c.get("Symbol")
    symbol = _symbol(raw_symbol if raw_symbol not in (None, "") else c.get("MarketId"), "Symbol")
    d, ts = _parse_stamp(c.get("TradingDate", _MISSING), c.get("Time", _MISSING))
    return (SessionStatus(symbol, d, ts, _session(c.get("TradingSession")), _status(c.get("TradingStatus"))),)


_PARSERS: dict[str, Callable[[dict[str, Any]], tuple[MarketEvent, ...]]] = {
    "X-TRADE": _parse_x_trade,
    "X-QUOTE": _parse_x_quote,
    "X": _parse_x,
    "R": _parse_r,
    "MI": _parse_mi,
    "B": _parse_b,
    "F": _parse_f,
}
SUPPORTED_DATA_TYPES = frozenset(_PARSERS)
FAST_PATHS: dict[str, Callable[[dict[str, Any]], tuple[MarketEvent, ...] | None]] = {
    "X-TRADE": _fast_x_trade,
    "X-QUOTE": _fast_x_quote,
}
"""Content -> events, or None when the caches cannot serve it (then the full path decides)."""

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError
# The usual X-TRADE / X-QUOTE text straight to its fields (wire_shapes), and that type's fast path.
_WIRE_PATHS: dict[str, tuple[Callable[[str], Any], Callable[[tuple[Any, ...]], tuple[MarketEvent, ...] | None]]] = {
    "X-TRADE": (TRADE_WIRE.decode, _fast_trade),
    "X-QUOTE": (QUOTE_WIRE.decode, _fast_quote),
}


def parse_envelope(raw: str | bytes) -> tuple[MarketEvent, ...]:
    """One hub broadcast (after the first decode) -> its domain values.

    Raises ``InvalidMessage`` for anything that is not a valid message, and ``ParserFailure``
    when the parser itself fails (a bug, whatever the input); nothing else escapes.
    """
    try:
        n = len(raw)
        if n > MAX_ENVELOPE_BYTES or (n > MAX_ENVELOPE_BYTES // 4 and type(raw) is str
                                      and len(raw.encode("utf-8", "surrogatepass")) > MAX_ENVELOPE_BYTES):
            raise InvalidMessage("oversized", f"{n} characters")
        try:
            env = _loads(raw)
        except _JSONError as exc:
            raise InvalidMessage("not_json", f"envelope: {exc}") from None
        if type(env) is not dict:
            raise InvalidMessage("not_envelope", f"a JSON {type(env).__name__}, not an object")
        data_type = env.get("DataType")
        content = env.get("Content")
        if type(data_type) is not str or content is None:
            raise InvalidMessage("not_envelope", "needs DataType and Content")
        parser = _PARSERS.get(data_type)
        if parser is None:
            raise InvalidMessage("unknown_type", f"DataType {data_type[:30]!r}")
        if type(content) is str:  # the usual double-encoded Content
            wire = _WIRE_PATHS.get(data_type)
            if wire is not None:  # the usual shape, decoded into its fields (wire_shapes)
                decode, fast = wire
                try:
                    values = astuple(decode(content))
                except WIRE_ERRORS:
                    values = None  # not the usual shape: parsed the general way below
                if values is not None:
                    events = fast(values)
                    if events is not None:
                        return events
            try:
                content = _loads(content)
            except _JSONError as exc:
                raise InvalidMessage("not_json", f"Content: {exc}") from None
        if type(content) is not dict:
            raise InvalidMessage("not_envelope", f"Content is a {type(content).__name__}, not an object")
        return parser(content)
    except InvalidMessage:
        raise
    except Exception as exc:  # a bug, not a rejection: the caller logs the traceback and goes on
        raise ParserFailure(exc) from exc
