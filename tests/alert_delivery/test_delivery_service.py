"""Alert delivery against a local server that answers like the Telegram Bot API and a webhook.

Real PostgreSQL (the outbox), real HTTP on 127.0.0.1; retry delays are shortened through the
settings, never slept for real.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from desktop_app.config import AlertRoute, DeliverySettings
from desktop_app.domain import VIETNAM_TZ
from desktop_app.services.alert_delivery import (
    AlertDeliveryService,
    Channel,
    ChannelState,
    OutgoingAlert,
    TelegramChannel,
    WebhookChannel,
)
from tests.push_server.server import LocalPushServer

FAST = DeliverySettings(retry_base_s=0.01, retry_max_s=0.05, poll_s=0.05, exit_wait_s=10)


async def store_alerts(pool: asyncpg.Pool, n: int, *, start: int = 0, alert_type: str = "block_trade",
                       severity: str = "info") -> list[int]:
    """Alerts as the batch writer commits them; returns their ids."""
    rows = []
    for i in range(start, start + n):
        moment = datetime(2026, 4, 8, 9, 30, i % 60, tzinfo=VIETNAM_TZ)
        rows.append(await pool.fetchval(
            "INSERT INTO alerts (symbol, alert_type, message, severity, created_at) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING id",
            f"S{i:02d}", alert_type, f"alert number {i}", severity, moment))
    return rows


def telegram(push: LocalPushServer, token: str | None = None, chat: str | None = None) -> TelegramChannel:
    return TelegramChannel(token or push.token, chat or push.chat_id, push.url, timeout_s=5)


def webhook(push: LocalPushServer) -> WebhookChannel:
    return WebhookChannel(push.webhook_url, timeout_s=5)


async def statuses(pool: asyncpg.Pool, channel: str) -> dict[int, tuple[str, bool]]:
    rows = await pool.fetch("SELECT alert_id, status, delayed FROM alert_deliveries WHERE channel = $1", channel)
    return {r[0]: (r[1], r[2]) for r in rows}


async def run_until_delivered(service: AlertDeliveryService, push: LocalPushServer, expected: int) -> None:
    await service.start()
    try:
        await push.wait_until(lambda: len(push.messages) + len(push.hooks) >= expected)
    finally:
        await service.stop(wait_s=5)


async def test_each_alert_reaches_telegram_once_with_symbol_type_and_vietnam_time(pool) -> None:
    async with LocalPushServer() as push:
        service = AlertDeliveryService(FAST, pool, [telegram(push)])
        await service.start()
        await push.wait_until(lambda: service.status("telegram").state is ChannelState.OK)
        ids = await store_alerts(pool, 3, start=10)
        await push.wait_until(lambda: len(push.messages) == 3)
        await service.stop(wait_s=5)
    assert [m["chat_id"] for m in push.messages] == [push.chat_id] * 3
    first = push.messages[0]["text"]
    assert first.startswith("S10 · block trade · 09:30:10")
    assert "alert number 10" in first
    assert all(status == "sent" for status, _ in (await statuses(pool, "telegram")).values())
    assert set(await statuses(pool, "telegram")) == set(ids)
    assert service.summary()["pushed"] == {"telegram": 3}


async def test_429_500_and_network_errors_are_retried_in_order_and_deliver_once(pool) -> None:
    async with LocalPushServer() as push:
        service = AlertDeliveryService(FAST, pool, [telegram(push), webhook(push)])
        await service.start()
        await push.wait_until(lambda: service.status("webhook").state is ChannelState.OK)
        push.fail_next("telegram", 429, retry_after=0)
        push.fail_next("telegram", 500)
        push.fail_next("webhook", 500, times=2)
        push.fail_next("webhook", 429, retry_after=0)
        await store_alerts(pool, 5)
        await push.wait_until(lambda: len(push.messages) == 5 and len(push.hooks) == 5)
        await service.stop(wait_s=5)
    assert [m["text"].split(" ·")[0] for m in push.messages] == ["S00", "S01", "S02", "S03", "S04"]
    assert [h["symbol"] for h in push.hooks] == ["S00", "S01", "S02", "S03", "S04"]
    assert ("telegram", 429) in push.answers and ("telegram", 500) in push.answers
    assert [a for a in push.answers if a[0] == "webhook"][:3] == [("webhook", 500)] * 2 + [("webhook", 429)]
    hook = push.hooks[0]
    assert hook["alert_type"] == "block_trade" and hook["severity"] == "info"
    assert hook["message"] == "alert number 0" and hook["time"] == "2026-04-08T09:30:00+07:00"
    assert service.summary()["push_pending"] == {"telegram": 0, "webhook": 0}


class _SlowToOpen:
    """A pool provider whose calls after the first wait for ``release()``: the run has started
    (it read the newest alert) but its lanes have not registered yet, as on a busy machine."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool, self.calls = pool, 0
        self._open = asyncio.Event()

    async def __call__(self) -> asyncpg.Pool:
        self.calls += 1
        if self.calls > 1:
            await self._open.wait()
        return self._pool

    def release(self) -> None:
        self._open.set()


