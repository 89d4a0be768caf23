"""The user's price alert rules: stored in the database, live in the processor.

Every change goes to ``price_alert_rules`` first and then replaces the processor's rule set, so
what fires is always what is stored. ``record`` loads the rules at start; the GUI's Alerts ->
Rules view edits them through this service (never through the repository).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from desktop_app.database.repositories import price_alert_rule_repository as repo
from desktop_app.domain import PriceAlertRule, PriceRuleKind
from desktop_app.processing.price_alerts import PriceAlertEvaluator, validate_rule

log = logging.getLogger(__name__)

PriceRuleNotFoundError = repo.PriceRuleNotFoundError


class PriceAlertRuleService:
    def __init__(self, database: Any, evaluator: PriceAlertEvaluator) -> None:
        self._database = database  # a Database, an asyncpg pool, or an async pool provider
        self._evaluator = evaluator
        self._rules: list[PriceAlertRule] = []

    @property
    def rules(self) -> list[PriceAlertRule]:
        return list(self._rules)

    async def _pool(self) -> Any:
        database = self._database
        if hasattr(database, "pool"):
            return database.pool
        if callable(database):
            return await database()
        return database

    async def load(self) -> list[PriceAlertRule]:
        self._rules = await repo.list_rules(await self._pool())
        self._evaluator.set_rules(self._rules)
        log.info("%d price alert rules loaded", len(self._rules))
        return self.rules

    async def add(self, symbol: str, kind: PriceRuleKind, threshold: Decimal, note: str | None = None) -> PriceAlertRule:
        validate_rule(kind, threshold)
        rule = await repo.add_rule(await self._pool(), symbol.strip().upper(), kind, threshold, note=note)
        await self.load()
        return rule

    async def update(self, rule: PriceAlertRule) -> PriceAlertRule:
        validate_rule(rule.kind, rule.threshold)
        stored = await repo.update_rule(await self._pool(), rule)
        await self.load()
        return stored

    async def delete(self, rule_id: int) -> None:
        await repo.delete_rule(await self._pool(), rule_id)
        await self.load()


async def load_rules_for_recording(database: Any, evaluator: PriceAlertEvaluator) -> None:
    """``record``: load the rules once; a database that is down only means no user alerts yet."""
    try:
        await PriceAlertRuleService(database, evaluator).load()
    except Exception as exc:  # noqa: BLE001 - recording must go on without the user's rules
        log.warning("price alert rules not loaded (%s); recording without them", exc)
