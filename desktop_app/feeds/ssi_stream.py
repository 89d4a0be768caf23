"""SSI FastConnect Data live stream: a classic ASP.NET SignalR 2.x client over WebSocket.

SSI's hub (``FcMarketDataV2Hub`` under ``{stream}v2.0/signalr``) speaks the *classic* SignalR
protocol (negotiate / connect / start, ``{"H","M","A","I"}`` invocations, ``{"C","M"}`` frames),
which ASP.NET Core SignalR clients cannot talk to. The protocol is small, so it is spoken here
directly on top of ``websockets`` (asyncio-native, maintained, custom headers for the Bearer
token) instead of a thread-based third-party SignalR client.

One connection lifetime::

    negotiate (Bearer token) -> connect (WebSocket) -> init frame {"S":1} -> start
    -> SwitchChannels x N (one channel string per call) -> LIVE: Broadcast frames ...

Anything that goes wrong after that (socket dropped, no frame within the keep-alive timeout,
server "reconnect"/"disconnect" command) leads to RECONNECTING: exponential backoff with jitter,
a token fetched again from the provider (it may have expired), a fresh negotiate, and every
channel subscribed again — the hub does not remember a lost connection's subscriptions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import websockets
from websockets.exceptions import InvalidStatus, WebSocketException

from desktop_app.errors import ConfigurationError, MissingCredentialsError, StockTrackerError
from desktop_app.feeds.base import FeedState, FeedStateHolder
from desktop_app.feeds.interruptible_sleep import sleep_unless_set
from desktop_app.feeds.reconnect_backoff import jittered_backoff

log = logging.getLogger(__name__)

HUB_NAME = "FcMarketDataV2Hub"
SIGNALR_PATH = "v2.0/signalr/"
CLIENT_PROTOCOL = "1.5"
CONNECTION_DATA = json.dumps([{"name": HUB_NAME}], separators=(",", ":"))
DEFAULT_KEEPALIVE_TIMEOUT_S = 20.0  # SignalR 2.x default; the hub's negotiate answer wins
PING_INTERVAL_S = 20.0  # WebSocket pings, only when the hub disables its keep-alives

DEFAULT_CHANNELS: tuple[str, ...] = ("X-TRADE:ALL", "X-QUOTE:ALL", "R:ALL", "MI:VN30")
"""Why ``ALL`` rather than the VN30 symbols: the futures contract codes roll every month (and
changed naming scheme to KRX codes), and the basket changes twice a year; ``ALL`` can never miss
the front-month contract or a new member, at the cost of more traffic the processor filters.
Each channel is one ``SwitchChannels`` call (the hub's add-vs-replace semantics are unconfirmed,
one channel per call is what SSI's own SDK does)."""

TokenProvider = Callable[[], Awaitable[str]]


class _RedactCredentials(logging.Filter):
    """websockets logs handshake headers at DEBUG: keep the bearer token and cookies out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 2:
            key = str(record.args[0]).lower()
            if key in ("authorization", "cookie"):
                record.args = (record.args[0], "<redacted>")
        return True


_ws_log = logging.getLogger(__name__ + ".websocket")
_ws_log.addFilter(_RedactCredentials())


class SsiStreamError(StockTrackerError):
    """The live stream cannot be (re)established."""


class _SessionLost(Exception):
    """This connection is unusable; the feed reconnects."""


@dataclass(frozen=True, slots=True)
class SsiStreamStats:
    """Counters for the status bar and the logs."""

    connects: int
    reconnects: int
    frames: int
    keepalives: int
    envelopes: int
    hub_errors: int
    invocation_errors: int
    seconds_since_last_frame: float | None


_RETRYABLE = (
    _SessionLost,
    WebSocketException,
    OSError,
    asyncio.TimeoutError,
    httpx.HTTPError,
    StockTrackerError,  # e.g. SsiUnavailableError from the token provider; not ConfigurationError
)


class SsiStreamFeed(FeedStateHolder):
    """The live SSI feed: implements ``feeds.base.Feed``."""

    name = "ssi"

    def __init__(
        self,
        stream_url: str,
        token_provider: TokenProvider,
        channels: Sequence[str] = DEFAULT_CHANNELS,
        *,
        keepalive_timeout: float | None = None,
        reconnect_base_s: float = 1.0,
        reconnect_max_s: float = 30.0,
        max_failed_attempts: int | None = None,
        invalidate_token: Callable[[], None] | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
        open_timeout_s: float = 10.0,
        init_timeout_s: float = 5.0,
        call_start: bool = True,
    ) -> None:
        super().__init__(FeedState.CONNECTING)
        if not channels:
            raise ValueError("at least one channel is needed")
        parts = urlsplit(stream_url if stream_url.endswith("/") else stream_url + "/")
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"stream URL must be http(s), got {stream_url!r}")
        self._http_base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self._ws_base = urlunsplit(("wss" if parts.scheme == "https" else "ws",
                                    parts.netloc, parts.path, "", ""))
        self._token_provider = token_provider
        self.channels = tuple(channels)
        self._keepalive_override = keepalive_timeout
        self.reconnect_base_s = reconnect_base_s
        self.reconnect_max_s = reconnect_max_s
        self.max_failed_attempts = max_failed_attempts
        self._invalidate_token = invalidate_token
        self._on_close = on_close
        self.open_timeout_s = open_timeout_s
        self.init_timeout_s = init_timeout_s
        self.call_start = call_start
        self.keepalive_timeout_s: float | None = keepalive_timeout or DEFAULT_KEEPALIVE_TIMEOUT_S
        self._http = httpx.AsyncClient(timeout=open_timeout_s)
        self._ws: Any = None
        self._closing = False
        self._closed = False
        self._iterating = False
        self._wake = asyncio.Event()
        self._buffer: list[str] = []
        self._pending_calls: dict[str, str] = {}
        self._next_call_id = 0
        self._connects = 0
        self._reconnects = 0
        self._frames = 0
        self._keepalives = 0
        self._envelopes = 0
        self._hub_errors = 0
        self._invocation_errors = 0
        self._last_frame_at: float | None = None

    # ------------------------------------------------------------------ public
    @property
    def stats(self) -> SsiStreamStats:
        since = None if self._last_frame_at is None else time.monotonic() - self._last_frame_at
        return SsiStreamStats(self._connects, self._reconnects, self._frames, self._keepalives,
                              self._envelopes, self._hub_errors, self._invocation_errors, since)

    async def envelopes(self) -> AsyncIterator[str]:
        """Broadcast envelope texts (``{"DataType":..,"Content":"<json>"}``) until closed."""
        if self._iterating:
            raise RuntimeError("SsiStreamFeed.envelopes() can only be iterated once")
        self._iterating = True
        failures = 0
        try:
            while not self._closing:
                try:
                    ws = await self._open_session()
                except ConfigurationError:
                    self._set_state(FeedState.FAILED)
                    raise
                except _RETRYABLE as exc:
                    await self._close_socket()
                    if self._closing:
                        break
                    failures += 1
                    log.warning("SSI stream: cannot connect to %s (attempt %d): %s",
                                self._http_base, failures, _describe(exc))
                    if self.max_failed_attempts and failures >= self.max_failed_attempts:
                        self._set_state(FeedState.FAILED)
                        raise SsiStreamError(
                            f"SSI stream unreachable after {failures} attempts: {_describe(exc)}"
                        ) from exc
                    self._set_state(FeedState.RECONNECTING)
                    await self._pause(failures)
                    continue
                except Exception:
                    if self._closing:  # close() shut the HTTP client under a pending call
                        break
                    raise
                failures = 0
                try:
                    while self._buffer:
                        yield self._buffer.pop(0)
                    while True:
                        for text in self._handle_frame(await self._receive(ws)):
                            yield text
                except _RETRYABLE as exc:
                    if self._closing:
                        break
                    self._reconnects += 1
                    log.warning("SSI stream: connection lost (%s); reconnecting", _describe(exc))
                    self._set_state(FeedState.RECONNECTING)
                    await self._close_socket()
                    await self._pause(1)
        finally:
            await self._close_socket()
            if self._state is not FeedState.FAILED:
                self._set_state(FeedState.ENDED)

    async def close(self) -> None:
        """Stop the feed; a running ``envelopes()`` iteration ends. Idempotent."""
        if self._closed:
            return
        self._closed = self._closing = True
        self._wake.set()
        await self._close_socket()
        await self._http.aclose()
        if not self._iterating:
            self._set_state(FeedState.ENDED)
        if self._on_close is not None:
            await self._on_close()

    # ------------------------------------------------------------------ connection
    def _signalr_url(self, action: str, base: str | None = None, **extra: str) -> str:
        query = {**extra, "connectionData": CONNECTION_DATA, "clientProtocol": CLIENT_PROTOCOL}
        return f"{base or self._http_base}{SIGNALR_PATH}{action}?{urlencode(query)}"

    def _refused(self, what: str, status: int) -> _SessionLost:
        if status in (401, 403) and self._invalidate_token is not None:
            self._invalidate_token()  # the next attempt asks the provider for a new token
        return _SessionLost(f"{what} answered HTTP {status}")

    async def _open_session(self) -> Any:
        """negotiate -> connect -> init -> start -> subscribe; returns the live socket."""
        token = await self._token_provider()
        if self._closing:
            raise _SessionLost("closing")
        headers = {"Authorization": f"Bearer {token}"}
        response = await self._http.get(self._signalr_url("negotiate"), headers=headers)
        if response.status_code != 200:
            raise self._refused("negotiate", response.status_code)
        try:
            negotiated = response.json()
            connection_token = str(negotiated["ConnectionToken"])
        except (ValueError, KeyError, TypeError):
            raise _SessionLost("negotiate answer has no ConnectionToken") from None
        if negotiated.get("TryWebSockets") is False:
            log.warning("SSI hub does not offer WebSockets; trying anyway (the only transport "
                        "this client speaks)")
        advertised = negotiated.get("KeepAliveTimeout", DEFAULT_KEEPALIVE_TIMEOUT_S)
        if self._keepalive_override:
            self.keepalive_timeout_s = self._keepalive_override
        elif isinstance(advertised, (int, float)) and advertised > 0:
            self.keepalive_timeout_s = float(advertised)
        elif advertised is None:
            # The hub has keep-alives switched off: a quiet market must not look like a dead
            # socket, so liveness falls back to WebSocket pings.
            self.keepalive_timeout_s = None
        else:
            self.keepalive_timeout_s = DEFAULT_KEEPALIVE_TIMEOUT_S
        if self._closing:
            raise _SessionLost("closing")

        transport_query = {"transport": "webSockets", "connectionToken": connection_token}
        ws_headers = dict(headers)
        if response.cookies:  # sticky-session cookies of a load balancer, if any
            ws_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in response.cookies.items())
        try:
            ws = await websockets.connect(
                self._signalr_url("connect", self._ws_base, **transport_query),
                additional_headers=ws_headers,
                open_timeout=self.open_timeout_s,
                # SignalR's own keep-alive frames are the liveness signal when the hub sends them.
                ping_interval=None if self.keepalive_timeout_s else PING_INTERVAL_S,
                ping_timeout=PING_INTERVAL_S,
                max_size=16 * 2**20,
                close_timeout=2,
                logger=_ws_log,
            )
        except InvalidStatus as exc:
            raise self._refused("connect", exc.response.status_code) from None
        self._ws = ws
        if self._closing:
            raise _SessionLost("closing")
        self._connects += 1
        self._pending_calls.clear()
        self._next_call_id = 0
        await self._await_init(ws)
        if self.call_start:
            await self._start(transport_query, ws_headers)
        for channel in self.channels:
            await self._invoke(ws, "SwitchChannels", channel)
        log.info("SSI stream live on %s (channels: %s; keep-alive timeout %s s)",
                 self._http_base, ", ".join(self.channels), self.keepalive_timeout_s or "none")
        self._set_state(FeedState.LIVE)
        return ws

    async def _await_init(self, ws: Any) -> None:
        """Wait for the hub's ``{"S":1}`` init frame; tolerate its absence (defensive)."""
        deadline = time.monotonic() + min(self.init_timeout_s,
                                          self.keepalive_timeout_s or self.init_timeout_s)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("SSI stream: no init frame from the hub; continuing")
                return
            try:
                async with asyncio.timeout(remaining):
                    text = await ws.recv()
            except TimeoutError:
                continue
            initialized = self._is_init(text)
            self._buffer.extend(self._handle_frame(text))
            if initialized:
                return

    @staticmethod
    def _is_init(text: Any) -> bool:
        try:
            frame = json.loads(text)
        except (TypeError, ValueError):
            return False
        return isinstance(frame, dict) and frame.get("S") in (1, "1")

    async def _start(self, transport_query: dict[str, str], headers: dict[str, str]) -> None:
        """The classic client's ``start`` call; SSI's SDK skips it, so failures only warn."""
        try:
            response = await self._http.get(
                self._signalr_url("start", **transport_query), headers=headers
            )
            if response.status_code != 200 or "started" not in response.text:
                log.warning("SSI stream: start answered HTTP %d %s; continuing",
                            response.status_code, response.text[:200])
        except httpx.HTTPError as exc:
            log.warning("SSI stream: start call failed (%s); continuing", _describe(exc))

    async def _invoke(self, ws: Any, method: str, argument: str) -> None:
        call_id = self._next_call_id
        self._next_call_id += 1
        self._pending_calls[str(call_id)] = argument
        await ws.send(json.dumps({"H": HUB_NAME, "M": method, "A": [argument], "I": call_id},
                                 separators=(",", ":")))

    async def _receive(self, ws: Any) -> Any:
        if self.keepalive_timeout_s is None:
            return await ws.recv()
        try:
            async with asyncio.timeout(self.keepalive_timeout_s):
                return await ws.recv()
        except TimeoutError:
            raise _SessionLost(
                f"no frame within the {self.keepalive_timeout_s:g} s keep-alive timeout"
            ) from None

    async def _close_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                await ws.close()
            except (WebSocketException, OSError) as exc:
                log.debug("SSI stream: closing the socket failed: %s", exc)

    async def _pause(self, failures: int) -> None:
        """Exponential backoff with jitter; ``close()`` cuts it short."""
        delay = jittered_backoff(failures - 1, self.reconnect_base_s, self.reconnect_max_s)
        await sleep_unless_set(self._wake, delay)

    # ------------------------------------------------------------------ frames
    def _handle_frame(self, text: Any) -> list[str]:
        """Envelopes carried by one frame; hub errors and invocation results are logged."""
        self._frames += 1
        self._last_frame_at = time.monotonic()
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        if text.strip() in ("", "{}"):
            self._keepalives += 1
            return []
        try:
            frame = json.loads(text)
        except ValueError:
            log.warning("SSI stream: frame is not JSON: %.200s", text)
            return []
        if not isinstance(frame, dict):
            log.warning("SSI stream: unexpected frame: %.200s", text)
            return []
        if "I" in frame:
            self._invocation_result(frame)
        if frame.get("D") in (1, "1") or frame.get("T") in (1, "1"):  # 1 == True too
            raise _SessionLost("the hub asked the client to reconnect")
        out: list[str] = []
        for message in frame.get("M") or ():
            if not isinstance(message, dict) or str(message.get("H", "")).lower() != HUB_NAME.lower():
                log.debug("SSI stream: ignoring message %.200s", message)
                continue
            method = str(message.get("M", "")).lower()
            args = message.get("A") or []
            if method == "broadcast" and args:
                payload = args[0]
                out.append(payload if isinstance(payload, str)
                           else json.dumps(payload, separators=(",", ":")))
            elif method == "error":
                self._hub_errors += 1
                log.warning("SSI hub reported an error (channels %s): %s",
                            ", ".join(self.channels), args)
            else:
                log.debug("SSI stream: ignoring hub call %s", method)
        self._envelopes += len(out)
        return out

    def _invocation_result(self, frame: dict[str, Any]) -> None:
        call_id = str(frame.get("I"))
        argument = self._pending_calls.pop(call_id, None)
        if frame.get("E"):
            self._invocation_errors += 1
            log.error("SSI hub refused call %s (%s): %s", call_id, argument, frame["E"])
        else:
            log.debug("SSI hub accepted call %s (%s)", call_id, argument)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def ssi_live_feed(
    settings: Any, *, channels: Sequence[str] = DEFAULT_CHANNELS
) -> SsiStreamFeed:
    """The live feed for ``settings`` (``config.Settings``), with its own REST client for tokens.

    Wrong credentials fail here (``SsiAuthError``, exit 2); an unreachable SSI does not — the
    feed keeps retrying and shows RECONNECTING.
    """
    from desktop_app.feeds.ssi_rest import SsiApiError, SsiAuthError, SsiRestClient

    if not settings.has_ssi_credentials:
        raise MissingCredentialsError(
            "the SSI live feed needs FastConnect Data credentials: set SSI_CONSUMER_ID and "
            "SSI_CONSUMER_SECRET in the environment, or enter them in Settings in the GUI"
        )
    rest = SsiRestClient(settings.ssi_data_url, settings.ssi_consumer_id,
                         settings.ssi_consumer_secret, pace_s=settings.rest_pace_s)
    try:
        await rest.access_token()
    except SsiAuthError:
        await rest.aclose()
        raise
    except SsiApiError as exc:
        log.warning("SSI token not available yet (%s); the live feed will keep trying", exc)
    return SsiStreamFeed(settings.ssi_stream_url, rest.access_token, channels,
                         invalidate_token=rest.invalidate_token, on_close=rest.aclose)