async def test_alerts_stored_before_a_new_channel_registers_in_this_run_are_delivered(pool) -> None:
    await store_alerts(pool, 2)  # older history: never replayed to the new channel
    async with LocalPushServer() as push:
        provider = _SlowToOpen(pool)
        service = AlertDeliveryService(FAST, provider, [telegram(push)])
        await service.start()
        await push.wait_until(lambda: provider.calls >= 2)  # the run began; registration waits
        ids = await store_alerts(pool, 3, start=10)
        provider.release()
        await push.wait_until(lambda: len(push.messages) == 3)
        await service.stop(wait_s=5)
    assert [m["text"].split(" ·")[0] for m in push.messages] == ["S10", "S11", "S12"]
    assert all("(delayed)" not in m["text"] for m in push.messages)
    assert sorted(await statuses(pool, "telegram")) == ids


async def test_telegram_retry_after_is_honoured(pool, caplog) -> None:
    async with LocalPushServer() as push:
        service = AlertDeliveryService(FAST, pool, [telegram(push)])
        await service.start()
        await push.wait_until(lambda: service.status("telegram").state is ChannelState.OK)
        push.fail_next("telegram", 429, retry_after=1)
        with caplog.at_level(logging.WARNING, logger="desktop_app.services.alert_delivery"):
            await store_alerts(pool, 1)
            await push.wait_until(lambda: len(push.messages) == 1)
        await service.stop(wait_s=5)
    assert "Too Many Requests: retry after 1); retrying in 1.0 s" in caplog.text


async def test_network_error_is_retried_until_the_receiver_is_back(pool) -> None:
    async with LocalPushServer() as push:
        url = push.url
    # nothing listens on that port any more: connection refused
    async with LocalPushServer() as push:
        dead = TelegramChannel(push.token, push.chat_id, url, timeout_s=2)
        service = AlertDeliveryService(FAST, pool, [dead])
        await service.start()
        await push.wait_until(lambda: service.status("telegram").state is ChannelState.OK)
        await store_alerts(pool, 1)
        await push.wait_until(lambda: service.status("telegram").state is ChannelState.RETRYING)
        assert "ConnectError" in (service.status("telegram").reason or "")
        await service.stop(wait_s=0.2)
    rows = await statuses(pool, "telegram")
    assert [status for status, _ in rows.values()] == ["pending"]


