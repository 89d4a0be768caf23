"""The VN30 futures basis: front-month futures price minus the VN30 index, in points.

The front month is never hard-coded. It is the configured ``futures_symbol`` (settings override)
if set, else the nearest dated VN30 futures contract seen on the feed that has not expired on the
trading date (expiry = the third Thursday of the contract month; the exchange moves it one trading
day earlier on a holiday, which we cannot know offline, so that day may roll one day late).

The rolling alias ``VN30F1M`` *is* the front month under another name: SSI may broadcast the same
contract under both. The front month's price is therefore its latest print under either name, so
a rarely printing alias never freezes the basis while the dated contract keeps trading (and vice
versa). Basis points carry the dated code once one is known (a stable name across the day), else
the alias.

Contract codes come in two styles: the old ``VN30F`` + YYMM (``VN30F2412``) and the KRX style
``41I1`` + year char + month char + ``000`` (``41I1G4000`` = April 2026). KRX month chars are
1-9, A, B, C. KRX year chars, as brokers document them (VPS: ``VN30F2504 -> 41I1F4000``), run
over a 30-year cycle ``0-9`` then ``A-W`` without I, O, U, with F = 2025 and G = 2026; we take
the cycle nearest the trading date. A char outside that alphabet is read defensively as the next
occurrence of the contract month on or after the trading date, with one warning per char.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from desktop_app.domain import BasisPoint, IndexValue
from desktop_app.market_rules import third_thursday
from desktop_app.speedups import fast_constructor

log = logging.getLogger(__name__)

SPOT_INDEX_ID = "VN30"
FRONT_MONTH_ALIAS = "VN30F1M"
ROLLING_ALIASES = frozenset({"VN30F1M", "VN30F2M", "VN30F1Q", "VN30F2Q"})

_OLD_STYLE = re.compile(r"^VN30F(\d{2})(0[1-9]|1[0-2])$")
_KRX_STYLE = re.compile(r"^41I1([0-9A-Z])([1-9ABC])000$")
_KRX_MONTHS = {c: i + 1 for i, c in enumerate("123456789ABC")}
_KRX_YEAR_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTVW"  # 30 chars; index 0 = 2010 (F=2025, G=2026)
_KRX_YEAR_BASE = 2010
_warned_year_chars: set[str] = set()
_new_basis_point = fast_constructor(BasisPoint)


@dataclass(frozen=True, slots=True)
class FuturesContract:
    """A dated VN30 futures contract decoded from its code."""

    code: str
    year: int
    month: int

    @property
    def expiry(self) -> date:
        return third_thursday(self.year, self.month)


def _krx_year(char: str, month: int, trading_date: date) -> int:
    index = _KRX_YEAR_ALPHABET.find(char)
    if index < 0:
        if char not in _warned_year_chars:
            _warned_year_chars.add(char)
            log.warning("unknown KRX futures year code %r: assuming the next contract month", char)
        year = trading_date.year
        if (year, month) < (trading_date.year, trading_date.month):
            year += 1
        return year
    cycle = len(_KRX_YEAR_ALPHABET)
    year = _KRX_YEAR_BASE + index
    # Pick the 30-year cycle closest to the trading date.
    year += cycle * round((trading_date.year - year) / cycle)
    return year


def parse_vn30_futures(code: str, trading_date: date) -> FuturesContract | None:
    """Decode a dated VN30 futures code; None for aliases, other products and stocks."""
    m = _OLD_STYLE.match(code)
    if m is not None:
        return FuturesContract(code, 2000 + int(m.group(1)), int(m.group(2)))
    m = _KRX_STYLE.match(code)
    if m is not None:
        month = _KRX_MONTHS[m.group(2)]
        return FuturesContract(code, _krx_year(m.group(1), month, trading_date), month)
    return None


class FrontMonthSelector:
    """Remembers the VN30 futures codes seen and names the front month for a trading date.

    ``front`` is the dated front contract (or the override), falling back to the alias when only
    the alias has been seen; ``names`` is every code under which the front month prints.
    """

    __slots__ = ("_override", "_contracts", "_alias_seen", "_front", "_names", "_front_date")

    def __init__(self, override: str | None = None) -> None:
        self._override = override.strip().upper() if override else None
        self._contracts: dict[str, FuturesContract] = {}
        self._alias_seen = False
        self._front: str | None = self._override
        self._names: frozenset[str] = frozenset() if self._override is None else frozenset({self._override})
        self._front_date: date | None = None

    def observe(self, code: str, trading_date: date) -> bool:
        """Note a code from the feed; True if it is a VN30 futures code (alias or dated)."""
        if code in self._contracts or code == self._override:
            if trading_date != self._front_date:
                self._refresh(trading_date)
            return True
        if code == FRONT_MONTH_ALIAS:
            if not self._alias_seen or trading_date != self._front_date:
                self._alias_seen = True
                self._refresh(trading_date)
            return True
        if code in ROLLING_ALIASES:
            return True
        contract = parse_vn30_futures(code, trading_date)
        if contract is None:
            return False
        self._contracts[code] = contract
        self._refresh(trading_date)
        return True

    def front(self, trading_date: date | None = None) -> str | None:
        if trading_date is not None and trading_date != self._front_date:
            self._refresh(trading_date)
        return self._front

    def names(self, trading_date: date | None = None) -> frozenset[str]:
        """The codes the front month prints under (the dated code and, if seen, the alias)."""
        if trading_date is not None and trading_date != self._front_date:
            self._refresh(trading_date)
        return self._names

    def _refresh(self, trading_date: date) -> None:
        self._front_date = trading_date
        live = [c for c in self._contracts.values() if c.expiry >= trading_date]
        nearest = min(live, key=lambda c: (c.expiry, c.code)).code if live else None
        override = self._override
        alias = FRONT_MONTH_ALIAS if self._alias_seen or override == FRONT_MONTH_ALIAS else None
        if override is None or override == FRONT_MONTH_ALIAS:
            dated = nearest
        else:
            # A configured dated contract is the front month; the alias names it only when it is
            # also the nearest live contract (otherwise the alias is another contract).
            dated = override
            if nearest is not None and nearest != override:
                alias = None
        self._front = dated or alias
        self._names = frozenset(n for n in (dated, alias) if n is not None)


class BasisTracker:
    """Emits a BasisPoint whenever the front-month price or the VN30 index moves, once both are known.

    The caller hands every derivatives print to ``on_futures_print`` (non-VN30 codes are ignored)
    and every index value to ``on_index`` (other indexes are ignored). The front month's price is
    its latest print under any of its names (ties in market time go to the later arrival).
    """

    __slots__ = (
        "_selector",
        "_prices",
        "_spot",
        "_spot_time",
        "_last",
        "_trading_date",
        "_arrivals",
    )

    def __init__(self, futures_symbol: str | None = None) -> None:
        self._selector = FrontMonthSelector(futures_symbol)
        # code -> (price, market time, arrival number): the latest print under each name
        self._prices: dict[str, tuple[Decimal, datetime, int]] = {}
        self._arrivals = 0
        self._spot: Decimal | None = None
        self._spot_time: datetime | None = None
        self._last: BasisPoint | None = None
        self._trading_date: date | None = None

    def reset(self) -> None:
        """A new trading day: keep the contracts seen (they still trade), forget prices."""
        self._prices.clear()
        self._spot = None
        self._spot_time = None
        self._last = None

    @property
    def front_symbol(self) -> str | None:
        return self._selector.front(self._trading_date)

    @property
    def last(self) -> BasisPoint | None:
        return self._last

    def front_price(self) -> Decimal | None:
        known = self._front_print()
        return None if known is None else known[0]

    @property
    def spot(self) -> Decimal | None:
        return self._spot

    def on_futures_print(
        self, symbol: str, price: Decimal, timestamp: datetime, trading_date: date
    ) -> BasisPoint | None:
        if not self._selector.observe(symbol, trading_date):
            return None
        self._trading_date = trading_date
        known = self._prices.get(symbol)
        if known is None or timestamp >= known[1]:  # a late print never overwrites a newer one
            self._arrivals += 1
            self._prices[symbol] = (price, timestamp, self._arrivals)
        return self._compute(timestamp)

    def on_index(self, index: IndexValue) -> BasisPoint | None:
        if index.index_id.upper() != SPOT_INDEX_ID:
            return None
        self._trading_date = index.trading_date
        self._spot = index.value
        self._spot_time = index.timestamp
        return self._compute(index.timestamp)

    def _front_print(self) -> tuple[Decimal, datetime, int] | None:
        """The latest print of the front month under any of its names (market time, then arrival)."""
        latest: tuple[Decimal, datetime, int] | None = None
        prices = self._prices
        for name in self._selector.names(self._trading_date):
            known = prices.get(name)
            if known is not None and (latest is None or (known[1], known[2]) > (latest[1], latest[2])):
                latest = known
        return latest

    def _compute(self, timestamp: datetime) -> BasisPoint | None:
        spot = self._spot
        if spot is None:
            return None
        front = self._selector.front(self._trading_date)
        if front is None:
            return None
        known = self._front_print()
        if known is None:
            return None
        price = known[0]
        last = self._last
        if (
            last is not None
            and last.futures_symbol == front
            and last.futures_price == price
            and last.spot_value == spot
        ):
            return None
        point = _new_basis_point(front, price, spot, price - spot, timestamp)
        self._last = point
        return point
