"""Replay files: every line reaches the parser, in order, paced by recorded time when asked."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import orjson
import pytest

from desktop_app.feeds.base import FeedState
from desktop_app.feeds.basket import find_resource
from desktop_app.feeds.messages import InvalidMessage, parse_envelope
from desktop_app.feeds.replay import ReplayFeed, recorded_time


def envelope(time_text: str, symbol: str = "ACB", date_text: str = "14/08/2023", price: float = 22950.0) -> str:
    content = {"RType": "X-TRADE", "TradingDate": date_text, "Time": time_text, "Symbol": symbol, "Exchange": "HOSE",
               "LastPrice": price, "LastVol": 100.0, "TotalVol": 100.0, "TotalVal": price * 100, "TradingSession": "LO"}
    return orjson.dumps({"DataType": "X-TRADE", "Content": orjson.dumps(content).decode()}).decode()


async def collect(feed: ReplayFeed) -> list[str]:
    return [line async for line in feed.envelopes()]


class VirtualClock:
    """A clock that only moves when the feed sleeps: pacing is checked without wall-clock timing."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay
        await asyncio.sleep(0)


async def test_max_speed_yields_every_line_in_order_bad_ones_included(tmp_path: Path) -> None:
    lines = [envelope(f"09:15:{s:02d}", price=22950.0 + 50 * s) for s in range(10)]
    raw = "\n".join(lines[:3]) + "\n\n   \n" + "not json\n" + "\n".join(lines[3:]) + "\n"
    path = tmp_path / "day.jsonl"
    path.write_bytes(raw.encode() + b'{"DataType":"X-TRADE","Content":"\xff\xfe"}\n')
    feed = ReplayFeed(path, None)
    states: list[FeedState] = []
    feed.add_state_listener(states.append)
    got = await collect(feed)
    assert got[:3] + got[4:-1] == lines  # blank lines skipped, order kept
    assert got[3] == "not json" and "\ufffd" in got[-1]  # bad lines passed on, invalid UTF-8 replaced
    assert states == [FeedState.REPLAY, FeedState.ENDED]
    kinds = Counter()
    for line in got:
        try:
            parse_envelope(line)
        except InvalidMessage as exc:
            kinds[exc.kind] += 1
    assert kinds == {"not_json": 2}  # "not json", and the Content that was not UTF-8


async def test_speed_scales_recorded_time(tmp_path: Path) -> None:
    times = ["09:15:00", "09:15:00", "09:15:02", "09:15:10", "09:16:40"]
    path = tmp_path / "paced.jsonl"
    path.write_text("\n".join([envelope(t) for t in times[:2]] + ['{"DataType":"F"}'] +
                              [envelope(t) for t in times[2:]]) + "\n")
    clock = VirtualClock()
    feed = ReplayFeed(path, 10.0, clock=clock.time, sleep=clock.sleep)
    got = await collect(feed)
    assert len(got) == 6 and got[2] == '{"DataType":"F"}'  # a line without time goes out at once
    assert clock.sleeps == pytest.approx([0.2, 0.8, 9.0])  # 2 s, 8 s, 90 s of market time at 10x
    assert clock.now - 1_000.0 == pytest.approx(10.0)  # 100 s recorded / 10


async def test_a_new_trading_day_reanchors_instead_of_sleeping_overnight(tmp_path: Path) -> None:
    path = tmp_path / "two_days.jsonl"
    path.write_text("\n".join([envelope("14:59:00"), envelope("15:00:00"),
                               envelope("09:00:00", date_text="15/08/2023"),
                               envelope("09:00:30", date_text="15/08/2023")]) + "\n")
    clock = VirtualClock()
    got = await collect(ReplayFeed(path, 1.0, clock=clock.time, sleep=clock.sleep))
    assert len(got) == 4 and clock.sleeps == pytest.approx([60.0, 30.0])


async def test_paced_replay_leaves_the_loop_free(tmp_path: Path) -> None:
    path = tmp_path / "fast.jsonl"
    path.write_text("\n".join(envelope(f"10:00:{s:02d}") for s in range(0, 20)) + "\n")
    feed = ReplayFeed(path, 200.0)  # 19 s recorded -> about 0.1 s, real loop sleeps
    ticks = 0
    seen_ticks: list[int] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    async for _ in feed.envelopes():
        seen_ticks.append(ticks)
    stop.set()
    await task
    assert len(seen_ticks) == 20
    assert seen_ticks[-1] > seen_ticks[0]  # other tasks ran between paced lines
    assert feed.state is FeedState.ENDED


async def test_close_stops_a_paced_replay(tmp_path: Path) -> None:
    path = tmp_path / "slow.jsonl"
    path.write_text("\n".join([envelope("09:15:00"), envelope("11:00:00"), envelope("11:00:01")]) + "\n")
    feed = ReplayFeed(path, 1.0)  # the second line is 105 minutes away
    got: list[str] = []

    async def consume() -> None:
        async for line in feed.envelopes():
            got.append(line)

    task = asyncio.create_task(consume())
    while not got:
        await asyncio.sleep(0.001)
    await feed.close()
    await asyncio.wait_for(task, timeout=30)
    assert len(got) == 1 and feed.state is FeedState.ENDED


async def test_missing_file_fails_the_feed(tmp_path: Path) -> None:
    feed = ReplayFeed(tmp_path / "nope.jsonl", None)
    with pytest.raises(FileNotFoundError):
        await collect(feed)
    assert feed.state is FeedState.FAILED


def test_recorded_time_reads_double_encoded_and_plain_content() -> None:
    stamp = recorded_time(envelope("14:07:53"))
    assert stamp is not None and (stamp.hour, stamp.minute, stamp.second, stamp.day) == (14, 7, 53, 14)
    plain = '{"DataType":"B","Content":{"TradingDate":"14/08/2023","TradingTime":"10:01:00"}}'
    assert recorded_time(plain) is not None and recorded_time(plain).minute == 1
    assert recorded_time('{"DataType":"F"}') is None
    assert recorded_time(envelope("25:99:00")) is None


async def test_shipped_sample_replay_covers_every_kind_with_three_bad_lines() -> None:
    path = find_resource("sample_replay.jsonl")
    assert path.stat().st_size < 1_000_000
    lines = await collect(ReplayFeed(path, None))
    kinds, rejected = Counter(), Counter()
    for line in lines:
        try:
            events = parse_envelope(line)
        except InvalidMessage as exc:
            rejected[exc.kind] += 1
            continue
        kinds[orjson.loads(line)["DataType"]] += 1
        assert events
    assert set(kinds) == {"X-TRADE", "X-QUOTE", "X", "R", "MI", "B", "F"}
    assert sum(rejected.values()) == 3 and len(lines) > 1_000
