"""Foreign-investor snapshots: paged ranges as domain values, and column arrays for charts.

Rows written before the value/room columns existed (or by feeds that lack them) have NULLs there;
``ForeignInvestorData`` needs Decimals, so missing values read back as 0 and a missing room as None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np

from desktop_app.database.repositories import Executor
from desktop_app.database.repositories.query_bounds import require_aware, require_page
from desktop_app.database.schema import FOREIGN_COPY_COLUMNS
from desktop_app.domain import ForeignInvestorData
from desktop_app.market_clock import to_vietnam

__all__ = ["FOREIGN_COPY_COLUMNS", "ForeignColumns", "foreign_between", "foreign_columns",
           "latest_foreign"]

_ZERO = Decimal(0)

_SELECT = """
SELECT symbol, f_buy_vol, f_sell_vol, f_buy_val, f_sell_val, buy_speed_per_min,
       sell_speed_per_min, room_left, captured_at
FROM foreign_snapshots
WHERE symbol = $1 AND captured_at >= $2 AND captured_at < $3
ORDER BY captured_at, id
LIMIT $4 OFFSET $5
"""


@dataclass(frozen=True, slots=True, eq=False)
class ForeignColumns:
    epoch_s: np.ndarray  # float64
    buy_volume: np.ndarray  # int64, cumulative for the day
    sell_volume: np.ndarray
    net_volume: np.ndarray
    buy_speed_per_min: np.ndarray  # float64
    sell_speed_per_min: np.ndarray

    def __len__(self) -> int:
        return len(self.epoch_s)


def _to_data(row) -> ForeignInvestorData:  # type: ignore[no-untyped-def]
    return ForeignInvestorData(
        symbol=row[0], buy_volume=row[1], sell_volume=row[2],
        buy_value=_ZERO if row[3] is None else row[3], sell_value=_ZERO if row[4] is None else row[4],
        buy_speed_per_min=_ZERO if row[5] is None else row[5],
        sell_speed_per_min=_ZERO if row[6] is None else row[6],
        room_left=row[7], timestamp=to_vietnam(row[8]),
    )


async def foreign_between(
    executor: Executor, symbol: str, start: datetime, end: datetime, limit: int = 1000, offset: int = 0
) -> list[ForeignInvestorData]:
    """Snapshots in ``[start, end)``, oldest first, one page."""
    require_aware(start, end)
    require_page(limit, offset)
    return [_to_data(r) for r in await executor.fetch(_SELECT, symbol, start, end, limit, offset)]


async def latest_foreign(executor: Executor, symbol: str) -> ForeignInvestorData | None:
    row = await executor.fetchrow(
        """SELECT symbol, f_buy_vol, f_sell_vol, f_buy_val, f_sell_val, buy_speed_per_min,
                  sell_speed_per_min, room_left, captured_at
           FROM foreign_snapshots WHERE symbol = $1 ORDER BY captured_at DESC, id DESC LIMIT 1""",
        symbol,
    )
    return None if row is None else _to_data(row)


async def foreign_columns(executor: Executor, symbol: str, start: datetime, end: datetime) -> ForeignColumns:
    require_aware(start, end)
    rows = await executor.fetch(
        """SELECT extract(epoch FROM captured_at)::float8, f_buy_vol, f_sell_vol, f_net_vol,
                  coalesce(buy_speed_per_min, 0)::float8, coalesce(sell_speed_per_min, 0)::float8
           FROM foreign_snapshots WHERE symbol = $1 AND captured_at >= $2 AND captured_at < $3
           ORDER BY captured_at, id""",
        symbol, start, end,
    )
    n = len(rows)

    def col(i: int, dtype: type) -> np.ndarray:
        return np.fromiter((r[i] for r in rows), dtype, n)

    return ForeignColumns(col(0, np.float64), col(1, np.int64), col(2, np.int64), col(3, np.int64),
                          col(4, np.float64), col(5, np.float64))
