"""SsiStreamFeed against the local SSI hub: classic SignalR 2.x over a real WebSocket."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from desktop_app.config import Settings
from desktop_app.errors import MissingCredentialsError
from desktop_app.feeds.base import FeedState
from desktop_app.feeds.ssi_rest import SsiAuthError, SsiRestClient
from desktop_app.feeds.ssi_stream import (
    DEFAULT_CHANNELS,
    HUB_NAME,
    SsiStreamError,
    SsiStreamFeed,
    ssi_live_feed,
)
from tests.support.ssi_server import LocalSsiServer

CHANNELS = ("X-TRADE:ALL", "X-QUOTE:ALL", "R:ALL", "MI:VN30")

TRADE = {"RType": "X-TRADE", "TradingDate": "14/08/2023", "Time": "14:07:53", "Isin": "ACB",
         "Symbol": "ACB", "Ceiling": 24500.0, "Floor": 21300.0, "RefPrice": 22900.0,
         "AvgPrice": 22927.93, "PriorVal": 22900.0, "LastPrice": 22950.0, "LastVol": 100.0,
         "TotalVal": 201713015000.0, "TotalVol": 8797700.0, "MarketId": "HOSE",
         "Exchange": "HOSE", "TradingSession": "LO", "TradingStatus": "N", "Change": 50.0,
         "RatioChange": 0.22, "EstMatchedPrice": 22900.0, "Highest": 23050, "Lowest": 22800,
         "Side": "SD"}
QUOTE = {"RType": "X-QUOTE", "TradingDate": "14/08/2023", "Time": "14:07:53", "Exchange": "HOSE",
         "Symbol": "ACB", "BidPrice1": 22900.0, "BidVol1": 12000.0, "AskPrice1": 22950.0,
         "AskVol1": 3400.0, "BidPrice2": 0.0, "BidVol2": 0.0, "AskPrice2": 0.0, "AskVol2": 0.0,
         "TradingSession": "LO"}
ROOM = {"RType": "R", "TradingDate": "14/08/2023", "Time": "14:24:02", "Isin": "SSI",
        "Symbol": "SSI", "TotalRoom": 1501130137.0, "CurrentRoom": 806887173.0,
        "BuyVol": 863352.0, "SellVol": 825308.0, "BuyVal": 25123543200.0,
        "SellVal": 24016462800.0, "MarketId": "HOSE", "Exchange": "HOSE"}
INDEX = {"RType": "MI", "IndexId": "VN30", "IndexValue": 1245.67, "PriorIndexValue": 1240.1,
         "Change": 5.57, "RatioChange": 0.45, "TotalQtty": 123456700, "TotalValue": 4.5e12,
         "Advances": 18, "NoChanges": 2, "Declines": 10, "Ceilings": 0, "Floors": 0,
         "TradingDate": "14/08/2023", "Time": "14:07:53", "TradingSession": None,
         "Exchange": "HOSE"}


def envelope(data_type: str, content: dict) -> str:
    return json.dumps({"DataType": data_type, "Content": json.dumps(content)})


class Run:
    """A feed being consumed in the background, with what a user of it would observe."""

    def __init__(self, feed: SsiStreamFeed) -> None:
        self.feed = feed
        self.states: list[FeedState] = []
        self.received: list[str] = []
        feed.add_state_listener(self.states.append)
        self.task = asyncio.create_task(self._consume())

    async def _consume(self) -> None:
        async for text in self.feed.envelopes():
            self.received.append(text)

    async def stop(self) -> None:
        await self.feed.close()
        await asyncio.wait_for(self.task, 5)


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def subscribed(server: LocalSsiServer, connection: int) -> list[str]:
    return [c.args[0] for c in server.calls("SwitchChannels", connection)]


@pytest.fixture
async def ssi():
    async with LocalSsiServer(keepalive_timeout_s=1.0) as server:
        yield server


@pytest.fixture
async def rest(ssi: LocalSsiServer):
    async with SsiRestClient(ssi.data_url, ssi.consumer_id, ssi.consumer_secret,
                             pace_s=0) as client:
        yield client


def make_feed(ssi: LocalSsiServer, rest: SsiRestClient, **options) -> SsiStreamFeed:
    options.setdefault("reconnect_base_s", 0.05)
    options.setdefault("reconnect_max_s", 0.2)
    return SsiStreamFeed(ssi.stream_url, rest.access_token, CHANNELS,
                         invalidate_token=rest.invalidate_token, **options)


async def test_connects_subscribes_and_yields_what_the_hub_broadcast(
    ssi: LocalSsiServer, rest: SsiRestClient, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    run = Run(make_feed(ssi, rest))
    await wait_for(lambda: len(subscribed(ssi, 1)) == 4 and run.feed.state is FeedState.LIVE)

    calls = ssi.calls("SwitchChannels", 1)
    assert [(c.hub, c.args, c.call_id) for c in calls] == [
        (HUB_NAME, [channel], i) for i, channel in enumerate(CHANNELS)]
    (negotiation,) = ssi.negotiations
    assert negotiation.token == ssi.tokens_issued[0] == ssi.connections[0].token
    assert json.loads(negotiation.params["connectionData"]) == [{"name": HUB_NAME}]
    assert negotiation.params["clientProtocol"] == "1.5"
    (start,) = ssi.data_requests("signalr/start")
    assert start.status == 200  # the '+/=' connection token survived URL encoding
    assert start.params["connectionToken"] == negotiation.connection_token

    sent = [envelope("X-TRADE", TRADE), envelope("X-QUOTE", QUOTE), envelope("R", ROOM),
            envelope("MI", INDEX)]
    for text in sent:
        assert await ssi.broadcast(text) == 1
    await wait_for(lambda: len(run.received) == 4)
    await wait_for(lambda: run.feed.stats.keepalives >= 1)  # '{}' frames yield nothing
    await run.stop()

    assert run.received == sent
    assert json.loads(json.loads(run.received[0])["Content"])["Side"] == "SD"
    assert run.states == [FeedState.LIVE, FeedState.ENDED]
    assert run.feed.stats.envelopes == 4 and run.feed.stats.reconnects == 0
    assert "> GET /v2.0/signalr/connect" in caplog.text  # handshake logged at DEBUG ...
    assert ssi.tokens_issued[0] not in caplog.text  # ... without the bearer token


async def test_batched_frames_hub_errors_and_refused_calls(caplog) -> None:
    caplog.set_level(logging.INFO)
    async with LocalSsiServer(rejected_channels={"MI:VN30": "Channel MI:VN30 not allowed"}) as ssi:
        async with SsiRestClient(ssi.data_url, ssi.consumer_id, ssi.consumer_secret,
                                 pace_s=0) as client:
            run = Run(make_feed(ssi, client))
            await wait_for(lambda: run.feed.stats.invocation_errors == 1)
            first, second = envelope("X-TRADE", TRADE), envelope("R", ROOM)
            await ssi.send_raw({"C": "d-1", "M": [
                {"H": HUB_NAME, "M": "Broadcast", "A": [first]},
                {"H": "OtherHub", "M": "Broadcast", "A": ["ignored"]},
                {"H": HUB_NAME.lower(), "M": "broadcast", "A": [second]}]})
            await ssi.hub_error("Subscription quota exceeded")
            await wait_for(lambda: run.feed.stats.hub_errors == 1 and len(run.received) == 2)
            await run.stop()
    assert run.received == [first, second]
    assert "Channel MI:VN30 not allowed" in caplog.text and "MI:VN30" in caplog.text
    assert "Subscription quota exceeded" in caplog.text
    assert run.states == [FeedState.LIVE, FeedState.ENDED]


async def test_reconnects_after_a_dropped_socket_with_a_fresh_token(
    ssi: LocalSsiServer, rest: SsiRestClient
) -> None:
    run = Run(make_feed(ssi, rest))
    await wait_for(lambda: len(subscribed(ssi, 1)) == 4)
    ssi.expire_tokens()  # the token the feed holds is no longer accepted
    await ssi.drop_connections()
    await wait_for(lambda: len(subscribed(ssi, 2)) == 4 and run.feed.state is FeedState.LIVE)

    assert subscribed(ssi, 2) == list(CHANNELS)
    refused = [r for r in ssi.data_requests("negotiate") if r.status == 401]
    assert len(refused) == 1 and refused[0].token == ssi.tokens_issued[0]
    assert len(ssi.tokens_issued) == 2
    assert ssi.negotiations[-1].token == ssi.connections[1].token == ssi.tokens_issued[1]
    trade = envelope("X-TRADE", TRADE)
    assert await ssi.broadcast(trade) == 1
    await wait_for(lambda: run.received == [trade])
    await run.stop()
    assert run.states == [FeedState.LIVE, FeedState.RECONNECTING, FeedState.LIVE, FeedState.ENDED]
    assert run.feed.stats.reconnects == 1 and run.feed.stats.connects == 2


async def test_reconnects_when_the_hub_goes_silent(ssi: LocalSsiServer, rest: SsiRestClient) -> None:
    run = Run(make_feed(ssi, rest))  # keep-alive timeout 1 s, advertised by negotiate
    await wait_for(lambda: len(subscribed(ssi, 1)) == 4)
    assert run.feed.keepalive_timeout_s == 1.0
    ssi.expire_tokens()
    ssi.silence_connections()
    await wait_for(lambda: len(subscribed(ssi, 2)) == 4 and run.feed.state is FeedState.LIVE)
    await wait_for(lambda: ssi.connections[0].closed)  # the client hung up the silent socket
    assert [n.token for n in ssi.negotiations] == ssi.tokens_issued  # re-negotiated, new token
    assert len(ssi.tokens_issued) == 2
    assert subscribed(ssi, 2) == list(CHANNELS)
    await run.stop()
    assert run.states == [FeedState.LIVE, FeedState.RECONNECTING, FeedState.LIVE, FeedState.ENDED]
    assert run.feed.stats.reconnects == 1


async def test_hub_reconnect_command_is_obeyed(ssi: LocalSsiServer, rest: SsiRestClient) -> None:
    run = Run(make_feed(ssi, rest))
    await wait_for(lambda: len(subscribed(ssi, 1)) == 4)
    await ssi.send_raw({"C": "d-9", "T": 1, "M": []})
    await wait_for(lambda: len(subscribed(ssi, 2)) == 4)
    await run.stop()
    assert run.feed.stats.reconnects == 1


async def test_unreachable_hub_fails_after_the_allowed_attempts(unused_tcp_port: int) -> None:
    async def token() -> str:
        return "token"

    feed = SsiStreamFeed(f"http://127.0.0.1:{unused_tcp_port}/", token, CHANNELS,
                         reconnect_base_s=0.01, max_failed_attempts=3)
    states: list[FeedState] = []
    feed.add_state_listener(states.append)
    with pytest.raises(SsiStreamError, match="after 3 attempts"):
        async for _ in feed.envelopes():
            pass
    assert feed.state is FeedState.FAILED
    assert states == [FeedState.RECONNECTING, FeedState.FAILED]
    await feed.close()


async def test_close_while_waiting_to_reconnect_ends_the_feed(unused_tcp_port: int) -> None:
    async def token() -> str:
        return "token"

    feed = SsiStreamFeed(f"http://127.0.0.1:{unused_tcp_port}/", token, CHANNELS,
                         reconnect_base_s=60, reconnect_max_s=60)
    run = Run(feed)
    await wait_for(lambda: feed.state is FeedState.RECONNECTING)
    await run.stop()  # does not wait out the 30-60 s backoff
    assert feed.state is FeedState.ENDED and run.received == []


async def test_live_feed_needs_credentials(tmp_path: Path) -> None:
    with pytest.raises(MissingCredentialsError, match="SSI_CONSUMER_ID and SSI_CONSUMER_SECRET"):
        await ssi_live_feed(Settings(home=tmp_path))


async def test_live_feed_from_settings(ssi: LocalSsiServer, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = Settings(home=tmp_path, ssi_consumer_id=ssi.consumer_id,
                     ssi_consumer_secret="not-the-secret-9c1", ssi_data_url=ssi.data_url,
                     ssi_stream_url=ssi.stream_url, rest_pace_s=0)
    with pytest.raises(SsiAuthError, match="SSI rejected the credentials"):
        await ssi_live_feed(wrong)
    assert "not-the-secret-9c1" not in caplog.text

    settings = Settings(home=tmp_path, ssi_consumer_id=ssi.consumer_id,
                        ssi_consumer_secret=ssi.consumer_secret, ssi_data_url=ssi.data_url,
                        ssi_stream_url=ssi.stream_url, rest_pace_s=0)
    run = Run(await ssi_live_feed(settings))
    await wait_for(lambda: len(subscribed(ssi, 1)) == len(DEFAULT_CHANNELS))
    assert subscribed(ssi, 1) == list(DEFAULT_CHANNELS)
    trade = envelope("X-TRADE", TRADE)
    assert await ssi.broadcast(trade) == 1
    await wait_for(lambda: run.received == [trade])
    await run.stop()
    assert ssi.consumer_secret not in caplog.text


async def test_hub_without_keepalives_is_not_mistaken_for_dead(caplog) -> None:
    async with LocalSsiServer(keepalive_timeout_s=None) as ssi:  # negotiate: KeepAliveTimeout null
        async with SsiRestClient(ssi.data_url, ssi.consumer_id, ssi.consumer_secret,
                                 pace_s=0) as client:
            run = Run(make_feed(ssi, client))
            await wait_for(lambda: len(subscribed(ssi, 1)) == 4)
            # no frame watchdog then (WebSocket pings watch the socket instead)
            assert run.feed.keepalive_timeout_s is None
            trade = envelope("X-TRADE", TRADE)
            assert await ssi.broadcast(trade) == 1
            await wait_for(lambda: run.received == [trade])
            await run.stop()
    assert len(ssi.connections) == 1 and run.feed.stats.keepalives == 0


async def test_close_while_the_token_is_being_fetched_ends_cleanly(ssi: LocalSsiServer) -> None:
    asked, release = asyncio.Event(), asyncio.Event()

    async def slow_token() -> str:
        asked.set()
        await release.wait()
        return "token"

    run = Run(SsiStreamFeed(ssi.stream_url, slow_token, CHANNELS))
    await asyncio.wait_for(asked.wait(), 5)
    closing = asyncio.create_task(run.feed.close())
    await asyncio.sleep(0)
    release.set()
    await closing
    await asyncio.wait_for(run.task, 5)  # no exception escapes the iteration
    assert run.feed.state is FeedState.ENDED and ssi.negotiations == []
