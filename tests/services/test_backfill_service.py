"""BackfillService against the local SSI server and a real database."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest

from desktop_app.domain import VIETNAM_TZ
from desktop_app.feeds.ssi_rest import SsiAuthError
from desktop_app.services.backfill import BackfillProgress, BackfillService, _aligned_windows
from tests.services.conftest import END, PAGE_SIZE, START, SYMBOLS, expected_rows, make_client, stored_rows
from tests.support.ssi_server import LocalSsiServer, sample_daily_rows

pytestmark = pytest.mark.timeout(60)


def ohlc_requests(ssi: LocalSsiServer, since: int = 0) -> list:
    return [r for r in ssi.requests[since:] if "DailyOhlc" in r.path]


async def test_several_symbols_over_pages_and_windows_land_exactly(make_service, ssi: LocalSsiServer,
                                                                   pool: asyncpg.Pool) -> None:
    events: list[BackfillProgress] = []
    summary = await make_service().run(list(SYMBOLS), START, END, progress=events.append)

    all_rows = [r for s in SYMBOLS for r in ssi.daily_ohlc[s]]
    assert await stored_rows(pool) == expected_rows(all_rows)
    assert summary.inserted == len(all_rows) and summary.updated == 0 and summary.unchanged == 0
    assert summary.rows == {s: len(ssi.daily_ohlc[s]) for s in SYMBOLS}
    assert summary.failed == {} and summary.ok and not summary.cancelled
    # Real paging and windowing happened: several windows per symbol, several pages per window.
    served = ohlc_requests(ssi)
    assert {r.params["pageIndex"] for r in served} >= {"1", "2", "3"}
    assert len({r.params["fromDate"] for r in served if r.params["symbol"] == "FPT"}) == summary.windows_fetched // 3
    assert summary.windows_fetched >= 3 * 4
    # Progress: monotonic, per symbol, ending at total.
    assert [e.done for e in events] == sorted(e.done for e in events)
    assert events[-1].done == events[-1].total == summary.windows_fetched
    assert [e.symbol for e in events if e.symbol_index == 2][0] == "VNM"
    assert events[-1].rows == len(all_rows)


async def test_volume_with_decimal_point_and_exact_prices(make_service, ssi: LocalSsiServer, pool: asyncpg.Pool) -> None:
    ssi.daily_ohlc["ACB"] = [{
        "Symbol": "ACB", "Market": "HOSE", "TradingDate": "10/08/2023", "Time": None, "Open": "22950",
        "High": "23050.5", "Low": "22800", "Close": "22900.25", "Volume": "23382100.0", "Value": "663258204999.9850",
    }]
    await make_service().run(["ACB"], date(2023, 8, 1), date(2023, 8, 31))
    row = await pool.fetchrow("SELECT open, high, low, close, volume FROM daily_ohlc WHERE symbol = 'ACB'")
    assert tuple(map(str, row)) == ("22950.00", "23050.50", "22800.00", "22900.25", "23382100")


async def test_second_run_changes_nothing_and_asks_ssi_nothing(make_service, ssi: LocalSsiServer) -> None:
    first = await make_service().run(list(SYMBOLS), START, END)
    before = len(ssi.requests)
    second = await make_service().run(list(SYMBOLS), START, END)
    assert (second.inserted, second.updated) == (0, 0)
    assert second.windows_fetched == 0 and second.windows_skipped == first.windows_fetched
    assert ohlc_requests(ssi, before) == []


async def test_forced_rerun_is_idempotent_and_picks_up_corrections(make_service, ssi: LocalSsiServer,
                                                                   pool: asyncpg.Pool) -> None:
    first = await make_service().run(["FPT"], START, END)
    corrected = dict(ssi.daily_ohlc["FPT"][5], Close="123450")
    ssi.daily_ohlc["FPT"][5] = corrected
    again = await make_service(force=True).run(["FPT"], START, END)
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, first.inserted - 1)
    assert expected_rows([corrected]) <= await stored_rows(pool, "FPT")


async def test_token_expiry_mid_run_is_recovered(make_service, ssi: LocalSsiServer, pool: asyncpg.Pool) -> None:
    expired = []

    def expire_once(p: BackfillProgress) -> None:
        if p.done == 2 and not expired:
            ssi.expire_tokens()
            expired.append(p)

    summary = await make_service().run(list(SYMBOLS), START, END, progress=expire_once)
    assert expired and summary.ok
    assert ssi.unauthorized_served >= 1 and len(ssi.tokens_issued) >= 2
    assert await stored_rows(pool) == expected_rows([r for s in SYMBOLS for r in ssi.daily_ohlc[s]])


async def test_429_and_500_are_retried(make_service, ssi: LocalSsiServer, pool: asyncpg.Pool) -> None:
    ssi.fail_next(429, 1, path="DailyOhlc", retry_after="0")
    ssi.fail_next(500, 2, path="DailyOhlc")
    summary = await make_service().run(["FPT", "VNM"], START, END)
    assert summary.ok
    assert [r.status for r in ohlc_requests(ssi)][:4] == [429, 500, 500, 200]
    assert await stored_rows(pool) == expected_rows(ssi.daily_ohlc["FPT"] + ssi.daily_ohlc["VNM"])


async def test_one_failing_symbol_does_not_stop_the_others(make_service, ssi: LocalSsiServer,
                                                           pool: asyncpg.Pool) -> None:
    # VNM's third row is malformed (as a broken upstream row would be): VNM fails, FPT and HPG land.
    ssi.daily_ohlc["VNM"][30] = dict(ssi.daily_ohlc["VNM"][30], Open="twelve")
    summary = await make_service().run(list(SYMBOLS), START, END)
    assert set(summary.failed) == {"VNM"} and "SsiApiError" in summary.failed["VNM"]
    assert "twelve" in summary.failed["VNM"]
    assert not summary.ok
    assert await stored_rows(pool, "HPG") == expected_rows(ssi.daily_ohlc["HPG"])
    assert await stored_rows(pool, "FPT") == expected_rows(ssi.daily_ohlc["FPT"])
    # The windows before the bad one were written.
    bad_day = _day(ssi.daily_ohlc["VNM"][30])
    bad_window_start = next(a for a, b in _aligned_windows(START, END, 30) if a <= bad_day <= b)
    good = [r for r in ssi.daily_ohlc["VNM"] if _day(r) < bad_window_start]
    assert good and await stored_rows(pool, "VNM") == expected_rows(good)


async def test_retries_exhausted_for_one_symbol(make_service, ssi: LocalSsiServer, pool: asyncpg.Pool) -> None:
    def break_second_symbol(p: BackfillProgress) -> None:
        if p.symbol == "FPT" and p.done == p.total // 3:
            ssi.fail_next(503, 4, path="DailyOhlc")  # max_retries=3: four failures exhaust them

    summary = await make_service().run(list(SYMBOLS), START, END, progress=break_second_symbol)
    assert set(summary.failed) == {"VNM"} and "SsiUnavailableError" in summary.failed["VNM"]
    assert await stored_rows(pool, "VNM") == set()
    assert await stored_rows(pool, "HPG") == expected_rows(ssi.daily_ohlc["HPG"])
    retry = await make_service().run(list(SYMBOLS), START, END)
    assert retry.ok and set(retry.rows) == set(SYMBOLS) and retry.rows["FPT"] == 0
    assert retry.inserted == len(ssi.daily_ohlc["VNM"])


async def test_wrong_credentials_stop_the_run(pool: asyncpg.Pool, ssi: LocalSsiServer, progress_file: Path) -> None:
    service = BackfillService(pool, make_client(ssi, secret="not-the-secret"), progress_path=progress_file)
    with pytest.raises(SsiAuthError, match="SSI rejected the credentials") as info:
        await service.run(["FPT"], START, END)
    assert "not-the-secret" not in str(info.value)
    assert await stored_rows(pool) == set()


async def test_cancel_then_resume(make_service, ssi: LocalSsiServer, pool: asyncpg.Pool) -> None:
    cancel = asyncio.Event()

    def cancel_after_three(p: BackfillProgress) -> None:
        if p.done == 3:
            cancel.set()

    windows = _aligned_windows(START, END, 30)
    first = await make_service(batch_rows=10_000).run(["FPT"], START, END, progress=cancel_after_three, cancel=cancel)
    assert first.cancelled and not first.ok and first.windows_fetched == 3
    done_until = windows[2][1]
    fetched = [r for r in ssi.daily_ohlc["FPT"] if _day(r) <= done_until]
    assert await stored_rows(pool, "FPT") == expected_rows(fetched)  # buffered bars were written on cancel

    before = len(ssi.requests)
    second = await make_service().run(["FPT"], START, END)
    assert second.ok and second.windows_skipped == 3 and second.windows_fetched == len(windows) - 3
    assert second.inserted == len(ssi.daily_ohlc["FPT"]) - len(fetched)
    asked = {r.params["fromDate"] for r in ohlc_requests(ssi, before)}
    assert asked == {w[0].strftime("%d/%m/%Y") for w in windows[3:]}
    assert await stored_rows(pool, "FPT") == expected_rows(ssi.daily_ohlc["FPT"])


async def test_cancelling_the_task_keeps_what_was_committed(make_service, ssi: LocalSsiServer,
                                                            pool: asyncpg.Pool) -> None:
    reached = asyncio.Event()

    def note(p: BackfillProgress) -> None:
        if p.symbol == "VNM":
            reached.set()

    task = asyncio.create_task(make_service(batch_rows=1).run(list(SYMBOLS), START, END, progress=note))
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await stored_rows(pool, "FPT") == expected_rows(ssi.daily_ohlc["FPT"])
    resumed = await make_service().run(list(SYMBOLS), START, END)
    assert resumed.ok and resumed.rows["FPT"] == 0
    assert await stored_rows(pool) == expected_rows([r for s in SYMBOLS for r in ssi.daily_ohlc[s]])


async def test_a_wiped_table_is_refilled_despite_the_progress_record(make_service, ssi: LocalSsiServer,
                                                                      pool: asyncpg.Pool) -> None:
    await make_service().run(["FPT", "VNM"], START, END)
    await pool.execute("DELETE FROM daily_ohlc WHERE symbol = 'FPT'")
    again = await make_service().run(["FPT", "VNM"], START, END)
    assert again.inserted == len(ssi.daily_ohlc["FPT"]) and again.rows["VNM"] == 0
    assert await stored_rows(pool, "FPT") == expected_rows(ssi.daily_ohlc["FPT"])


async def test_windows_reaching_today_are_fetched_again(pool: asyncpg.Pool, progress_file: Path) -> None:
    from datetime import datetime

    today = datetime.now(VIETNAM_TZ).date()
    start = today - timedelta(days=70)
    async with LocalSsiServer(daily_ohlc={"FPT": sample_daily_rows("FPT", start, today)}) as ssi:
        service = BackfillService(pool, lambda: make_client(ssi), progress_path=progress_file, page_size=PAGE_SIZE)
        first = await service.run(["FPT"], start, today)
        before = len(ssi.requests)
        second = await service.run(["FPT"], start, today)
    assert second.windows_fetched == 1 and second.windows_skipped == first.windows_fetched - 1
    assert {r.params["toDate"] for r in ohlc_requests(ssi, before)} == {today.strftime("%d/%m/%Y")}
    recorded = json.loads(progress_file.read_text())["windows"]["FPT"]
    assert max(end for _, end, _ in recorded) < today.isoformat()


async def test_vn30_means_the_live_basket(make_service, ssi: LocalSsiServer) -> None:
    ssi.index_components["VN30"] = ["FPT", "HPG"]
    summary = await make_service().run("VN30", START, date(2023, 1, 31))
    assert summary.symbols == ("FPT", "HPG") and summary.basket_source == "ssi"
    assert summary.rows["HPG"] == len([r for r in ssi.daily_ohlc["HPG"] if _day(r) <= date(2023, 1, 31)])


async def test_vn30_falls_back_to_the_shipped_basket(make_service, ssi: LocalSsiServer) -> None:
    ssi.fail_next(500, 4, path="IndexComponents")
    summary = await make_service(default_basket=lambda: ("VNM", "FPT")).run(["VN30"], START, date(2023, 1, 15))
    assert summary.basket_source == "default" and summary.symbols == ("VNM", "FPT") and summary.ok


def test_shipped_basket_is_the_default_one() -> None:
    from desktop_app.feeds.basket import default_vn30_basket
    from desktop_app.services.backfill import _shipped_basket

    assert tuple(_shipped_basket()) == tuple(default_vn30_basket()) and len(default_vn30_basket()) == 30


def test_windows_line_up_across_runs() -> None:
    a = _aligned_windows(date(2023, 1, 1), date(2023, 6, 30), 30)
    b = _aligned_windows(date(2023, 2, 10), date(2023, 6, 30), 30)
    assert a[-3:] == b[-3:]
    assert a[0][0] == date(2023, 1, 1) and a[-1][1] == date(2023, 6, 30)
    assert all(x[1] + timedelta(days=1) == y[0] for x, y in zip(a, a[1:]))
    assert all((w[1] - w[0]).days < 30 for w in a)


def _day(row: dict) -> date:
    from datetime import datetime

    return datetime.strptime(row["TradingDate"], "%d/%m/%Y").date()


async def test_unreachable_ssi_fails_once_before_any_symbol(pool: asyncpg.Pool, progress_file: Path) -> None:
    import socket

    from desktop_app.feeds.ssi_rest import SsiRestClient, SsiUnavailableError

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/"
    client = SsiRestClient(url, "id", "secret", pace_s=0, max_retries=1, backoff_base_s=0.01)
    events: list[BackfillProgress] = []
    with pytest.raises(SsiUnavailableError):
        await BackfillService(pool, client, progress_path=progress_file).run(
            ["FPT", "VNM", "HPG"], START, END, progress=events.append
        )
    await client.aclose()
    assert events == []
