"""Alert review: filtered, paged, newest first; acknowledgement with a note; markers for charts.

The WHERE clause is put together from a fixed set of fragments, one per filter field that is set;
every value travels as a parameter, so nothing the user types becomes SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desktop_app.database.repositories import Executor
from desktop_app.database.repositories.query_bounds import require_aware, require_page
from desktop_app.database.schema import ALERT_COPY_COLUMNS
from desktop_app.domain import Severity, StoredAlert
from desktop_app.market_clock import to_vietnam

__all__ = ["ALERT_COPY_COLUMNS", "AlertFilter", "AlertNotFoundError", "list_alerts", "count_alerts",
           "acknowledge", "alerts_between"]

_COLUMNS = "id, symbol, alert_type, message, severity, created_at, acknowledged_at, note"


class AlertNotFoundError(LookupError):
    """No alert with that id (deleted, or a stale row in the UI)."""


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Every field optional; set fields are AND-ed. Times are a half-open ``[start, end)``."""

    symbol: str | None = None
    alert_type: str | None = None
    severity: Severity | str | None = None
    start: datetime | None = None
    end: datetime | None = None
    unacknowledged_only: bool = False

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []

        def add(fragment: str, value: Any) -> None:
            params.append(value)
            clauses.append(fragment.format(f"${len(params)}"))

        if self.symbol is not None:
            add("symbol = {}", self.symbol)
        if self.alert_type is not None:
            add("alert_type = {}", self.alert_type)
        if self.severity is not None:
            add("severity = {}", self.severity.value if isinstance(self.severity, Severity) else self.severity)
        if self.start is not None:
            require_aware(self.start)
            add("created_at >= {}", self.start)
        if self.end is not None:
            require_aware(self.end)
            add("created_at < {}", self.end)
        if self.unacknowledged_only:
            clauses.append("acknowledged_at IS NULL")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _to_alert(row) -> StoredAlert:  # type: ignore[no-untyped-def]
    return StoredAlert(
        id=row[0], symbol=row[1], alert_type=row[2], message=row[3], severity=row[4],
        created_at=to_vietnam(row[5]),
        acknowledged_at=None if row[6] is None else to_vietnam(row[6]), note=row[7],
    )


async def list_alerts(
    executor: Executor, alert_filter: AlertFilter = AlertFilter(), limit: int = 100, offset: int = 0
) -> list[StoredAlert]:
    """One page of alerts, newest first (ties broken by id, newest first)."""
    require_page(limit, offset)
    where, params = alert_filter.where()
    n = len(params)
    sql = (f"SELECT {_COLUMNS} FROM alerts{where} ORDER BY created_at DESC, id DESC "
           f"LIMIT ${n + 1} OFFSET ${n + 2}")
    return [_to_alert(r) for r in await executor.fetch(sql, *params, limit, offset)]


async def count_alerts(executor: Executor, alert_filter: AlertFilter = AlertFilter()) -> int:
    where, params = alert_filter.where()
    return await executor.fetchval(f"SELECT count(*) FROM alerts{where}", *params)


async def acknowledge(executor: Executor, alert_id: int, note: str | None = None) -> StoredAlert:
    """Mark an alert reviewed (the first acknowledgement time is kept) and set its note."""
    row = await executor.fetchrow(
        f"""UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, now()), note = $2
            WHERE id = $1 RETURNING {_COLUMNS}""",
        alert_id, note,
    )
    if row is None:
        raise AlertNotFoundError(f"no alert with id {alert_id}")
    return _to_alert(row)


async def alerts_between(
    executor: Executor, symbol: str, start: datetime, end: datetime
) -> list[StoredAlert]:
    """A symbol's alerts in ``[start, end)``, oldest first: markers on its charts."""
    require_aware(start, end)
    rows = await executor.fetch(
        f"""SELECT {_COLUMNS} FROM alerts WHERE symbol = $1 AND created_at >= $2 AND created_at < $3
            ORDER BY created_at, id""",
        symbol, start, end,
    )
    return [_to_alert(r) for r in rows]
