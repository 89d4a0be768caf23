"""Push channels: what one delivery of one alert looks like on the wire, and how its answer reads.

A channel's ``send`` returns when the receiver accepted the alert, or raises:

* ``RetryableDeliveryError`` — 429 (with the wait the receiver asked for: Telegram's
  ``parameters.retry_after`` or an HTTP ``Retry-After``), 5xx, 408, or a network error / timeout;
* ``PermanentDeliveryError`` — any other refusal (401 wrong token, 403 bot blocked, 400 "chat not
  found", 404 ...): retrying cannot help, so the service stops the channel.

Error texts are one line and never hold a secret: the Telegram token sits in the URL path, so no
URL and no httpx exception text goes out unredacted (``redact``); httpx's own INFO line
"HTTP Request: POST <url>" is kept out of the logs by ``quiet_http_client_logs``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)

_REASON_CHARS = 200


@dataclass(frozen=True, slots=True)
class OutgoingAlert:
    """One alert as a channel sends it."""

    alert_id: int
    symbol: str
    alert_type: str
    severity: str
    message: str
    time: datetime  # the alert's market time, Vietnam time
    delayed: bool  # pending at the last exit: delivered at this start

    @property
    def clock(self) -> str:
        return self.time.strftime("%H:%M:%S")

    def text(self) -> str:
        """Plain text for a chat: symbol, alert, Vietnam time, then the message."""
        late = " (delayed)" if self.delayed else ""
        title = f"{self.symbol} · {self.alert_type.replace('_', ' ')} · {self.clock}{late}"
        return f"{title}\n{self.message}" if self.message else title


class DeliveryError(Exception):
    """A delivery did not happen; ``reason`` is one line without secrets."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryableDeliveryError(DeliveryError):
    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class PermanentDeliveryError(DeliveryError):
    pass


class Channel(Protocol):
    """A push target. ``name`` is the key of its rows in ``alert_deliveries``."""

    name: str

    async def send(self, alert: OutgoingAlert) -> None: ...

    async def aclose(self) -> None: ...


def redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class _DropRequestLines(logging.Filter):
    """httpx logs every request with its URL at INFO; a Bot API URL holds the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO


def quiet_http_client_logs() -> None:
    """Keep httpx/httpcore request lines (URLs) out of every handler; idempotent."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropRequestLines) for f in logger.filters):
            logger.addFilter(_DropRequestLines())


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _REASON_CHARS else line[:_REASON_CHARS] + "…"


def _retry_after_header(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _network_error(name: str, exc: httpx.HTTPError, *secrets: str | None) -> RetryableDeliveryError:
    kind = type(exc).__name__
    detail = redact(str(exc), *secrets)
    return RetryableDeliveryError(_one_line(f"{name}: {kind}{': ' + detail if detail else ''}"))


def _bad_url(name: str) -> PermanentDeliveryError:
    return PermanentDeliveryError(f"{name}: the configured URL is not valid")


def _status_error(name: str, response: httpx.Response, description: str,
                  retry_after: float | None) -> DeliveryError:
    status = response.status_code
    reason = _one_line(f"{name}: HTTP {status} {description}".rstrip())
    if status == 429:
        return RetryableDeliveryError(reason, retry_after)
    if status >= 500 or status == 408:
        return RetryableDeliveryError(reason, retry_after)
    return PermanentDeliveryError(reason)


class TelegramChannel:
    """Bot API ``sendMessage`` to one chat, plain text."""

    name = "telegram"

    def __init__(self, token: str, chat_id: str, api_url: str, *, timeout_s: float = 10.0,
                 client: httpx.AsyncClient | None = None) -> None:
        quiet_http_client_logs()
        self._token = token
        self._chat_id = chat_id
        self._url = f"{api_url.rstrip('/')}/bot{token}/sendMessage"
        self._client = client or httpx.AsyncClient(timeout=timeout_s)

    def __repr__(self) -> str:  # the token never reaches a log line
        return f"TelegramChannel(chat_id={self._chat_id!r})"

    async def send(self, alert: OutgoingAlert) -> None:
        payload = {"chat_id": self._chat_id, "text": alert.text(), "disable_web_page_preview": True}
        try:
            response = await self._client.post(self._url, json=payload)
        except httpx.HTTPError as exc:
            raise _network_error("Telegram", exc, self._token) from None
        except httpx.InvalidURL:  # its text would quote the URL, token included
            raise _bad_url("Telegram") from None
        body = _json_body(response)
        if response.status_code == 200 and body is not None and body.get("ok") is True:
            return
        description = ""
        retry_after = _retry_after_header(response)
        if body is not None:
            description = redact(str(body.get("description", "")), self._token)
            parameters = body.get("parameters")
            if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), (int, float)):
                retry_after = float(parameters["retry_after"])
        if response.status_code == 200:  # 200 without ok:true is not a delivery
            raise RetryableDeliveryError(_one_line(f"Telegram: unexpected answer {description}"))
        if response.status_code == 401:
            description = f"{description} (check the bot token)".strip()
        raise _status_error("Telegram", response, description, retry_after)

    async def aclose(self) -> None:
        await self._client.aclose()


class WebhookChannel:
    """One JSON POST per alert; ``Idempotency-Key`` lets a receiver drop a repeat."""

    name = "webhook"

    def __init__(self, url: str, *, timeout_s: float = 10.0, client: httpx.AsyncClient | None = None) -> None:
        quiet_http_client_logs()
        self._url = url
        self._client = client or httpx.AsyncClient(timeout=timeout_s)

    def __repr__(self) -> str:  # a webhook URL may carry a secret path or query
        return f"WebhookChannel(host={httpx.URL(self._url).host!r})"

    @staticmethod
    def payload(alert: OutgoingAlert) -> dict[str, Any]:
        return {
            "alert_id": alert.alert_id,
            "symbol": alert.symbol,
            "alert_type": alert.alert_type,
            "severity": alert.severity,
            "message": alert.message,
            "time": alert.time.isoformat(),
            "delayed": alert.delayed,
        }

    async def send(self, alert: OutgoingAlert) -> None:
        headers = {"Idempotency-Key": f"stock-tracker-alert-{alert.alert_id}"}
        try:
            response = await self._client.post(self._url, json=self.payload(alert), headers=headers)
        except httpx.HTTPError as exc:
            raise _network_error("webhook", exc, self._url) from None
        except httpx.InvalidURL:
            raise _bad_url("webhook") from None
        if 200 <= response.status_code < 300:
            return
        raise _status_error("webhook", response, _one_line(redact(response.text, self._url))[:80],
                            _retry_after_header(response))

    async def aclose(self) -> None:
        await self._client.aclose()
