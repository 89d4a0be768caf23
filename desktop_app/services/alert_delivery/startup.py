"""One call that starts a run's alert services (GUI and ``record`` alike): the user's price
rules loaded into the processor, and the delivery service on the configured channels."""

from __future__ import annotations

from typing import Any

from desktop_app.config import Settings
from desktop_app.services.alert_delivery.service import AlertDeliveryService, configured_channels
from desktop_app.services.price_alert_rules import PriceAlertRuleService, load_rules_for_recording


async def start_alert_services(settings: Settings, database: Any, processor: Any
                               ) -> tuple[AlertDeliveryService, PriceAlertRuleService]:
    """Rules first (a database that is down only means no user alerts yet), then delivery."""
    await load_rules_for_recording(database, processor.price_alerts)
    delivery = AlertDeliveryService(settings.delivery, database, configured_channels(settings))
    await delivery.start()
    return delivery, PriceAlertRuleService(database, processor.price_alerts)
