"""Every speed-up the app relies on, in one place, each next to the plain code it replaces.

The live feed must sustain >= 100k envelopes/s on a 2-core machine, and the writer must encode
what the feed produces without starving the Qt/asyncio thread. These tricks get us there; each is
kept here, documented, and tested for equality with its plain version (``tests/test_speedups.py``
and the parser and COPY tests):

* ``ParserCaches``: the SSI parser's caches of already-validated values (prices on the tick grid,
  date/time strings, symbols), with ``reset()`` and a ``disabled()`` switch, so a test
  chooses which path it covers instead of inheriting warm caches from the tests before it.
* ``fast_constructor``: a cheaper constructor for frozen slotted dataclasses that still runs the
  class's ``__post_init__`` (its validation), so no check can be skipped.
* ``compile_rows_encoder``: a generated loop for binary COPY encoding, specialised to a column list
  (the plain path is the per-field loop in ``CopyLayout``; it also explains errors).
* ``fast_numeric_encoder``: binary NUMERIC for the values that dominate the writer's uncached
  columns (a trade's value = price x volume: a non-negative integer), about 2x cheaper than the
  general encoder, which it calls for every other value.
* ``remember_last``: a pure one-argument function with its most recent argument's result kept,
  matched by identity: consecutive prints share their timestamp object (the parser caches one per
  time text), so per-print time arithmetic (order flow's minute bar and Vietnam day) runs once
  per distinct timestamp instead of once per print.
* ``tune_gc_for_streaming``: garbage-collector settings for a long streaming run, called only by
  the entry points of the real app (the GUI and ``record``), never by library code or tests.

This module depends on the standard library only, so every layer may use it.
"""

from __future__ import annotations

import gc
import struct
from contextlib import contextmanager
from dataclasses import MISSING, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

__all__ = [
    "CACHE_LIMIT",
    "GC_GEN0_THRESHOLD",
    "ParserCaches",
    "compile_rows_encoder",
    "fast_constructor",
    "fast_numeric_encoder",
    "remember_last",
    "tune_gc_for_streaming",
]

_V = TypeVar("_V")
_A = TypeVar("_A")

CACHE_LIMIT = 200_000
"""Entries per parser cache before it is cleared (a trading day has ~1,200 prices, ~22k seconds)."""


# --------------------------------------------------------------------------- parser caches


class ParserCaches:
    """The SSI parser's caches: raw JSON value as sent -> the value the full path validated.

    Only values that passed validation enter, so a hit needs no re-check. The dicts are created
    once and cleared in place (``reset``), so code may keep references to them. While
    ``enabled`` is False nothing is stored, every lookup misses, and the parser takes its plain
    (full) path for every message: that is how tests cover the plain path on purpose.
    """

    def __init__(self) -> None:
        self.enabled = True
        self.float_decimals: dict[float, Decimal] = {}  # any JSON float -> Decimal
        self.text_decimals: dict[str, Decimal] = {}  # numeric strings -> Decimal
        # Valid prices (0 < p < MAX_PRICE) by the number SSI sent. Only prices that repeat belong
        # here (tick-grid prices: ~1,200 in a day): a value that changes with every print
        # (AvgPrice) would grow it 50x, and a dict that no longer fits the CPU cache costs a memory
        # miss or three on every field of every message.
        self.prices: dict[float, Decimal] = {}
        self.symbols: dict[str, str] = {}  # as sent -> as kept
        self.exchanges: dict[str, str] = {}  # as sent -> normalised market code
        self.dates: dict[str, date] = {}  # TradingDate text -> date
        # TradingDate text -> Time text -> (date, datetime). Two levels rather than one dict keyed
        # by a (date, time) tuple: no tuple to build and hash per message.
        self.stamps: dict[str, dict[str, tuple[date, datetime]]] = {}
        # Book levels are NOT cached: a day has ~150k distinct (price, volume) pairs, and missing the
        # CPU cache on such a dict costs more than building the level (the parser builds them from
        # cached prices).

    def reset(self) -> None:
        """Forget every cached value (the next message of each shape takes the full path)."""
        for cache in (self.float_decimals, self.text_decimals, self.prices, self.symbols, self.exchanges,
                      self.dates, self.stamps):
            cache.clear()

    @contextmanager
    def disabled(self) -> Iterator[None]:
        """Within the block: empty caches that store nothing (the plain path only); warm afterwards
        starts from empty too."""
        self.reset()
        self.enabled = False
        try:
            yield
        finally:
            self.enabled = True
            self.reset()

    def store(self, cache: dict[Any, Any], key: Any, value: Any, limit: int = CACHE_LIMIT) -> None:
        """``cache[key] = value`` unless disabled; a full cache is cleared first (bounded memory)."""
        if not self.enabled:
            return
        if len(cache) >= limit:
            cache.clear()
        cache[key] = value


# --------------------------------------------------------------------------- constructors