@pytest.mark.parametrize("fault, reason", [
    ("token", "Telegram: HTTP 401 Unauthorized (check the bot token)"),
    ("chat", "Telegram: HTTP 400 Bad Request: chat not found"),
])
async def test_permanent_refusal_stops_the_channel_after_the_first_answer(pool, fault, reason) -> None:
    async with LocalPushServer() as push:
        channel = telegram(push, token="999:WRONG-token") if fault == "token" else telegram(push, chat="777")
        service = AlertDeliveryService(FAST, pool, [channel])
        await service.start()
        await push.wait_until(lambda: service.status("telegram").state is not ChannelState.STARTING)
        await store_alerts(pool, 3)
        await push.wait_until(lambda: service.status("telegram").state is ChannelState.STOPPED)
        await asyncio.sleep(0.3)  # several poll intervals: nothing more is tried
        await service.stop(wait_s=1)
    assert len(push.answers) == 1
    status = service.status("telegram")
    assert status.reason == reason
    assert "\n" not in status.reason and "WRONG" not in status.reason
    rows = sorted((await statuses(pool, "telegram")).items())
    assert [s for _, (s, _) in rows] == ["failed", "pending", "pending"]
    assert await pool.fetchval("SELECT last_error FROM alert_channels WHERE channel = 'telegram'") == reason
    assert service.summary()["push_failed"] == {"telegram": 1}


async def test_pending_at_exit_is_delivered_at_next_start_marked_delayed(pool) -> None:
    async with LocalPushServer() as push:
        push.down = True
        first = AlertDeliveryService(FAST, pool, [telegram(push), webhook(push)])
        await first.start()
        await push.wait_until(lambda: first.status("webhook").state is ChannelState.OK
                              and first.status("telegram").state is ChannelState.OK)
        await store_alerts(pool, 4)
        await push.wait_until(lambda: first.status("webhook").state is ChannelState.RETRYING)
        await first.stop(wait_s=0.2)
        assert first.summary()["push_pending"] == {"telegram": 4, "webhook": 4}
        assert push.messages == [] and push.hooks == []

        push.down = False
        second = AlertDeliveryService(FAST, pool, [telegram(push), webhook(push)])
        await run_until_delivered(second, push, 8)
    assert len(push.messages) == 4 and len(push.hooks) == 4
    assert all("(delayed)" in m["text"] for m in push.messages)
    assert all(h["delayed"] is True for h in push.hooks)
    assert second.summary()["push_pending"] == {"telegram": 0, "webhook": 0}


class _CrashAfterSend:
    """Sends for real, then never returns: the process 'dies' before the sent mark commits."""

    def __init__(self, inner: Channel, crash_on: int) -> None:
        self.inner, self.name, self.crash_on, self.sent = inner, inner.name, crash_on, 0
        self.crashed = asyncio.Event()

    async def send(self, alert: OutgoingAlert) -> None:
        await self.inner.send(alert)
        self.sent += 1
        if self.sent == self.crash_on:
            self.crashed.set()
            await asyncio.Event().wait()

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_crash_between_send_and_commit_repeats_at_most_the_one_in_flight_alert(pool) -> None:
    async with LocalPushServer() as push:
        crashing = _CrashAfterSend(webhook(push), crash_on=3)
        first = AlertDeliveryService(FAST, pool, [crashing])
        await first.start()
        await push.wait_until(lambda: first.status("webhook").state is ChannelState.OK)
        ids = await store_alerts(pool, 6)
        await asyncio.wait_for(crashing.crashed.wait(), 20)
        await first.stop(wait_s=0)  # the crash: tasks die where they are
        assert (await statuses(pool, "webhook"))[ids[2]][0] == "sending"

        second = AlertDeliveryService(FAST, pool, [webhook(push)])
        await run_until_delivered(second, push, 7)
    keys = [h["_key"] for h in push.hooks]
    assert [h["symbol"] for h in push.hooks] == ["S00", "S01", "S02", "S02", "S03", "S04", "S05"]
    assert keys[2] == keys[3] == f"stock-tracker-alert-{ids[2]}"  # a receiver can drop the repeat
    assert all(s == "sent" for s, _ in (await statuses(pool, "webhook")).values())


