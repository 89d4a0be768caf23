"""Alert push: Telegram, webhook and (registered by the GUI) desktop channels behind one outbox.

``channels`` says what goes on the wire; ``service`` guarantees exactly-once per alert and
channel across restarts (see its docstring).
"""

from desktop_app.services.alert_delivery.channels import (
    Channel,
    DeliveryError,
    OutgoingAlert,
    PermanentDeliveryError,
    RetryableDeliveryError,
    TelegramChannel,
    WebhookChannel,
)
from desktop_app.services.alert_delivery.service import (
    AlertDeliveryService,
    ChannelState,
    ChannelStatus,
    configured_channels,
    opened_pool_of,
)

__all__ = [
    "AlertDeliveryService", "Channel", "ChannelState", "ChannelStatus", "DeliveryError", "OutgoingAlert",
    "PermanentDeliveryError", "RetryableDeliveryError", "TelegramChannel", "WebhookChannel",
    "configured_channels", "opened_pool_of",
]