def fast_constructor(cls: type[_V]) -> Callable[..., _V]:
    """A constructor for a frozen slotted dataclass, ~3x cheaper than ``cls(...)``, same result.

    WHY: a frozen dataclass's ``__init__`` stores each field through ``object.__setattr__``
    (Trade: ~3.4 us on a 2-core box), a third of the 10 us per envelope the pipeline can afford.
    The returned callable takes the same positional/keyword arguments, fills a twin class with the
    identical slot layout by plain attribute stores, retypes the object to ``cls`` (the result IS
    a ``cls``: equality, hash, repr and immutability unchanged) and then runs ``cls.__post_init__``
    when the class has one, so validation added to a domain class runs on this path too.

    A class compiled by mypyc (see ``compiled_modules``) is returned as is: its constructor is
    already native code, and it has no Python slots to fill.

    Refused (``TypeError``): classes without ``__slots__`` matching their fields, fields with
    ``default_factory``, ``init=False`` or ``kw_only``, and dataclasses declared with ``init=False``.
    """
    if hasattr(cls, "__mypyc_attrs__"):
        return cls
    all_fields = fields(cls)  # type: ignore[arg-type]
    names = tuple(f.name for f in all_fields)
    if tuple(getattr(cls, "__slots__", ())) != names:
        raise TypeError(f"{cls.__name__} is not a slotted dataclass")
    if not cls.__dataclass_params__.init:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} has no dataclass-generated __init__")
    defaults: dict[str, object] = {}
    params = []
    for f in all_fields:
        if f.default_factory is not MISSING or not f.init or f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: default_factory / init=False / kw_only are not supported")
        if f.default is not MISSING:
            defaults[f.name] = f.default
            params.append(f"{f.name}=_defaults[{f.name!r}]")
        else:
            params.append(f.name)
    body = "".join(f"        self.{n} = {n}\n" for n in names)
    post_init = "        self.__post_init__()\n" if hasattr(cls, "__post_init__") else ""
    source = (
        f"class _Twin:\n    __slots__ = {names!r}\n"
        f"    def __init__(self, {', '.join(params)}):\n{body}        self.__class__ = _cls\n{post_init}"
    )
    namespace: dict[str, object] = {"_cls": cls, "_defaults": defaults}
    exec(source, namespace)  # noqa: S102 - generated from the dataclass's own field names only
    twin = namespace["_Twin"]
    twin.__qualname__ = twin.__name__ = f"_{cls.__name__}Twin"  # type: ignore[attr-defined]
    return twin  # type: ignore[return-value]


# --------------------------------------------------------------------------- last-argument memo

_NOTHING = object()


def remember_last(func: Callable[[_A], _V]) -> Callable[[_A], _V]:
    """``func`` with the result for its most recent argument remembered, matched by identity.

    The plain version is ``func`` itself. Only for pure functions of immutable arguments (the same
    object always gives an equal result); an equal but distinct object is simply computed again.
    One argument and one result are kept alive until the next call with another object.
    """
    last_arg: Any = _NOTHING
    last_result: Any = None

    def remembered(arg: _A) -> _V:
        nonlocal last_arg, last_result
        if arg is last_arg:
            return last_result
        result = func(arg)
        last_arg, last_result = arg, result
        return result

    remembered.__name__ = getattr(func, "__name__", "remembered")
    remembered.__doc__ = func.__doc__
    return remembered


# --------------------------------------------------------------------------- binary COPY rows

RowsEncoder = Callable[[Iterable[Any], Callable[[Iterable[bytes]], None]], None]


def compile_rows_encoder(
    field_count: bytes,
    null: bytes,
    encoders: Sequence[Callable[[Any], bytes]],
    inline_packers: Sequence[tuple[Callable[..., bytes], int] | None],
    attributes: Sequence[str] | None = None,
) -> RowsEncoder:
    """A loop ``encode_rows(rows, extend)`` specialised to one column list.

    The plain version is a ``for encode, value in zip(encoders, row)`` loop (``CopyLayout``'s
    explaining path); it costs a call per field. The generated loop unpacks the row once, inlines
    the cache lookups of cached encoders (``cache.get(v) or miss(v)``; an encoder is cached when it
    carries a ``cache`` dict attribute and no ``exact_key``), calls an encoder's unchecked ``fast``
    twin directly when it has one (two call layers fewer), and inlines the fixed-width struct packs
    (``inline_packers[i] = (pack, width)``), and extends the output once per row: about 3x faster
    in CPython. With ``attributes`` the rows are objects and field i is ``row.<attributes[i]>``.
    Errors are not explained here; the caller re-runs the plain path, which raises precisely.
    The generated source uses only identifiers made here and checked attribute names.
    """
    namespace: dict[str, Any] = {"FIELD_COUNT": field_count, "NULL": null}
    exprs: list[str] = []
    for i, (encode, inline) in enumerate(zip(encoders, inline_packers)):
        cache = getattr(encode, "cache", None)
        fast = getattr(encode, "fast", None)
        if fast is not None:  # an uncached encoder with a cheaper unchecked twin
            namespace[f"f{i}"] = fast
            exprs.append(f"(NULL if v{i} is None else f{i}(v{i}))")
        elif cache is not None:
            namespace[f"c{i}"] = cache.get
            namespace[f"m{i}"] = encode
            exprs.append(f"m{i}(v{i})" if getattr(encode, "exact_key", False) else f"(c{i}(v{i}) or m{i}(v{i}))")
        elif inline is not None:
            namespace[f"p{i}"], width = inline
            exprs.append(f"(NULL if v{i} is None else p{i}({width}, v{i}))")
        else:
            namespace[f"m{i}"] = encode
            exprs.append(f"m{i}(v{i})")
    if attributes is None:
        names = [f"v{i}" for i in range(len(exprs))]
        fetch = f"        {', '.join(names)}{',' if len(names) == 1 else ''} = row\n"
    else:
        for attribute in attributes:
            if not attribute.isidentifier():
                raise ValueError(f"not an attribute name: {attribute!r}")
        fetch = "".join(f"        v{i} = row.{a}\n" for i, a in enumerate(attributes))
    source = (
        "def encode_rows(rows, extend):\n"
        "    for row in rows:\n"
        f"{fetch}"
        f"        extend((FIELD_COUNT, {', '.join(exprs)}))\n"
    )
    exec(compile(source, f"<copy rows encoder {len(exprs)} columns>", "exec"), namespace)  # noqa: S102
    return namespace["encode_rows"]


