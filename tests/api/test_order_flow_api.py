"""The order-flow endpoints over a real database holding a hand-built day: every definition,
worked out by hand, plus the 422s and the 503."""

from __future__ import annotations

from decimal import Decimal
from typing import AsyncIterator

import asyncpg
import httpx
import pytest

from desktop_app.api.history import create_app
from tests.services.order_flow_day import insert_day

pytestmark = pytest.mark.timeout(60)

DAY = "2024-03-05"


@pytest.fixture
async def flow_api(pool: asyncpg.Pool, read_only_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    await insert_day(pool)
    transport = httpx.ASGITransport(app=create_app(read_only_pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://history.test") as client:
        yield client


def _bar(time: str, o: str, h: str, lo: str, c: str, volume: int, buy: int, sell: int, neutral: int,
         auction: int, buy_value: str, sell_value: str, delta: int, cvd: int, vwap: str) -> dict:
    return {
        "time": f"{DAY}T{time}:00+07:00", "open": o, "high": h, "low": lo, "close": c, "volume": volume,
        "buy_volume": buy, "sell_volume": sell, "neutral_volume": neutral, "auction_volume": auction,
        "buy_value": buy_value, "sell_value": sell_value, "delta": delta, "cvd": cvd, "vwap": vwap,
    }


async def test_one_minute_flow_bars_follow_every_definition(flow_api: httpx.AsyncClient) -> None:
    r = await flow_api.get("/api/history/hpg/flow", params={"date": DAY})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["symbol"], body["date"], body["interval"]) == ("HPG", DAY, 1)
    assert body["items"] == [
        # the ATO print is in volume and auction volume, not in delta; the put-through (09:16:30) is nowhere
        _bar("09:15", "25000.00", "25050.00", "25000.00", "25000.00", 1500, 200, 300, 0, 1000,
             "5010000.00", "7500000.00", -100, -100, "25006.67"),
        _bar("09:16", "25100.00", "25100.00", "25100.00", "25100.00", 100, 100, 0, 0, 0,
             "2510000.00", "0.00", 100, 0, "25012.50"),
        _bar("09:17", "25050.00", "25050.00", "25050.00", "25050.00", 50, 0, 0, 50, 0,
             "0.00", "0.00", 0, 0, "25013.64"),
        # lunch: nothing between 11:30 and 13:00; CVD carries over the break
        _bar("11:29", "25100.00", "25100.00", "25100.00", "25100.00", 500, 500, 0, 0, 0,
             "12550000.00", "0.00", 500, 500, "25033.72"),
        # two prints at 13:00:00: the later arrival closes the bar
        _bar("13:00", "25000.00", "25050.00", "25000.00", "25050.00", 410, 10, 400, 0, 0,
             "250500.00", "10000000.00", -390, 110, "25028.52"),
        _bar("13:05", "25100.00", "25100.00", "25100.00", "25100.00", 40000, 40000, 0, 0, 0,
             "1004000000.00", "0.00", 40000, 40110, "25095.70"),
        _bar("14:45", "25200.00", "25200.00", "25200.00", "25200.00", 50000, 0, 0, 0, 50000,
             "0.00", "0.00", 0, 40110, "25152.04"),
    ]


async def test_bars_align_on_vietnam_midnight_across_the_lunch_break(flow_api: httpx.AsyncClient) -> None:
    thirty = (await flow_api.get("/api/history/HPG/flow", params={"date": DAY, "interval": 30})).json()
    assert [(b["time"][11:16], b["open"], b["close"], b["volume"], b["delta"], b["cvd"], b["vwap"])
            for b in thirty["items"]] == [
        ("09:00", "25000.00", "25050.00", 1650, 0, 0, "25013.64"),
        ("11:00", "25100.00", "25100.00", 500, 500, 500, "25033.72"),
        ("13:00", "25000.00", "25100.00", 40410, 39610, 40110, "25095.70"),
        ("14:30", "25200.00", "25200.00", 50000, 0, 40110, "25152.04"),
    ]
    sixty = (await flow_api.get("/api/history/HPG/flow", params={"date": DAY, "interval": 60})).json()
    assert sixty["interval"] == 60
    assert [b["time"][11:16] for b in sixty["items"]] == ["09:00", "11:00", "13:00", "14:00"]
    five = (await flow_api.get("/api/history/HPG/flow", params={"date": DAY, "interval": 5})).json()
    assert [b["time"][11:16] for b in five["items"]] == ["09:15", "11:25", "13:00", "13:05", "14:45"]


async def test_vwap_rounds_half_up_to_two_decimals(flow_api: httpx.AsyncClient) -> None:
    bars = (await flow_api.get("/api/history/VWP/flow", params={"date": DAY})).json()["items"]
    assert [b["vwap"] for b in bars] == ["10000.01"]  # (10000.00 + 10000.01) / 2 = 10000.005


async def test_volume_profile_poc_and_value_area(flow_api: httpx.AsyncClient) -> None:
    body = (await flow_api.get("/api/history/HPG/volume-profile", params={"date": DAY})).json()
    assert body["items"] == [
        {"price": "25000.00", "volume": 1700, "buy_volume": 0, "sell_volume": 700, "neutral_volume": 0,
         "auction_volume": 1000},
        {"price": "25050.00", "volume": 260, "buy_volume": 210, "sell_volume": 0, "neutral_volume": 50,
         "auction_volume": 0},
        {"price": "25100.00", "volume": 40600, "buy_volume": 40600, "sell_volume": 0, "neutral_volume": 0,
         "auction_volume": 0},
        {"price": "25200.00", "volume": 50000, "buy_volume": 0, "sell_volume": 0, "neutral_volume": 0,
         "auction_volume": 50000},
    ]  # no 26000 level: the put-through is outside the profile
    assert (body["symbol"], body["date"]) == ("HPG", DAY)
    assert (body["poc"], body["value_area_low"], body["value_area_high"]) == ("25200.00", "25100.00", "25200.00")


async def test_poc_tie_takes_the_lower_price(flow_api: httpx.AsyncClient) -> None:
    body = (await flow_api.get("/api/history/TIE1/volume-profile", params={"date": DAY})).json()
    # 500 at 10050 and at 10100: POC 10050; VA grows up to 10100 (500 > 300), then down to 10000 (300 > 200)
    assert (body["poc"], body["value_area_low"], body["value_area_high"]) == ("10050.00", "10000.00", "10100.00")


async def test_value_area_grows_upward_when_neighbours_tie(flow_api: httpx.AsyncClient) -> None:
    body = (await flow_api.get("/api/history/TIE2/volume-profile", params={"date": DAY})).json()
    # POC 10050 holds 600 of 1100; 200 below and 200 above: the upper joins, 800 >= 770 stops it
    assert (body["poc"], body["value_area_low"], body["value_area_high"]) == ("10050.00", "10050.00", "10100.00")


async def test_empty_day_profile_has_no_poc(flow_api: httpx.AsyncClient) -> None:
    body = (await flow_api.get("/api/history/HPG/volume-profile", params={"date": "2024-03-06"})).json()
    assert body["items"] == [] and body["poc"] is None and body["value_area_low"] is None


async def test_big_trades_include_put_throughs_not_auctions(flow_api: httpx.AsyncClient) -> None:
    default = (await flow_api.get("/api/history/HPG/big-trades", params={"date": DAY})).json()
    assert default == {"items": [
        {"time": f"{DAY}T09:16:30+07:00", "price": "26000.00", "volume": 100000, "value": "2600000000.00",
         "trade_type": "put_through"},
        {"time": f"{DAY}T13:05:00+07:00", "price": "25100.00", "volume": 40000, "value": "1004000000.00",
         "trade_type": "buy"},
    ]}  # the ATC print is worth 1.26 bn VND but an auction match is not a big trade
    lower = (await flow_api.get("/api/history/HPG/big-trades", params={"date": DAY, "min_value": "10000000"})).json()
    assert [(t["time"][11:19], t["value"]) for t in lower["items"]] == [
        ("09:16:30", "2600000000.00"), ("11:29:59", "12550000.00"), ("13:00:00", "10000000.00"),
        ("13:05:00", "1004000000.00"),
    ]  # at least min_value: the 10,000,000 print is in


async def test_big_trades_default_threshold_comes_from_the_app(read_only_pool: asyncpg.Pool, pool: asyncpg.Pool) -> None:
    await insert_day(pool)
    app = create_app(read_only_pool, big_trade_min_value=Decimal(2_000_000_000))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://h.test") as client:
        body = (await client.get("/api/history/HPG/big-trades", params={"date": DAY})).json()
    assert [t["trade_type"] for t in body["items"]] == ["put_through"]


async def test_basket_flow_sums_values_over_the_symbols(flow_api: httpx.AsyncClient) -> None:
    r = await flow_api.get("/api/history/flow", params={"date": DAY, "interval": 60, "symbols": "hpg,VWP"})
    assert r.status_code == 200, r.text
    assert r.json() == {"items": [
        {"time": f"{DAY}T09:00:00+07:00", "buy_value": "7530000.00", "sell_value": "7510000.01",
         "neutral_value": "1252500.00", "auction_value": "25000000.00", "delta_value": "19999.99",
         "cvd_value": "19999.99"},
        {"time": f"{DAY}T11:00:00+07:00", "buy_value": "12550000.00", "sell_value": "0.00",
         "neutral_value": "0.00", "auction_value": "0.00", "delta_value": "12550000.00",
         "cvd_value": "12569999.99"},
        {"time": f"{DAY}T13:00:00+07:00", "buy_value": "1004250500.00", "sell_value": "10000000.00",
         "neutral_value": "0.00", "auction_value": "0.00", "delta_value": "994250500.00",
         "cvd_value": "1006820499.99"},
        {"time": f"{DAY}T14:00:00+07:00", "buy_value": "0.00", "sell_value": "0.00",
         "neutral_value": "0.00", "auction_value": "1260000000.00", "delta_value": "0.00",
         "cvd_value": "1006820499.99"},
    ]}


async def test_basket_flow_defaults_to_the_vn30_basket(flow_api: httpx.AsyncClient) -> None:
    body = (await flow_api.get("/api/history/flow", params={"date": DAY, "interval": 60})).json()
    # HPG is a VN30 member; VWP, TIE1 and TIE2 are not
    assert [b["buy_value"] for b in body["items"]] == ["7520000.00", "12550000.00", "1004250500.00", "0.00"]
    assert body["items"][-1]["cvd_value"] == "1006820500.00"


async def test_basket_route_is_not_taken_for_a_symbol(flow_api: httpx.AsyncClient) -> None:
    one = (await flow_api.get("/api/history/FLOW/flow", params={"date": DAY})).json()
    assert one["symbol"] == "FLOW" and one["items"] == []
    basket = (await flow_api.get("/api/history/flow", params={"date": DAY, "symbols": "TIE1"})).json()
    assert set(basket) == {"items"} and len(basket["items"]) == 4


@pytest.mark.parametrize(
    ("path", "params", "mentions"),
    [
        ("/api/history/HPG/flow", {"date": "2024-13-01"}, "date: not a date"),
        ("/api/history/HPG/flow", {"date": "5.3.2024"}, "date: not a day YYYY-MM-DD"),
        ("/api/history/HPG/flow", {"date": "2024-03-05T09:00"}, "date: not a day YYYY-MM-DD"),
        ("/api/history/HPG/flow", {"date": "1900-01-01"}, "date: 1900-01-01 is outside"),
        ("/api/history/HPG/flow", {"interval": 2}, "interval: must be one of 1, 5, 15, 30, 60 minutes"),
        ("/api/history/HPG/flow", {"interval": 0}, "interval: must be one of"),
        ("/api/history/HPG/flow", {"interval": "five"}, "interval: "),
        ("/api/history/H;PG/flow", {}, "symbol"),
        ("/api/history/HPG/volume-profile", {"date": "yesterday"}, "date: not a day"),
        ("/api/history/HPG/big-trades", {"min_value": "-1"}, "min_value: not a VND amount"),
        ("/api/history/HPG/big-trades", {"min_value": "1e9"}, "min_value: not a VND amount"),
        ("/api/history/HPG/big-trades", {"min_value": "abc"}, "min_value: not a VND amount"),
        ("/api/history/HPG/big-trades", {"min_value": "0"}, "min_value: must be at least 1 VND"),
        ("/api/history/flow", {"symbols": ""}, "symbols: not comma-separated tickers"),
        ("/api/history/flow", {"symbols": "HPG,,FPT"}, "symbols: not comma-separated tickers"),
        ("/api/history/flow", {"symbols": "HPG;DROP"}, "symbols: not comma-separated tickers"),
        ("/api/history/flow", {"symbols": "ABCDEFGHIJK"}, "symbols: not comma-separated tickers"),
        ("/api/history/flow", {"symbols": ",".join(f"S{i}" for i in range(101))}, "symbols: "),
        ("/api/history/flow", {"interval": 10}, "interval: must be one of"),
        ("/api/history/flow", {"date": "2024-02-30"}, "date: not a date"),
    ],
)
async def test_bad_order_flow_input_is_a_422(flow_api: httpx.AsyncClient, path: str, params: dict, mentions: str) -> None:
    r = await flow_api.get(path, params=params)
    assert r.status_code == 422, r.text
    assert mentions in r.json()["detail"]


@pytest.mark.parametrize("path", [
    "/api/history/HPG/flow", "/api/history/HPG/volume-profile", "/api/history/HPG/big-trades", "/api/history/flow",
])
async def test_order_flow_on_a_database_that_cannot_answer_is_a_503(database_url: str, path: str) -> None:
    from desktop_app.api.server import open_read_only_pool

    closed = await open_read_only_pool(database_url)
    await closed.close()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(closed)), base_url="http://h.test") as client:
        r = await client.get(path, params={"date": DAY})
    assert r.status_code == 503
    assert r.json()["detail"].startswith("database unavailable")


async def test_openapi_documents_the_order_flow_endpoints(flow_api: httpx.AsyncClient) -> None:
    doc = (await flow_api.get("/openapi.json")).json()
    for path in ("/api/history/{symbol}/flow", "/api/history/{symbol}/volume-profile",
                 "/api/history/{symbol}/big-trades", "/api/history/flow"):
        op = doc["paths"][path]["get"]
        assert {"200", "422", "503"} <= set(op["responses"]), path
    schemas = doc["components"]["schemas"]
    assert schemas["FlowBarOut"]["properties"]["vwap"]["anyOf"][0] == {"type": "string", "format": "decimal"}
    assert "time" in schemas["BigTradeOut"]["properties"]
