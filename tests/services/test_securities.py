"""SSI's Securities list: parsed and paginated from the local SSI server, cached in PostgreSQL and
refreshed at most once a day; the demo universe kept apart; search by symbol and by name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from desktop_app.config import Settings
from desktop_app.feeds.demo import futures_symbol
from desktop_app.feeds.ssi_rest import SsiRestClient
from desktop_app.instruments import SecurityKind, SecuritySource, matches, search_key
from desktop_app.market_clock import vn_today
from desktop_app.services.securities import (
    SecuritiesCatalog,
    fetch_ssi_securities,
    refresh_securities,
)
from tests.support.ssi_server import LocalSsiServer, sample_securities_rows

ROWS = sample_securities_rows()


def client_for(server: LocalSsiServer) -> SsiRestClient:
    return SsiRestClient(server.data_url, server.consumer_id, server.consumer_secret, pace_s=0,
                         backoff_base_s=0.01, backoff_max_s=0.05)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


async def test_securities_are_parsed_and_paginated_from_ssi() -> None:
    async with LocalSsiServer(securities=ROWS) as ssi:
        async with client_for(ssi) as client:
            hose = await client.securities("hose", page_size=3)
            upcom = await client.securities("UPCOM", page_size=10)

    assert [s.symbol for s in hose] == [r["Symbol"] for r in ROWS["HOSE"]]
    pages = [int(r.params["pageIndex"]) for r in ssi.requests
             if r.path.endswith("/Securities") and r.params["market"] == "HOSE"]
    assert pages == [1, 2, 3]  # 7 rows, 3 per page
    acb = next(s for s in hose if s.symbol == "ACB")
    assert (acb.market, acb.name_vi, acb.name_en) == ("HOSE", "NGAN HANG TMCP A CHAU",
                                                      "Asia Commercial Joint Stock Bank")
    kinds = {s.symbol: s.kind for s in hose}
    assert kinds["E1VFVN30"] is SecurityKind.ETF
    assert kinds["CFPT2401"] is SecurityKind.COVERED_WARRANT
    assert kinds["FPT"] is SecurityKind.STOCK
    assert next(s for s in hose if s.symbol == "CFPT2401").name_en is None  # null stays null
    assert [s.symbol for s in upcom] == ["BSR"]  # the row without a symbol is skipped


async def test_refresh_caches_every_market_at_most_once_a_day(pool) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc))  # 09:00 in Vietnam
    catalog = SecuritiesCatalog(pool, SecuritySource.SSI, now=clock)
    async with LocalSsiServer(securities=ROWS) as ssi:
        async with client_for(ssi) as client:
            assert await catalog.refresh_if_due(lambda: fetch_ssi_securities(client))
            first = await catalog.securities()
            calls = len(ssi.data_requests("Securities"))
            clock.now += timedelta(hours=12)  # 21:00 the same Vietnam day
            assert not await catalog.refresh_if_due(lambda: fetch_ssi_securities(client))
            assert len(ssi.data_requests("Securities")) == calls
            ssi.securities["HNX"] = ssi.securities["HNX"][:1]  # SHS delisted overnight
            clock.now += timedelta(hours=4)  # 01:00 next day in Vietnam
            assert await catalog.refresh_if_due(lambda: fetch_ssi_securities(client))

    symbols = {s.symbol: s for s in first}
    assert {"ACB", "PVS", "SHS", "BSR", "VN30F2501"} <= set(symbols)
    assert symbols["VN30F2501"].kind is SecurityKind.FUTURES
    assert symbols["PVS"].market == "HNX"
    after = {s.symbol for s in await catalog.securities()}
    assert "SHS" not in after and "PVS" in after


async def test_failed_refresh_keeps_the_cache(pool, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc))
    catalog = SecuritiesCatalog(pool, SecuritySource.SSI, now=clock)
    async with LocalSsiServer(securities=ROWS) as ssi:
        async with client_for(ssi) as client:
            await catalog.refresh_if_due(lambda: fetch_ssi_securities(client))
    before = await catalog.securities()
    clock.now += timedelta(days=1)

    async def broken() -> list:
        return []

    with pytest.raises(ValueError):
        await catalog.refresh_if_due(broken)
    assert await catalog.securities() == before

    # the start-up refresh refused by SSI (wrong secret) logs and keeps the cache
    async with LocalSsiServer(securities=ROWS) as ssi:
        settings = Settings(home=tmp_path, ssi_consumer_id=ssi.consumer_id,
                            ssi_consumer_secret="wrong", ssi_data_url=ssi.data_url, rest_pace_s=0)
        await refresh_securities(pool, "ssi", settings)
        assert ssi.data_requests("AccessToken")  # it did try
    assert await catalog.securities() == before


async def test_demo_universe_is_cached_apart_from_ssi(pool) -> None:  # type: ignore[no-untyped-def]
    async with LocalSsiServer(securities=ROWS) as ssi:
        async with client_for(ssi) as client:
            await SecuritiesCatalog(pool, SecuritySource.SSI).refresh_if_due(
                lambda: fetch_ssi_securities(client))
    await refresh_securities(pool, "demo", None)

    demo = {s.symbol: s for s in await SecuritiesCatalog(pool, SecuritySource.DEMO).securities()}
    real = {s.symbol for s in await SecuritiesCatalog(pool, SecuritySource.SSI).securities()}
    today = vn_today()
    assert len([s for s in demo.values() if s.kind is SecurityKind.STOCK]) == 30
    assert demo[futures_symbol(today)].kind is SecurityKind.FUTURES
    assert demo[futures_symbol(today, 1)].kind is SecurityKind.FUTURES
    assert demo["VN30"].kind is SecurityKind.INDEX
    assert demo["ACB"].name_en == "Asia Commercial Joint Stock Bank"
    assert "PVS" not in demo and "HAG" not in demo  # the real list does not leak into the demo
    assert "VN30" not in real  # nor the demo into the real list
    assert "PVS" in real


def test_search_finds_by_symbol_and_by_name_accents_ignored() -> None:
    from desktop_app.feeds.ssi_rest import _security  # the client's own row parsing

    rows = [_security(r, m) for m, market_rows in ROWS.items() for r in market_rows]
    rows = [r for r in rows if r is not None]

    def found(query: str) -> set[str]:
        return {r.symbol for r in rows if matches(search_key(r), query)}

    assert found("acb") == {"ACB"}
    assert found("hoàng anh") == {"HAG"}  # Vietnamese typed with accents, SSI's names without
    assert found("Á Châu") == {"ACB"}
    assert found("dairy") == {"VNM"}
    assert found("vn30f25") == {"VN30F2501", "VN30F2503", "VN30F2506"}
    assert found("chứng khoán sài gòn") == {"SHS"}
    assert found("nothing like this") == set()
