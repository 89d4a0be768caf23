"""``--metrics-port``: Prometheus text a scraper can parse, and /healthz that follows the feed and
the database."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from desktop_app.config import Settings
from desktop_app.feeds.spec import FeedSpec
from desktop_app.services.metrics import start_metrics_server
from desktop_app.services.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_replay.jsonl"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_recorder_metrics_and_health_follow_the_pipeline(db, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    pipeline = Pipeline(settings, FeedSpec("replay", replay_path=SAMPLE, speed=1.0), db)  # live for minutes
    metrics = await start_metrics_server(0, database=db, pipeline=pipeline)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{metrics.port}") as client:
            before = await client.get("/healthz")
            assert before.status_code == 503 and before.json()["feed_live"] is False  # not started
            await pipeline.start()
            while pipeline.counters.messages == 0:  # the replay has begun
                await asyncio.sleep(0.02)
            health = await client.get("/healthz")
            assert health.status_code == 200 and health.json() == {"status": "ok", "database": True,
                                                                   "feed_live": True}
            while pipeline.counters.messages == 0 or not pipeline.writer.metrics().rows_written.get("trades"):
                await asyncio.sleep(0.05)
            await pipeline.stop()
            text = (await client.get("/metrics")).text
            ended = await client.get("/healthz")
    finally:
        await metrics.stop()
    values = samples(text)
    assert values[("stock_tracker_messages_total", ())] == pipeline.counters.messages > 0
    assert values[("stock_tracker_rows_written_total", (("table", "trades"),))] == \
        pipeline.writer.metrics().rows_written["trades"] > 0
    assert ("stock_tracker_flush_latency_seconds", (("quantile", "0.99"),)) in values
    assert values[("stock_tracker_feed_state", (("state", "ended"),))] == 1
    assert values[("stock_tracker_dropped_rows_total", ())] == 0
    assert ("stock_tracker_event_loop_lag_seconds", (("quantile", "1.0"),)) in values
    assert ("stock_tracker_seconds_since_last_message", ()) in values
    assert ("stock_tracker_journal_bytes", ()) in values
    assert ended.status_code == 503  # the feed has ended: a watcher must hear of it


async def test_health_is_503_when_the_database_is_unreachable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]

    async def unreachable():  # type: ignore[no-untyped-def]
        import asyncpg

        return await asyncpg.create_pool(f"postgresql://x:y@127.0.0.1:{dead_port}/none", timeout=1)

    metrics = await start_metrics_server(0, database=unreachable)
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{metrics.port}/healthz")
    finally:
        await metrics.stop()
    assert answer.status_code == 503 and answer.json()["database"] is False


async def test_record_serves_metrics_while_it_runs(database_url: str, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, STOCK_TRACKER_DATABASE_URL=database_url, STOCK_TRACKER_HOME=str(tmp_path))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "desktop_app", "record", "--feed", "replay", "--replay", str(SAMPLE),
        "--speed", "20", "--duration", "30", "--metrics-port", str(port), cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            health = None
            for _ in range(300):
                try:
                    health = await client.get("/healthz")
                    if health.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            assert health is not None and health.status_code == 200
            text = (await client.get("/metrics")).text
    finally:
        proc.send_signal(2)
        await asyncio.wait_for(proc.communicate(), 60)
    assert "stock_tracker_messages_total" in text and "stock_tracker_push_pending" not in text.split("# HELP")[0]


async def test_a_busy_metrics_port_is_a_one_line_usage_error(database_url: str, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        env = dict(os.environ, STOCK_TRACKER_HOME=str(tmp_path), STOCK_TRACKER_DATABASE_URL=database_url)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "desktop_app", "record", "--feed", "replay", "--replay", str(SAMPLE),
            "--metrics-port", str(port),
            cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 2
    assert err.decode().strip().splitlines()[-1].startswith(f"stock-tracker: cannot serve metrics on 127.0.0.1:{port}")


async def test_the_history_api_answers_healthz(database_url: str) -> None:
    from desktop_app.api.server import start_server

    handle = await start_server(database_url, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{handle.url}/healthz")
    finally:
        await handle.stop()
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "database": True}


def test_a_bad_metrics_port_is_refused_in_one_line(capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from desktop_app.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["record", "--feed", "demo", "--metrics-port", "nine"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == "stock-tracker: argument --metrics-port: port must be an integer, got 'nine'\n"


async def test_push_figures_per_channel_are_exported(pool) -> None:
    from desktop_app.config import DeliverySettings
    from desktop_app.services.alert_delivery import AlertDeliveryService, ChannelState, WebhookChannel
    from desktop_app.services.metrics import RecorderCollector
    from prometheus_client import CollectorRegistry, generate_latest
    from tests.push_server.server import LocalPushServer

    async with LocalPushServer() as push:
        push.down = True
        service = AlertDeliveryService(DeliverySettings(retry_base_s=0.01, poll_s=0.05), pool,
                                       [WebhookChannel(push.webhook_url)])
        await service.start()
        await push.wait_until(lambda: service.status("webhook").state is ChannelState.OK)
        await pool.execute("INSERT INTO alerts (symbol, alert_type, message, severity, created_at) "
                           "VALUES ('FPT', 'block_trade', 'big', 'info', now())")
        await push.wait_until(lambda: service.status("webhook").state is ChannelState.RETRYING)
        await service.stop(wait_s=0.1)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RecorderCollector(None, service))
    values = samples(generate_latest(registry).decode())
    assert values[("stock_tracker_push_pending", (("channel", "webhook"),))] == 1
    assert values[("stock_tracker_push_failed", (("channel", "webhook"),))] == 0