# --------------------------------------------------------------------------- binary NUMERIC

_NUMERIC_1 = struct.Struct("!ihhHHH").pack  # length, ndigits, weight, sign, dscale, digits...
_NUMERIC_2 = struct.Struct("!ihhHHHH").pack
_NUMERIC_3 = struct.Struct("!ihhHHHHH").pack
_NUMERIC_4 = struct.Struct("!ihhHHHHHH").pack


def fast_numeric_encoder(plain: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """``plain`` (a length-prefixed binary NUMERIC field from a ``Decimal``) with a fast path for
    positive integers below 10**16 written in plain notation, byte for byte what ``plain`` gives.

    WHY: a trade's value (price x volume) almost never repeats, so it cannot be cached, and the
    general encoder (parse the text, split base-10000 digits in a loop, strip zero digits) was a
    quarter of the writer's client CPU. For an integer the text has only digits; four base-10000
    digits cover 10**16 (far above any trade value), and the two ``divmod`` splits and the
    choice of struct are unrolled. Everything else (zero, negative, fractional, exponent
    notation, NaN, infinities, huge values, non-numbers) goes to ``plain``, which also raises.
    """
    pack1, pack2, pack3, pack4 = _NUMERIC_1, _NUMERIC_2, _NUMERIC_3, _NUMERIC_4

    def encode(value: Any) -> bytes:
        text = str(value)
        if not text.isascii() or not text.isdigit():
            return plain(value)
        n = int(text)
        if not 0 < n < 10_000_000_000_000_000:
            return plain(value)
        high, low = divmod(n, 100_000_000)
        b, c = divmod(low, 10_000)
        if high:
            a, h = divmod(high, 10_000)
            if a:  # weight 3: a h b c, trailing zero digits left out
                if c:
                    return pack4(16, 4, 3, 0, 0, a, h, b, c)
                if b:
                    return pack3(14, 3, 3, 0, 0, a, h, b)
                if h:
                    return pack2(12, 2, 3, 0, 0, a, h)
                return pack1(10, 1, 3, 0, 0, a)
            if c:
                return pack3(14, 3, 2, 0, 0, h, b, c)
            if b:
                return pack2(12, 2, 2, 0, 0, h, b)
            return pack1(10, 1, 2, 0, 0, h)
        if b:
            if c:
                return pack2(12, 2, 1, 0, 0, b, c)
            return pack1(10, 1, 1, 0, 0, b)
        return pack1(10, 1, 0, 0, 0, c)

    encode.__name__ = f"fast_{getattr(plain, '__name__', 'numeric')}"
    return encode


# --------------------------------------------------------------------------- garbage collector

GC_GEN0_THRESHOLD = 20_000  # allocations between two young-generation collections (CPython: 700)
_gc_tuned = False


def tune_gc_for_streaming() -> None:
    """Freeze what start-up built and collect the young generation less often (once per process).

    WHY: the hot path keeps growing long-lived caches (parser levels, timestamps) and state, so
    the default thresholds run a young collection every 700 net allocations and, now and then, a
    full one that walks every object the app ever made (Qt wrappers, modules, pyqtgraph).
    ``gc.freeze()`` takes the start-up heap out of those walks for good (measured in the GUI: loop
    lag p99 ~200 ms -> ~70 ms at 5,000 prints/s); a higher first threshold makes young collections
    rarer (each still ~1 ms at most). Process-wide, so only entry points call it: ``run_gui`` once
    the start-up finished, ``record`` once its pipeline started, and ``bench process``.
    """
    global _gc_tuned
    if _gc_tuned:
        return
    _gc_tuned = True
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    if gen0 < GC_GEN0_THRESHOLD:
        gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
