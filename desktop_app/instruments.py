"""Listed instruments and the user's watchlists as values, plus the two pure rules about them:
what kind an SSI Securities row is, and whether a search text matches it.

Kept free of Qt and SQL so that the SSI client, the repositories, the services and the search box
all share one definition.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum


class SecurityKind(str, Enum):
    STOCK = "stock"
    FUTURES = "futures"
    INDEX = "index"
    ETF = "etf"
    COVERED_WARRANT = "cw"


class SecuritySource(str, Enum):
    """Where a cached row came from: the demo universe never mixes into SSI's list."""

    SSI = "ssi"
    DEMO = "demo"


@dataclass(frozen=True, slots=True)
class Security:
    """One searchable instrument (SSI's Securities row, or a demo instrument)."""

    symbol: str
    market: str  # HOSE, HNX, UPCOM, DER (SSI's market codes)
    name_vi: str | None
    name_en: str | None
    kind: SecurityKind

    def label(self) -> str:
        """``ACB — Vietnamese name · English name``: what the search list shows."""
        names = " · ".join(n for n in (self.name_vi, self.name_en) if n)
        return f"{self.symbol} — {names}" if names else self.symbol


@dataclass(frozen=True, slots=True)
class Watchlist:
    """A named, ordered list of symbols; ``builtin`` marks the VN30 default (never deleted)."""

    id: int
    name: str
    position: int
    builtin: bool
    symbols: tuple[str, ...]


DEFAULT_WATCHLIST_NAME = "VN30"

# Covered warrants: C + 3-letter underlying + 4 digits (CFPT2401); SSI's list carries no type.
_COVERED_WARRANT = re.compile(r"^C[A-Z]{3}\d{4}$")


def security_kind(market: str, symbol: str, name_vi: str | None, name_en: str | None) -> SecurityKind:
    """Securities rows carry only market, symbol and names, so the kind is read from them."""
    if market.upper() in ("DER", "DERIVATIVES"):
        return SecurityKind.FUTURES
    if _COVERED_WARRANT.match(symbol.upper()):
        return SecurityKind.COVERED_WARRANT
    names = f"{name_vi or ''} {name_en or ''}".upper()
    if re.search(r"\bETF\b", names):
        return SecurityKind.ETF
    return SecurityKind.STOCK


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics (``Á Châu`` -> ``a chau``, ``Đ`` -> ``d``)."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def search_key(security: Security) -> str:
    """The folded text a query is matched against: symbol and both names."""
    return fold(" ".join(p for p in (security.symbol, security.name_vi, security.name_en) if p))


def matches(key: str, query: str) -> bool:
    """Every word of the query occurs in the key, accents and case ignored."""
    return all(word in key for word in fold(query).split())
