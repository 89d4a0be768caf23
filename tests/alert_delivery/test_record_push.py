"""``record`` pushes every stored alert exactly once (the issue's "done when"), as a user runs it:
a subprocess replaying the sample day, Telegram and the webhook pointed at a local server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import asyncpg

from tests.push_server.server import LocalPushServer

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_replay.jsonl"


def push_env(database_url: str, home: Path, push: LocalPushServer, *, exit_wait_s: float) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"delivery": {
        "retry_base_s": 0.05, "retry_max_s": 0.2, "poll_s": 0.1, "exit_wait_s": exit_wait_s}}))
    env = dict(os.environ)
    env.update({
        "STOCK_TRACKER_DATABASE_URL": database_url, "STOCK_TRACKER_HOME": str(home),
        "STOCK_TRACKER_TELEGRAM_BOT_TOKEN": push.token, "STOCK_TRACKER_TELEGRAM_CHAT_ID": push.chat_id,
        "STOCK_TRACKER_TELEGRAM_API_URL": push.url, "STOCK_TRACKER_WEBHOOK_URL": push.webhook_url,
    })
    return env


async def record(replay: Path, env: dict[str, str]) -> tuple[int, dict, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "desktop_app", "record", "--feed", "replay", "--replay", str(replay),
        "--speed", "max", cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    lines = [line for line in out.decode().splitlines() if line.strip()]
    assert len(lines) == 1, (out, err.decode()[-2000:])
    return proc.returncode, json.loads(lines[0]), out.decode() + err.decode()


async def stored_alert_ids(database_url: str) -> list[int]:
    conn = await asyncpg.connect(database_url)
    try:
        return [r[0] for r in await conn.fetch("SELECT id FROM alerts ORDER BY id")]
    finally:
        await conn.close()


async def add_price_rule(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("INSERT INTO price_alert_rules (symbol, kind, threshold) VALUES ('FPT', 'price_above', 1)")
    finally:
        await conn.close()


def split_sample(tmp_path: Path) -> tuple[Path, Path]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    half = 1100  # the sample's alerts fire on both sides of this line (lines 1036, 1139, 1170)
    first, second = tmp_path / "morning.jsonl", tmp_path / "afternoon.jsonl"
    first.write_text("".join(lines[:half]), encoding="utf-8")
    second.write_text("".join(lines[half:]), encoding="utf-8")
    return first, second


async def test_replayed_day_delivers_every_alert_once_through_429_500_and_a_restart(
        database_url: str, tmp_path: Path) -> None:
    morning, afternoon = split_sample(tmp_path)
    home = tmp_path / "home"
    async with LocalPushServer() as push:
        env = push_env(database_url, home, push, exit_wait_s=30)
        push.fail_next("telegram", 429, retry_after=1)
        push.fail_next("webhook", 500)
        code1, first, output1 = await record(morning, env)
        push.fail_next("telegram", 500)
        push.fail_next("webhook", 429, retry_after=0)
        await add_price_rule(database_url)  # the user's own alert: stored, reviewed and pushed alike
        code2, second, output2 = await record(afternoon, env)
    ids = await stored_alert_ids(database_url)
    assert code1 == code2 == 0, output1 + output2
    assert len(ids) >= 3 and first["alerts"] > 0 and second["alerts"] > 0
    assert first["written"]["alerts"] + second["written"]["alerts"] == len(ids)
    assert sorted(h["alert_id"] for h in push.hooks) == ids  # every stored alert, once
    assert len(push.messages) == len(ids)
    assert [h["symbol"] for h in push.hooks if h["alert_type"] == "price_above"] == ["FPT"]
    assert len({m["text"] for m in push.messages}) == len(ids)
    assert first["pushed"]["telegram"] + second["pushed"]["telegram"] == len(ids)
    assert second["push_pending"] == {"telegram": 0, "webhook": 0}
    assert {("telegram", 429), ("telegram", 500), ("webhook", 500), ("webhook", 429)} <= set(push.answers)
    log_text = (home / "logs" / "stock-tracker.log").read_text(encoding="utf-8")
    for text in (output1, output2, log_text, (home / "settings.json").read_text()):
        assert push.token not in text


async def test_with_channels_down_all_day_everything_goes_out_at_the_next_start(
        database_url: str, tmp_path: Path) -> None:
    empty = tmp_path / "nothing.jsonl"
    empty.write_text("", encoding="utf-8")
    home = tmp_path / "home"
    async with LocalPushServer() as push:
        push.down = True
        code1, day, _ = await record(SAMPLE, push_env(database_url, home, push, exit_wait_s=0.5))
        ids = await stored_alert_ids(database_url)
        assert day["pushed"] == {"telegram": 0, "webhook": 0}
        assert day["push_pending"] == {"telegram": len(ids), "webhook": len(ids)}
        assert push.messages == [] and push.hooks == []

        push.down = False
        code2, next_start, _ = await record(empty, push_env(database_url, home, push, exit_wait_s=60))
    assert code1 == code2 == 0
    assert next_start["pushed"] == {"telegram": len(ids), "webhook": len(ids)}
    assert next_start["push_pending"] == {"telegram": 0, "webhook": 0}
    assert sorted(h["alert_id"] for h in push.hooks) == ids
    assert all(h["delayed"] for h in push.hooks)
    assert all("(delayed)" in m["text"] for m in push.messages)


async def test_a_channel_that_never_answers_does_not_hold_record_up(database_url: str, tmp_path: Path) -> None:
    empty = tmp_path / "nothing.jsonl"
    empty.write_text("", encoding="utf-8")
    home = tmp_path / "home"
    async with LocalPushServer() as push:
        push.hang = True
        code1, day, _ = await record(SAMPLE, push_env(database_url, home, push, exit_wait_s=0.5))
        ids = await stored_alert_ids(database_url)
        assert code1 == 0 and day["written"]["alerts"] == len(ids) == day["alerts"]
        assert day["push_pending"] == {"telegram": len(ids), "webhook": len(ids)}
        # the receiver wakes up and still processes the request that was in flight at exit
        push.release()
        code2, next_start, _ = await record(empty, push_env(database_url, home, push, exit_wait_s=60))
    assert code2 == 0 and next_start["push_pending"] == {"telegram": 0, "webhook": 0}
    hooked = sorted(h["alert_id"] for h in push.hooks)
    assert set(hooked) == set(ids)
    assert len(hooked) <= len(ids) + 1  # at most the one in-flight alert twice, with one key
    assert len({h["_key"] for h in push.hooks}) == len(ids)
    assert len(ids) <= len(push.messages) <= len(ids) + 1
