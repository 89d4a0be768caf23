"""The user's price alert rules (``price_alert_rules``): list, add, update, delete."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.database.repositories import Executor
from desktop_app.domain import PriceAlertRule, PriceRuleKind

_COLUMNS = "id, symbol, kind, threshold, enabled, note"


class PriceRuleNotFoundError(LookupError):
    """No rule with that id (deleted meanwhile, or a stale row in the UI)."""


def _to_rule(row) -> PriceAlertRule:  # type: ignore[no-untyped-def]
    return PriceAlertRule(id=row[0], symbol=row[1], kind=PriceRuleKind(row[2]), threshold=row[3],
                          enabled=row[4], note=row[5])


async def list_rules(executor: Executor, *, enabled_only: bool = False) -> list[PriceAlertRule]:
    where = " WHERE enabled" if enabled_only else ""
    rows = await executor.fetch(f"SELECT {_COLUMNS} FROM price_alert_rules{where} ORDER BY symbol, id")
    return [_to_rule(r) for r in rows]


async def add_rule(
    executor: Executor, symbol: str, kind: PriceRuleKind, threshold: Decimal,
    *, enabled: bool = True, note: str | None = None,
) -> PriceAlertRule:
    row = await executor.fetchrow(
        f"INSERT INTO price_alert_rules (symbol, kind, threshold, enabled, note) "
        f"VALUES ($1, $2, $3, $4, $5) RETURNING {_COLUMNS}",
        symbol, kind.value, threshold, enabled, note,
    )
    return _to_rule(row)


async def update_rule(executor: Executor, rule: PriceAlertRule) -> PriceAlertRule:
    row = await executor.fetchrow(
        f"UPDATE price_alert_rules SET symbol = $2, kind = $3, threshold = $4, enabled = $5, note = $6 "
        f"WHERE id = $1 RETURNING {_COLUMNS}",
        rule.id, rule.symbol, rule.kind.value, rule.threshold, rule.enabled, rule.note,
    )
    if row is None:
        raise PriceRuleNotFoundError(f"no price alert rule with id {rule.id}")
    return _to_rule(row)


async def delete_rule(executor: Executor, rule_id: int) -> None:
    result = await executor.execute("DELETE FROM price_alert_rules WHERE id = $1", rule_id)
    if result.endswith(" 0"):
        raise PriceRuleNotFoundError(f"no price alert rule with id {rule_id}")
