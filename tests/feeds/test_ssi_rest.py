"""SsiRestClient against the local SSI server (real HTTP, real wire shapes)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from desktop_app.errors import ConfigurationError
from desktop_app.feeds import ssi_rest
from desktop_app.feeds.ssi_rest import (
    SsiApiError,
    SsiAuthError,
    SsiRestClient,
    SsiUnavailableError,
    date_windows,
    jwt_lifetime_s,
    retry_after_seconds,
)
from tests.support.fake_clock import AsyncioWithClock, ManualClock
from tests.support.ssi_server import INVALID_CREDENTIALS_MESSAGE, LocalSsiServer, sample_daily_rows

START, END = date(2023, 1, 1), date(2023, 12, 31)
ROWS = {"SSI": sample_daily_rows("SSI", START, END), "ACB": sample_daily_rows("ACB", START, END)}


def client_for(server: LocalSsiServer, **options) -> SsiRestClient:
    options.setdefault("pace_s", 0)
    options.setdefault("backoff_base_s", 0.01)
    options.setdefault("backoff_max_s", 0.05)
    return SsiRestClient(server.data_url, server.consumer_id, server.consumer_secret, **options)


def expected_bars(symbol: str, start: date, end: date) -> list[tuple]:
    """What SSI sent, parsed independently: the exact strings as Decimal."""
    out = []
    for row in ROWS[symbol]:
        day = datetime.strptime(row["TradingDate"], "%d/%m/%Y").date()
        if start <= day <= end:
            out.append((row["Symbol"], day, Decimal(row["Open"]), Decimal(row["High"]),
                        Decimal(row["Low"]), Decimal(row["Close"]),
                        int(Decimal(row["Volume"]))))
    return out


def as_tuples(bars) -> list[tuple]:
    return [(b.symbol, b.date, b.open, b.high, b.low, b.close, b.volume) for b in bars]


@pytest.fixture
async def ssi():
    async with LocalSsiServer(daily_ohlc=ROWS, max_range_days=31) as server:
        yield server


async def test_daily_ohlc_paginates_and_windows_with_exact_values(ssi: LocalSsiServer) -> None:
    async with client_for(ssi) as client:
        bars = await client.daily_ohlc("ssi", START, END, page_size=10)

    assert as_tuples(bars) == expected_bars("SSI", START, END)
    assert len(bars) == 260  # weekdays of 2023
    calls = ssi.data_requests("DailyOhlc")
    windows = {(c.params["fromDate"], c.params["toDate"]) for c in calls}
    assert len(windows) == len(date_windows(START, END, 30)) == 13
    assert ("01/01/2023", "30/01/2023") in windows
    assert {c.params["pageSize"] for c in calls} == {"10"}
    assert max(int(c.params["pageIndex"]) for c in calls) == 3  # 21-22 rows per 30 days
    assert all(c.params["symbol"] == "SSI" and c.params["ascending"] == "true" for c in calls)
    # "23382100.0"-style volumes are whole numbers too
    assert any(r["Volume"].endswith(".0") for r in ROWS["SSI"])


async def test_long_windows_work_where_the_server_allows_them() -> None:
    async with LocalSsiServer(daily_ohlc=ROWS) as server:
        async with client_for(server, window_days=400) as client:
            bars = await client.daily_ohlc("ACB", START, END)
    assert as_tuples(bars) == expected_bars("ACB", START, END)
    assert len(server.data_requests("DailyOhlc")) == 1


async def test_error_envelope_is_reported_with_the_servers_message(ssi: LocalSsiServer) -> None:
    async with client_for(ssi, window_days=365) as client:
        with pytest.raises(SsiApiError, match="must not exceed 31 days"):
            await client.daily_ohlc("SSI", START, END)


async def test_iter_daily_ohlc_yields_window_by_window(ssi: LocalSsiServer) -> None:
    async with client_for(ssi) as client:
        seen = []
        async for window in client.iter_daily_ohlc("SSI", date(2023, 3, 1), date(2023, 5, 31)):
            seen.append(window)
            if len(seen) == 2:
                break  # a caller may cancel between windows
    assert [(w.from_date, w.to_date) for w in seen] == [
        (date(2023, 3, 1), date(2023, 3, 30)), (date(2023, 3, 31), date(2023, 4, 29))]
    assert as_tuples(seen[0].bars) == expected_bars("SSI", date(2023, 3, 1), date(2023, 3, 30))
    assert len({c.params["fromDate"] for c in ssi.data_requests("DailyOhlc")}) == 2


async def test_unknown_symbol_gives_no_bars_and_no_endless_paging(ssi: LocalSsiServer) -> None:
    async with client_for(ssi) as client:
        assert await client.daily_ohlc("NOPE", date(2023, 1, 1), date(2023, 1, 20)) == []
    assert len(ssi.data_requests("DailyOhlc")) == 1


async def test_token_is_refreshed_before_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ManualClock()
    monkeypatch.setattr(ssi_rest, "time", clock)  # the client's clock only; the server's is real
    async with LocalSsiServer(daily_ohlc=ROWS, token_lifetime_s=60.0) as server:
        async with client_for(server, refresh_margin_s=30.0) as client:
            await client.daily_ohlc("SSI", date(2023, 1, 2), date(2023, 1, 6))
            clock.advance(31.0)  # past the refresh point (30 s), before expiry (60 s)
            await client.daily_ohlc("SSI", date(2023, 1, 9), date(2023, 1, 13))
    assert len(server.tokens_issued) == 2
    assert server.unauthorized_served == 0
    used = [r.token for r in server.data_requests("DailyOhlc")]
    assert used == server.tokens_issued


async def test_token_expired_mid_run_is_refreshed_once_and_the_call_retried(
    ssi: LocalSsiServer,
) -> None:
    async with client_for(ssi) as client:
        await client.index_components()
        ssi.expire_tokens()
        bars = await client.daily_ohlc("SSI", date(2023, 1, 2), date(2023, 1, 6))
    assert as_tuples(bars) == expected_bars("SSI", date(2023, 1, 2), date(2023, 1, 6))
    assert ssi.unauthorized_served == 1
    assert len(ssi.tokens_issued) == 2
    ohlc = ssi.data_requests("DailyOhlc")
    assert [r.status for r in ohlc] == [401, 200]
    assert ohlc[1].token == ssi.tokens_issued[1]


async def test_a_token_refused_twice_is_an_error(ssi: LocalSsiServer) -> None:
    ssi.fail_next(401, times=2, path="DailyOhlc")
    async with client_for(ssi) as client:
        with pytest.raises(SsiApiError, match="401"):
            await client.daily_ohlc("SSI", date(2023, 1, 2), date(2023, 1, 6))


async def test_429_waits_for_retry_after(ssi: LocalSsiServer) -> None:
    ssi.fail_next(429, path="IndexComponents", retry_after=1)
    async with client_for(ssi) as client:
        members = await client.index_components("VN30")
    assert len(members) == 30 and "FPT" in members
    refused, served = ssi.data_requests("IndexComponents")
    assert (refused.status, served.status) == (429, 200)
    # Behaviour, not speed: the retry did not come before the server said it could.
    assert served.at - refused.at >= 0.95


async def test_5xx_is_retried_until_it_recovers(ssi: LocalSsiServer) -> None:
    ssi.fail_next(500, times=2, path="DailyOhlc")
    ssi.fail_next(503, times=1, path="DailyOhlc")
    async with client_for(ssi, max_retries=3) as client:
        bars = await client.daily_ohlc("SSI", date(2023, 1, 2), date(2023, 1, 6))
    assert len(bars) == 5
    assert [r.status for r in ssi.data_requests("DailyOhlc")] == [500, 500, 503, 200]


async def test_retries_exhausted_raise_a_clear_error(ssi: LocalSsiServer) -> None:
    ssi.fail_next(503, times=10, path="DailyOhlc")
    async with client_for(ssi, max_retries=2) as client:
        with pytest.raises(SsiUnavailableError, match=r"failed 3 times \(last: HTTP 503\)"):
            await client.daily_ohlc("SSI", date(2023, 1, 2), date(2023, 1, 6))
    assert len(ssi.data_requests("DailyOhlc")) == 3


async def test_network_errors_exhaust_retries_without_leaking_the_secret(
    caplog, unused_tcp_port: int
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "very-secret-value-123"
    async with SsiRestClient(f"http://127.0.0.1:{unused_tcp_port}/", "someone", secret, pace_s=0, max_retries=2,
                             backoff_base_s=0.01) as client:
        with pytest.raises(SsiUnavailableError) as info:
            await client.access_token()
        assert secret not in repr(client)
    assert "ConnectError" in str(info.value)
    assert secret not in str(info.value) and secret not in caplog.text


async def test_wrong_credentials_say_so_without_leaking_the_secret(
    ssi: LocalSsiServer, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "wrong-secret-that-must-not-leak"
    async with SsiRestClient(ssi.data_url, ssi.consumer_id, secret, pace_s=0) as client:
        with pytest.raises(SsiAuthError) as info:
            await client.daily_ohlc("SSI", date(2023, 1, 2), date(2023, 1, 6))
        assert secret not in repr(client)
    assert isinstance(info.value, ConfigurationError)  # the CLI exits 2 with this message
    assert str(info.value) == f"SSI rejected the credentials: {INVALID_CREDENTIALS_MESSAGE}"
    assert secret not in str(info.value) and secret not in repr(info.value)
    assert secret not in caplog.text
    assert ssi.data_requests("DailyOhlc") == []


async def test_paced_calls_keep_their_distance(ssi: LocalSsiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the client's clock (a manual one: the pause is checked exactly, whatever the load)."""
    clock = ManualClock()
    monkeypatch.setattr(ssi_rest, "time", clock)
    monkeypatch.setattr(ssi_rest, "asyncio", AsyncioWithClock(clock))
    sent: list[float] = []

    class NotingTransport(httpx.AsyncHTTPTransport):  # the real transport; notes each send
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(clock.monotonic())
            return await super().handle_async_request(request)

    async with client_for(ssi, pace_s=0.3, transport=NotingTransport()) as client:
        await client.index_components()
        clock.advance(0.1)  # the caller's own work counts towards the pause
        await client.index_components()
    assert [r.path.rsplit("/", 1)[-1] for r in ssi.requests] == ["AccessToken", "IndexComponents", "IndexComponents"]
    assert [round(b - a, 6) for a, b in zip(sent, sent[1:])] == [0.3, 0.3]
    assert [round(s, 6) for s in clock.slept] == [0.3, 0.2]


async def test_daily_index_and_futures_contracts() -> None:
    from tests.support.ssi_server import sample_daily_index_rows

    rows = sample_daily_index_rows("VN30", date(2023, 8, 1), date(2023, 8, 31))
    async with LocalSsiServer(daily_index={"VN30": rows}) as server:
        async with client_for(server) as client:
            values = await client.daily_index("VN30", date(2023, 8, 1), date(2023, 8, 31),
                                              page_size=10)
            contracts = await client.securities_details("DER")
    assert [(v.trading_date.strftime("%d/%m/%Y"), v.value, v.total_match_volume)
            for v in values] == [(r["TradingDate"], Decimal(r["IndexValue"]),
                                  int(r["TotalMatchVol"])) for r in rows]
    assert "VN30F2412" in contracts


def test_jwt_lifetime_and_retry_after_parsing() -> None:
    assert jwt_lifetime_s("not-a-jwt") is None
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    later = now + timedelta(seconds=42)
    http_date = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(http_date, now=now) == 42
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("soon") is None
    assert date_windows(date(2024, 1, 1), date(2024, 1, 1), 30) == [
        (date(2024, 1, 1), date(2024, 1, 1))]

