"""Each basket stock's contribution to the VN30 move, in index points, and the weights it uses.

Why derived weights: the VN30 is weighted by free-float market capitalisation (with caps), and
neither SSI's IndexComponents reply (members only) nor the live feed carries free float or shares
outstanding. So the weights here are an approximation made from what the feed does give: each
stock's share of the basket's matched value today (order matching, ATO and ATC included,
put-throughs left out). A heavily traded stock weighs more than its index weight, a quiet large
cap less; the figures rank the movers, they are not the exchange's attribution.

contribution (points) = VN30 level × weight × (last ÷ reference − 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

__all__ = ["StockMove", "Contribution", "WEIGHTS_NOTE", "value_weights", "contributions"]

WEIGHTS_NOTE = (
    "Approximation: VN30 weights are free-float market cap (capped), which the feed does not give "
    "(SSI IndexComponents lists members only). Weights here are each stock's share of the basket's "
    "matched value today; points = VN30 level × weight × % change from the reference price."
)


@dataclass(frozen=True, slots=True)
class StockMove:
    """What one stock's contribution needs: its reference and last price (VND), its matched value."""

    symbol: str
    ref_price: Decimal | None
    last_price: Decimal | None
    matched_value: Decimal


@dataclass(frozen=True, slots=True)
class Contribution:
    symbol: str
    weight: float  # share of the basket, 0..1
    change: float | None  # last ÷ reference − 1 (None: a price is missing)
    points: float | None  # None: no change or no index level


def value_weights(moves: Sequence[StockMove]) -> dict[str, float]:
    """Each stock's share of the basket's matched value (all zero when nothing traded)."""
    total = sum((max(m.matched_value, Decimal(0)) for m in moves), Decimal(0))
    if total <= 0:
        return {m.symbol: 0.0 for m in moves}
    return {m.symbol: float(max(m.matched_value, Decimal(0)) / total) for m in moves}


def contributions(moves: Sequence[StockMove], index_level: float | None) -> list[Contribution]:
    """The stocks' contributions in the order given (see the module's note on the weights)."""
    weights = value_weights(moves)
    out = []
    for m in moves:
        change = None
        if m.ref_price and m.last_price is not None:
            change = float(m.last_price / m.ref_price) - 1.0
        w = weights[m.symbol]
        points = None if change is None or index_level is None else index_level * w * change
        out.append(Contribution(m.symbol, w, change, points))
    return out