async def test_routing_sends_only_the_chosen_types_and_severities(pool) -> None:
    routes = {"webhook": AlertRoute(severities=("warning",)), "telegram": AlertRoute(alert_types=("floor_hit",))}
    settings = replace(FAST, routes=routes)
    async with LocalPushServer() as push:
        service = AlertDeliveryService(settings, pool, [telegram(push), webhook(push)])
        await service.start()
        await push.wait_until(lambda: service.status("telegram").state is ChannelState.OK
                              and service.status("webhook").state is ChannelState.OK)
        await store_alerts(pool, 2, alert_type="block_trade", severity="info")
        await store_alerts(pool, 1, start=5, alert_type="floor_hit", severity="warning")
        await push.wait_until(lambda: len(push.messages) == 1 and len(push.hooks) == 1)
        await service.stop(wait_s=2)
    assert push.messages[0]["text"].startswith("S05 · floor hit")
    assert push.hooks[0]["symbol"] == "S05"
    assert sorted(s for s, _ in (await statuses(pool, "webhook")).values()) == ["sent", "skipped", "skipped"]


async def test_a_new_channel_does_not_replay_older_history(pool) -> None:
    await store_alerts(pool, 5)
    async with LocalPushServer() as push:
        service = AlertDeliveryService(FAST, pool, [webhook(push)])
        await service.start()
        await push.wait_until(lambda: service.status("webhook").state is ChannelState.OK)
        await store_alerts(pool, 1, start=20)
        await push.wait_until(lambda: len(push.hooks) == 1)
        await asyncio.sleep(0.2)
        await service.stop(wait_s=2)
    assert [h["symbol"] for h in push.hooks] == ["S20"]


async def test_the_token_never_reaches_a_log_or_a_status(pool, caplog, tmp_path: Path) -> None:
    log_file = tmp_path / "run.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            async with LocalPushServer() as push:
                good = AlertDeliveryService(FAST, pool, [telegram(push)])
                await good.start()
                await push.wait_until(lambda: good.status("telegram").state is ChannelState.OK)
                push.fail_next("telegram", 500)
                await store_alerts(pool, 2)
                await push.wait_until(lambda: len(push.messages) == 2)
                await good.stop(wait_s=2)
                wrong = "555:WRONG-secret-token"
                bad = AlertDeliveryService(FAST, pool, [telegram(push, token=wrong)])
                await bad.start()
                await store_alerts(pool, 1, start=30)
                await push.wait_until(lambda: bad.status("telegram").state is ChannelState.STOPPED)
                await bad.stop(wait_s=1)
    finally:
        root.removeHandler(handler)
        handler.close()
    assert "HTTP 500" in caplog.text and "Unauthorized" in caplog.text  # the failures were logged
    for secret in (push.token, wrong, "WRONG-secret", "TEST-token-SECRET"):
        assert secret not in caplog.text
        assert secret not in log_file.read_text(encoding="utf-8")
        assert secret not in repr(bad.status("telegram"))
        assert secret not in repr(telegram(push))


async def test_a_webhook_that_refuses_stops_without_naming_its_url(pool) -> None:
    async with LocalPushServer() as push:
        hook = WebhookChannel(f"{push.url}/not-here-SECRET-path", timeout_s=5)
        service = AlertDeliveryService(FAST, pool, [hook])
        await service.start()
        await push.wait_until(lambda: service.status("webhook").state is ChannelState.OK)
        await store_alerts(pool, 2)
        await push.wait_until(lambda: service.status("webhook").state is ChannelState.STOPPED)
        await service.stop(wait_s=1)
    reason = service.status("webhook").reason or ""
    assert reason.startswith("webhook: HTTP 404") and "SECRET" not in reason
    assert "SECRET" not in repr(hook)
    assert sorted(s for s, _ in (await statuses(pool, "webhook")).values()) == ["failed", "pending"]
