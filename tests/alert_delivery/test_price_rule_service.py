"""Price alert rules persist in the database and drive the processor; their alerts are pushed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.config import DeliverySettings
from desktop_app.domain import PriceRuleKind
from desktop_app.processing.processor import MarketDataProcessor
from desktop_app.services.price_alert_rules import PriceAlertRuleService, PriceRuleNotFoundError
from tests.processing.events import Tape


async def test_rules_round_trip_and_reach_the_processor(pool) -> None:
    processor = MarketDataProcessor()
    service = PriceAlertRuleService(pool, processor.price_alerts)
    above = await service.add("fpt", PriceRuleKind.PRICE_ABOVE, Decimal("101000"), note="breakout")
    await service.add("VNM", PriceRuleKind.CHANGE_PCT, Decimal("-3"))
    assert above.symbol == "FPT" and above.note == "breakout"

    reloaded = PriceAlertRuleService(pool, MarketDataProcessor().price_alerts)
    assert [(r.symbol, r.kind, r.threshold) for r in await reloaded.load()] == [
        ("FPT", PriceRuleKind.PRICE_ABOVE, Decimal("101000.0000")),
        ("VNM", PriceRuleKind.CHANGE_PCT, Decimal("-3.0000")),
    ]
    fired = []
    processor.subscribe(lambda v: fired.append(v))
    processor.process(Tape().trade("101500"))
    assert any(getattr(v, "alert_type", None) == "price_above" for v in fired)

    from dataclasses import replace

    await service.update(replace(above, threshold=Decimal("120000"), enabled=False))
    assert [r.enabled for r in service.rules if r.id == above.id] == [False]
    assert processor.price_alerts.rules and all(r.symbol == "VNM" for r in processor.price_alerts.rules)
    await service.delete(above.id)
    with pytest.raises(PriceRuleNotFoundError):
        await service.delete(above.id)
    with pytest.raises(ValueError):
        await service.add("FPT", PriceRuleKind.CHANGE_PCT, Decimal(0))
    assert DeliverySettings().route("telegram").alert_types == ()  # user alerts go everywhere by default
