"""Futures basis history: paged ranges (all contracts or one), and column arrays for charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from desktop_app.database.repositories import Executor
from desktop_app.database.repositories.query_bounds import require_aware, require_page
from desktop_app.database.schema import BASIS_COPY_COLUMNS
from desktop_app.domain import BasisPoint
from desktop_app.market_clock import to_vietnam

__all__ = ["BASIS_COPY_COLUMNS", "BasisColumns", "basis_between", "basis_columns"]

# Two fixed statements rather than SQL assembled per call: "$4 IS NULL OR …" would make one
# generic plan serve both cases badly.
_SELECT_ALL = """
SELECT futures_symbol, futures_price, spot_value, basis, captured_at
FROM basis_history
WHERE captured_at >= $1 AND captured_at < $2
ORDER BY captured_at, id
LIMIT $3 OFFSET $4
"""
_SELECT_ONE = """
SELECT futures_symbol, futures_price, spot_value, basis, captured_at
FROM basis_history
WHERE captured_at >= $1 AND captured_at < $2 AND futures_symbol = $5
ORDER BY captured_at, id
LIMIT $3 OFFSET $4
"""


@dataclass(frozen=True, slots=True, eq=False)
class BasisColumns:
    epoch_s: np.ndarray  # float64
    futures_price: np.ndarray  # float64
    spot_value: np.ndarray
    basis: np.ndarray

    def __len__(self) -> int:
        return len(self.epoch_s)


async def basis_between(
    executor: Executor, start: datetime, end: datetime, limit: int = 1000, offset: int = 0,
    futures_symbol: str | None = None,
) -> list[BasisPoint]:
    """Basis points in ``[start, end)``, oldest first, one page."""
    require_aware(start, end)
    require_page(limit, offset)
    if futures_symbol is None:
        rows = await executor.fetch(_SELECT_ALL, start, end, limit, offset)
    else:
        rows = await executor.fetch(_SELECT_ONE, start, end, limit, offset, futures_symbol)
    return [BasisPoint(r[0], r[1], r[2], r[3], to_vietnam(r[4])) for r in rows]


async def basis_columns(
    executor: Executor, start: datetime, end: datetime, futures_symbol: str | None = None
) -> BasisColumns:
    require_aware(start, end)
    rows = await executor.fetch(
        """SELECT extract(epoch FROM captured_at)::float8, futures_price::float8, spot_value::float8,
                  basis::float8
           FROM basis_history
           WHERE captured_at >= $1 AND captured_at < $2
             AND ($3::varchar IS NULL OR futures_symbol = $3::varchar)
           ORDER BY captured_at, id""",
        start, end, futures_symbol,
    )
    n = len(rows)

    def col(i: int) -> np.ndarray:
        return np.fromiter((r[i] for r in rows), np.float64, n)

    return BasisColumns(col(0), col(1), col(2), col(3))
