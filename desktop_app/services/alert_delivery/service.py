"""AlertDeliveryService: stored alerts -> push channels, exactly once per alert and channel.

Recording comes first. The service never sits between the feed and the writer: it reads alerts
the writer has already COMMITTED (``alert_deliveries`` is an outbox filled from the ``alerts``
table), on the same loop, one small query at a time. A slow or dead channel only delays its own
queue; ingest never waits for it.

The guarantee, per channel, one alert at a time in alert order:

1. claim: a delivery row is created for each committed alert (``pending``, or ``skipped`` when
   the channel's route leaves it out); ``ON CONFLICT DO NOTHING`` makes claims idempotent.
2. ``pending -> sending`` (attempts + 1) is committed BEFORE the request goes out.
3. the request; on success ``sending -> sent`` is committed. If that commit fails (database
   down), the service keeps the fact in memory and retries the commit, never the send.

A crash between 2 and 3 leaves that one row ``sending``: at the next start it is sent again
(marked delayed). Because each channel has at most one request in flight, at most ONE alert per
channel can reach its receiver twice; the webhook's ``Idempotency-Key`` header lets a receiver
drop even that one. Nothing is ever marked sent without a successful answer, so nothing is lost.

Failures: 429 waits what the receiver asked (``retry_after`` / ``Retry-After``), 5xx, 408 and
network errors back off exponentially (``retry_base_s`` doubling to ``retry_max_s``); the same
alert is retried until it goes, so order holds. A permanent refusal (401/403/400 ...) marks that
delivery ``failed``, stores the one-line reason on the channel and stops the channel for this
run: its other deliveries stay pending for the next start (after the user fixed the token/chat).

At start, deliveries left open by an earlier run, and alerts stored before this run began, are
flagged ``delayed``. At stop, a bounded wait (``exit_wait_s``) sends what it can; the rest stays
pending in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence

import asyncpg

from desktop_app.config import DeliverySettings, Settings
from desktop_app.database.connection import PoolProvider, as_pool_provider
from desktop_app.database.repositories import alert_delivery_repository as outbox
from desktop_app.errors import DatabaseConfigurationError
from desktop_app.services.alert_delivery.channels import (
    Channel,
    OutgoingAlert,
    PermanentDeliveryError,
    RetryableDeliveryError,
    TelegramChannel,
    WebhookChannel,
)

log = logging.getLogger(__name__)

CLAIM_SLACK = 1_000  # ids below the highest claimed one that are looked at again (late commits)
COUNTS_EVERY_S = 5.0  # pending/failed figures for the status bar and metrics
_DATABASE_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError,
                    DatabaseConfigurationError)


class ChannelState(str, enum.Enum):
    STARTING = "starting"
    OK = "ok"
    RETRYING = "retrying"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    """What Settings and the status bar show for one channel."""

    channel: str
    state: ChannelState
    reason: str | None  # one line, no secrets (the last error, or why the channel stopped)
    pushed: int  # sent in this run
    pending: int  # open in the database (last count)
    failed: int  # refused for good (last count)


StatusListener = Callable[[ChannelStatus], None]


def opened_pool_of(provider: Any) -> PoolProvider:
    """The pool of a reconnecting provider (``record``'s) once IT has opened the database.

    WHY: the writer's provider opens (and migrates) the database on demand; a second caller
    opening it concurrently would race it. Delivery and health checks only follow.
    """

    async def opened() -> asyncpg.Pool:
        database = getattr(provider, "database", None)
        if database is None:
            raise DatabaseConfigurationError("the database is not reachable yet")
        return database.pool

    return opened


def configured_channels(settings: Settings) -> list[Channel]:
    """The network channels the settings configure (Telegram needs token and chat id)."""
    delivery = settings.delivery
    channels: list[Channel] = []
    if settings.telegram_bot_token and delivery.telegram_chat_id:
        channels.append(TelegramChannel(settings.telegram_bot_token, delivery.telegram_chat_id,
                                        settings.telegram_api_url, timeout_s=delivery.http_timeout_s))
    if delivery.webhook_url:
        channels.append(WebhookChannel(delivery.webhook_url, timeout_s=delivery.http_timeout_s))
    return channels


class _Lane:
    """One channel's worker state."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.name = channel.name
        self.wake = asyncio.Event()
        self.idle = asyncio.Event()  # set while the lane found nothing open after the last claim
        self.registered = asyncio.Event()  # its alert_channels row exists: claims may start
        self.state = ChannelState.STARTING
        self.reason: str | None = None
        self.pushed = 0
        self.pending = 0
        self.failed = 0
        self.claimed_through = 0
        self.task: asyncio.Task[None] | None = None
        self.unrecorded: int | None = None  # alert id sent but not yet marked sent


class AlertDeliveryService:
    def __init__(self, settings: DeliverySettings, database: Any, channels: Sequence[Channel] = ()) -> None:
        self._settings = settings
        self._pool = as_pool_provider(database, "AlertDeliveryService")
        self._lanes: dict[str, _Lane] = {}
        self._listeners: list[StatusListener] = []
        self._start_max_id = 0
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._claimed = asyncio.Event()
        self._last_counts = 0.0
        for channel in channels:
            self.add_channel(channel)

    # ------------------------------------------------------------------ public
    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self._lanes)

    def add_channel(self, channel: Channel) -> None:
        """Register a channel (the GUI adds the desktop one); before or after ``start``."""
        if channel.name in self._lanes:
            raise ValueError(f"channel {channel.name!r} is already registered")
        lane = _Lane(channel)
        self._lanes[channel.name] = lane
        if self._ready.is_set():
            self._spawn_lane(lane)

    def update_settings(self, settings: DeliverySettings) -> None:
        """New routing / pacing from the Settings (routes apply to alerts claimed from now on)."""
        self._settings = settings

    def add_status_listener(self, listener: StatusListener) -> None:
        self._listeners.append(listener)

    def status(self, channel: str) -> ChannelStatus:
        lane = self._lanes[channel]
        return ChannelStatus(channel, lane.state, lane.reason, lane.pushed, lane.pending, lane.failed)

    def statuses(self) -> list[ChannelStatus]:
        return [self.status(name) for name in self._lanes]

    def nudge(self) -> None:
        """Look for new alerts now (e.g. right after the writer flushed) instead of at the next poll."""
        self._claimed.set()

    async def start(self) -> None:
        """Returns at once: the database may still be down; the service keeps trying."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="alert-delivery")

    async def stop(self, wait_s: float | None = None) -> None:
        """Claim what the writer committed last, send for at most ``wait_s``, then stop."""
        wait_s = self._settings.exit_wait_s if wait_s is None else wait_s
        deadline = time.monotonic() + wait_s

        async def within_deadline(awaitable: Awaitable[Any]) -> None:
            with contextlib.suppress(asyncio.TimeoutError, *_DATABASE_ERRORS):
                await asyncio.wait_for(awaitable, max(0.0, deadline - time.monotonic()))

        await within_deadline(self._ready.wait())
        if self._ready.is_set():
            await within_deadline(asyncio.gather(*(lane.registered.wait() for lane in self._running_lanes())))
            await within_deadline(self._claim_all())
            lanes = self._running_lanes()
            for lane in lanes:
                lane.idle.clear()
                lane.wake.set()
            if lanes:
                await within_deadline(asyncio.gather(*(lane.idle.wait() for lane in lanes)))
        tasks = [t for t in (self._task, *(lane.task for lane in self._lanes.values())) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for lane in self._lanes.values():
            if lane.unrecorded is not None:
                log.warning("%s: alert %d was delivered but the database could not record it; it may "
                            "be sent again at the next start", lane.name, lane.unrecorded)
        with contextlib.suppress(asyncio.TimeoutError, *_DATABASE_ERRORS):
            await asyncio.wait_for(self._refresh_counts(), 2.0)
        for lane in self._lanes.values():
            if lane.pending:
                why = f" ({lane.reason})" if lane.reason else ""
                log.warning("%s: %d alerts not pushed yet%s; they go out at the next start",
                            lane.name, lane.pending, why)
        for lane in self._lanes.values():
            with contextlib.suppress(Exception):
                await lane.channel.aclose()

    def summary(self) -> dict[str, dict[str, int]]:
        """``record``'s ``pushed`` / ``push_pending`` / ``push_failed`` per channel."""
        return {
            "pushed": {n: lane.pushed for n, lane in self._lanes.items()},
            "push_pending": {n: lane.pending for n, lane in self._lanes.items()},
            "push_failed": {n: lane.failed for n, lane in self._lanes.items()},
        }

    # ------------------------------------------------------------------ start-up
    async def _run(self) -> None:
        delay = self._settings.retry_base_s
        while True:
            try:
                pool = await self._pool()
                self._start_max_id = await outbox.newest_alert_id(pool)
                break
            except Exception as exc:  # noqa: BLE001 - any start-up failure (database down): retry
                log.warning("alert delivery waits for the database: %s", exc)
                await asyncio.sleep(delay)
                delay = min(max(delay * 2, 0.05), self._settings.retry_max_s)
        self._ready.set()
        for lane in self._lanes.values():
            self._spawn_lane(lane)
        while True:
            try:
                await self._claim_all()
                if time.monotonic() - self._last_counts >= COUNTS_EVERY_S:
                    await self._refresh_counts()
            except _DATABASE_ERRORS as exc:
                log.warning("alert delivery: cannot read new alerts: %s", exc)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._claimed.wait(), self._settings.poll_s)
            self._claimed.clear()

    def _spawn_lane(self, lane: _Lane) -> None:
        lane.task = asyncio.create_task(self._lane_loop(lane), name=f"alert-delivery-{lane.name}")

    def _running_lanes(self) -> list[_Lane]:
        return [lane for lane in self._lanes.values()
                if lane.task is not None and not lane.task.done() and lane.state is not ChannelState.STOPPED]

    async def _claim_all(self) -> None:
        pool = await self._pool()
        for lane in self._running_lanes():
            if lane.state is ChannelState.STARTING:
                continue  # not registered yet: its floor is set by the lane itself
            route = self._settings.route(lane.name)
            newest = await outbox.claim_new_alerts(
                pool, lane.name, alert_types=route.alert_types, severities=route.severities,
                above_id=max(0, lane.claimed_through - CLAIM_SLACK), delayed_up_to_id=self._start_max_id,
            )
            if newest:
                lane.claimed_through = max(lane.claimed_through, newest)
                lane.wake.set()

    async def _refresh_counts(self) -> None:
        if not self._lanes:
            return
        pool = await self._pool()
        counts = await outbox.status_counts(pool, list(self._lanes))
        self._last_counts = time.monotonic()
        for name, by_status in counts.items():
            lane = self._lanes[name]
            lane.pending = by_status.get(outbox.PENDING, 0) + by_status.get(outbox.SENDING, 0)
            lane.failed = by_status.get(outbox.FAILED, 0)
            self._publish(lane)

    def _publish(self, lane: _Lane) -> None:
        status = self.status(lane.name)
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:  # noqa: BLE001 - a broken UI slot must not stop deliveries
                log.exception("alert delivery status listener failed")

    def _set_state(self, lane: _Lane, state: ChannelState, reason: str | None) -> None:
        if lane.state is state and lane.reason == reason:
            return
        lane.state, lane.reason = state, reason
        self._publish(lane)

    # ------------------------------------------------------------------ one channel
    async def _lane_loop(self, lane: _Lane) -> None:
        delay = self._settings.retry_base_s
        while True:
            try:
                if lane.state is ChannelState.STARTING:
                    pool = await self._pool()
                    record = await outbox.register_channel(pool, lane.name, self._start_max_id)
                    recovered = await outbox.recover_open_deliveries(pool, lane.name)
                    await outbox.clear_channel_error(pool, lane.name)
                    if recovered:
                        log.info("%s: %d alerts from an earlier run are delivered now (delayed)",
                                 lane.name, recovered)
                    if record.last_error:
                        log.info("%s: trying again after last run's failure: %s", lane.name, record.last_error)
                    self._set_state(lane, ChannelState.OK, None)
                    lane.registered.set()
                    self.nudge()
                if not await self._drain_lane(lane):
                    return  # stopped for good
                delay = self._settings.retry_base_s
            except _DATABASE_ERRORS as exc:
                log.warning("%s: alert delivery cannot reach the database: %s", lane.name, exc)
                await asyncio.sleep(delay)
                delay = min(max(delay * 2, 0.05), self._settings.retry_max_s)
                continue
            lane.idle.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(lane.wake.wait(), self._settings.poll_s)
            lane.wake.clear()

    async def _drain_lane(self, lane: _Lane) -> bool:
        """Send the lane's open deliveries in order; False once the channel is stopped."""
        while True:
            pool = await self._pool()
            if lane.unrecorded is not None:  # sent, not recorded: record, never resend
                await outbox.mark_sent(pool, lane.unrecorded, lane.name)
                lane.unrecorded = None
            queued = await outbox.open_deliveries(pool, lane.name)
            if not queued:
                return True
            lane.idle.clear()
            for delivery in queued:
                if not await self._deliver(lane, delivery):
                    return False

    async def _deliver(self, lane: _Lane, delivery: outbox.QueuedDelivery) -> bool:
        """Send one alert until it goes (True) or the channel refuses for good (False)."""
        alert = OutgoingAlert(
            alert_id=delivery.alert_id, symbol=delivery.symbol, alert_type=delivery.alert_type,
            severity=delivery.severity or "info", message=delivery.message or "",
            time=delivery.created_at, delayed=delivery.delayed,
        )
        attempt = 0
        while True:
            pool = await self._pool()
            if not await outbox.mark_sending(pool, delivery.alert_id, lane.name):
                return True  # no longer open (another process took it)
            try:
                await lane.channel.send(alert)
            except PermanentDeliveryError as exc:
                log.error("%s: stopped: %s (alert %d and the rest stay for the next start)",
                          lane.name, exc.reason, delivery.alert_id)
                await outbox.mark_failed(pool, delivery.alert_id, lane.name, exc.reason)
                lane.failed += 1
                self._set_state(lane, ChannelState.STOPPED, exc.reason)
                return False
            except Exception as exc:  # noqa: BLE001 - retryable, or a channel bug: keep the alert
                attempt += 1
                if isinstance(exc, RetryableDeliveryError):
                    reason, wait = exc.reason, exc.retry_after_s
                else:
                    log.exception("%s: sending alert %d failed unexpectedly", lane.name, delivery.alert_id)
                    reason, wait = f"{lane.name}: {type(exc).__name__}", None
                if wait is None:
                    wait = min(self._settings.retry_base_s * 2 ** (attempt - 1), self._settings.retry_max_s)
                log.warning("%s: alert %d not delivered (%s); retrying in %.1f s",
                            lane.name, delivery.alert_id, reason, wait)
                self._set_state(lane, ChannelState.RETRYING, reason)
                await outbox.mark_retry(pool, delivery.alert_id, lane.name, reason)
                await asyncio.sleep(wait)
                continue
            lane.unrecorded = delivery.alert_id
            await outbox.mark_sent(pool, delivery.alert_id, lane.name)
            lane.unrecorded = None
            lane.pushed += 1
            lane.pending = max(0, lane.pending - 1)
            self._set_state(lane, ChannelState.OK, None)
            return True
