"""The five history endpoints over a real database: exact values, ranges, pages, and bad input."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from desktop_app.api.history import create_app

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------- daily


async def test_daily_bars_are_exact_strings_in_date_order(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/history/FPT/daily", params={"from": "2024-01-01", "to": "2024-01-31"})
    assert r.status_code == 200
    body = r.json()
    assert body["symbol"] == "FPT"
    assert body["from"] == "2024-01-01" and body["to"] == "2024-01-31"
    assert [b["date"] for b in body["items"]] == ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
    first = body["items"][0]
    assert first == {
        "date": "2024-01-02", "open": "95000.00", "high": "96800.00", "low": "94900.00",
        "close": "96500.50", "volume": 2345600,
    }
    assert body["next_offset"] is None and body["count"] == 4


async def test_daily_range_is_inclusive_and_symbol_case_insensitive(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/history/fpt/daily", params={"from": "2023-12-29", "to": "2024-01-02"})
    assert [b["date"] for b in r.json()["items"]] == ["2023-12-29", "2024-01-02"]


async def test_daily_pages(api: httpx.AsyncClient) -> None:
    params = {"from": "2023-01-01", "to": "2024-12-31", "limit": 2}
    page1 = (await api.get("/api/history/FPT/daily", params=params)).json()
    assert [b["date"] for b in page1["items"]] == ["2023-12-29", "2024-01-02"]
    assert page1["next_offset"] == 2
    page3 = (await api.get("/api/history/FPT/daily", params={**params, "offset": 4})).json()
    assert [b["date"] for b in page3["items"]] == ["2024-01-05"]
    assert page3["next_offset"] is None


async def test_unknown_symbol_is_an_empty_page(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/history/ZZZ/daily", params={"from": "2024-01-01", "to": "2024-01-31"})
    assert r.status_code == 200 and r.json()["items"] == []


# --------------------------------------------------------------------------- trades


async def test_trades_of_a_vietnam_trading_day(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/history/FPT/trades", params={"date": "2024-03-01"})
    assert r.status_code == 200
    body = r.json()
    assert body["from"] == "2024-03-01T00:00:00+07:00" and body["to"] == "2024-03-02T00:00:00+07:00"
    assert [t["timestamp"] for t in body["items"]] == [
        "2024-03-01T09:15:00+07:00", "2024-03-01T09:15:03+07:00", "2024-03-01T09:15:07+07:00",
        "2024-03-01T10:00:00+07:00", "2024-03-01T14:45:00+07:00",
    ]
    assert [t["trade_type"] for t in body["items"]] == ["ato", "buy", "sell", "neutral", "atc"]
    buy = body["items"][1]
    assert buy == {
        "timestamp": "2024-03-01T09:15:03+07:00", "price": "96600.00", "volume": 500,
        "value": "48300000.00", "trade_type": "buy", "bid_price": "96500.00", "ask_price": "96600.00",
    }
    assert body["items"][3]["price"] == "96550.50"
    assert body["items"][0]["bid_price"] is None


async def test_trades_in_a_half_open_datetime_range_with_pages(api: httpx.AsyncClient) -> None:
    params = {"from": "2024-03-01T09:15:00+07:00", "to": "2024-03-01T02:00:00Z", "limit": 2}
    refused = await api.get("/api/history/FPT/trades", params=params)  # 02:00Z is 09:00 in Vietnam
    assert refused.status_code == 422 and refused.json()["detail"].startswith("from")
    params["to"] = "2024-03-01T03:00:00Z"  # 10:00 Vietnam time, exclusive
    page1 = (await api.get("/api/history/FPT/trades", params=params)).json()
    assert [t["timestamp"] for t in page1["items"]] == ["2024-03-01T09:15:00+07:00", "2024-03-01T09:15:03+07:00"]
    assert page1["next_offset"] == 2
    page2 = (await api.get("/api/history/FPT/trades", params={**params, "offset": 2})).json()
    assert [t["timestamp"] for t in page2["items"]] == ["2024-03-01T09:15:07+07:00"]
    assert page2["next_offset"] is None


async def test_naive_datetimes_are_vietnam_time(api: httpx.AsyncClient) -> None:
    params = {"from": "2024-03-01T10:00:00", "to": "2024-03-01T10:00:01"}
    items = (await api.get("/api/history/FPT/trades", params=params)).json()["items"]
    assert [t["price"] for t in items] == ["96550.50"]


async def test_trades_date_and_range_together_are_refused(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/history/FPT/trades", params={"date": "2024-03-01", "from": "2024-03-01"})
    assert r.status_code == 422
    assert "either 'date' or 'from'/'to'" in r.json()["detail"]


async def test_trades_date_must_be_a_day(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/history/FPT/trades", params={"date": "2024-03-01T09:00:00"})
    assert r.status_code == 422 and r.json()["detail"].startswith("date: not a day YYYY-MM-DD")


# --------------------------------------------------------------------------- foreign


async def test_foreign_snapshots(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/history/FPT/foreign", params={"from": "2024-03-01", "to": "2024-03-01"})
    assert r.status_code == 200
    items = r.json()["items"]
    assert [f["timestamp"] for f in items] == [
        "2024-03-01T09:20:00+07:00", "2024-03-01T09:25:00+07:00", "2024-03-01T13:05:00+07:00",
    ]
    assert items[1] == {
        "timestamp": "2024-03-01T09:25:00+07:00", "buy_volume": 25000, "sell_volume": 9000, "net_volume": 16000,
        "buy_value": "2412500000.00", "sell_value": "868500000.00", "buy_speed_per_min": "1500.00",
        "sell_speed_per_min": "400.25", "room_left": 49985000,
    }
    assert items[2]["room_left"] is None


# --------------------------------------------------------------------------- basis


async def test_basis_all_contracts_and_one(api: httpx.AsyncClient) -> None:
    day = {"from": "2024-03-01", "to": "2024-03-01"}
    everything = (await api.get("/api/history/basis", params=day)).json()
    assert [(b["futures_symbol"], b["basis"]) for b in everything["items"]] == [
        ("VN30F2403", "5.25"), ("VN30F2404", "7.75"), ("VN30F2403", "-2.50"),
    ]
    one = (await api.get("/api/history/basis", params={**day, "futures_symbol": "vn30f2403"})).json()
    assert one["futures_symbol"] == "VN30F2403"
    assert [b["timestamp"] for b in one["items"]] == ["2024-03-01T09:15:01+07:00", "2024-03-01T10:30:00+07:00"]
    assert one["items"][1] == {
        "timestamp": "2024-03-01T10:30:00+07:00", "futures_symbol": "VN30F2403", "futures_price": "1248.10",
        "spot_value": "1250.60", "basis": "-2.50",
    }


# --------------------------------------------------------------------------- alerts


async def test_alerts_newest_first_with_total(api: httpx.AsyncClient) -> None:
    body = (await api.get("/api/history/alerts", params={"limit": 2})).json()
    assert body["total"] == 5
    assert [a["id"] for a in body["items"]] == [5, 3]
    assert body["next_offset"] == 2
    assert body["items"][0]["created_at"] == "2024-03-04T09:30:00+07:00"


async def test_alert_filters(api: httpx.AsyncClient) -> None:
    fpt_warn = (await api.get("/api/history/alerts", params={"symbol": "fpt", "severity": "warning"})).json()
    assert [a["id"] for a in fpt_warn["items"]] == [5, 1] and fpt_warn["total"] == 2
    open_ = (await api.get("/api/history/alerts", params={"unacknowledged": "true", "to": "2024-03-01"})).json()
    assert [a["id"] for a in open_["items"]] == [3, 1, 4]
    typed = (await api.get("/api/history/alerts", params={"alert_type": "block_trade"})).json()
    assert typed["items"] == [{
        "id": 2, "symbol": "FPT", "alert_type": "block_trade", "severity": "info",
        "message": "FPT block 12.5 bn VND", "created_at": "2024-03-01T11:00:00+07:00",
        "acknowledged_at": "2024-03-01T11:05:00+07:00", "note": "seen",
    }]
    ranged = (await api.get("/api/history/alerts", params={"from": "2024-03-01T10:30:00+07:00",
                                                           "to": "2024-03-01T11:00:00+07:00"})).json()
    assert [a["id"] for a in ranged["items"]] == [1, 4]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("path", "params", "mentions"),
    [
        ("/api/history/F$T/daily", {}, "symbol"),
        ("/api/history/ABCDEFGHIJK/daily", {}, "symbol"),
        ("/api/history/FPT/daily", {"from": "2024-13-01"}, "from: not a date"),
        ("/api/history/FPT/daily", {"to": "yesterday"}, "to: not a date YYYY-MM-DD or an ISO 8601 datetime"),
        ("/api/history/FPT/daily", {"to": "2024-02-30"}, "to: not a date '2024-02-30'"),
        ("/api/history/FPT/daily", {"from": "2024-02-01", "to": "2024-01-01"}, "from: must not be after"),
        ("/api/history/FPT/daily", {"from": "9999-12-31"}, "outside 1990-01-01..2100-12-31"),
        ("/api/history/FPT/daily", {"from": "0001-01-01T00:00:00+14:00"}, "from"),
        ("/api/history/FPT/trades", {"limit": 5001}, "limit: Input should be less than or equal to 5000"),
        ("/api/history/FPT/trades", {"limit": 0}, "limit: Input should be greater than or equal to 1"),
        ("/api/history/FPT/trades", {"offset": -1}, "offset: "),
        ("/api/history/FPT/trades", {"offset": "lots"}, "offset: "),
        ("/api/history/FPT/trades", {"date": "1.3.2024"}, "date: not a day YYYY-MM-DD"),
        ("/api/history/FPT/foreign", {"from": ""}, "from: not a date"),
        ("/api/history/FPT/foreign", {"from": "2024-03-01T25:00:00"}, "from: not a date or datetime"),
        ("/api/history/basis", {"futures_symbol": "VN30F' OR 1=1"}, "futures_symbol"),
        ("/api/history/alerts", {"severity": "panic"}, "severity"),
        ("/api/history/alerts", {"alert_type": "DROP TABLE"}, "alert_type"),
        ("/api/history/alerts", {"unacknowledged": "maybe"}, "unacknowledged"),
    ],
)
async def test_bad_input_is_a_422_with_a_message(api: httpx.AsyncClient, path: str, params: dict, mentions: str) -> None:
    r = await api.get(path, params=params)
    assert r.status_code == 422, r.text
    assert mentions in r.text


async def test_the_api_pool_cannot_write(read_only_pool: asyncpg.Pool) -> None:
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await read_only_pool.execute("INSERT INTO alerts (symbol, alert_type) VALUES ('FPT', 'x')")
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await read_only_pool.execute("DELETE FROM trades")


async def test_a_database_that_cannot_answer_is_a_503(database_url: str) -> None:
    from desktop_app.api.server import open_read_only_pool

    pool = await open_read_only_pool(database_url)
    await pool.close()
    transport = httpx.ASGITransport(app=create_app(pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://history.test") as client:
        r = await client.get("/api/history/FPT/daily")
    assert r.status_code == 503
    assert r.json()["detail"].startswith("database unavailable")


async def test_openapi_document_lists_the_five_endpoints(api: httpx.AsyncClient) -> None:
    doc = (await api.get("/openapi.json")).json()
    assert set(doc["paths"]) == {
        "/api/history/{symbol}/daily", "/api/history/{symbol}/trades", "/api/history/{symbol}/foreign",
        "/api/history/basis", "/api/history/alerts",
        # and the order-flow views (tests/api/test_order_flow_api.py)
        "/api/history/{symbol}/flow", "/api/history/{symbol}/volume-profile",
        "/api/history/{symbol}/big-trades", "/api/history/flow",
    }
    assert all(set(ops) == {"get"} for ops in doc["paths"].values())
