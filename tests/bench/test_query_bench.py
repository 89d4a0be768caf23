"""``bench query`` on the test database at a small scale: seeds a separate schema, reuses it, and
reports every figure the contract names, measured through the repositories."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest

from desktop_app.bench.query import TRADES_YEAR_END, TRADES_YEAR_START, run_query_bench
from desktop_app.config import Settings

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

QUERIES = ("daily_ohlc_1y", "trades_symbol_day", "intraday_minutes_1y", "alert_page",
           "flow_1min", "volume_profile", "basket_flow", "big_trades")


def weekdays(a: date, b: date) -> int:
    return sum(1 for i in range((b - a).days + 1) if (a + timedelta(days=i)).weekday() < 5)


async def test_bench_query_seeds_once_and_reports_the_contract_keys(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(home=tmp_path, database_url=database_url)
    assert await run_query_bench(settings, as_json=True, scale=0.05, quick=True) == 0
    first = json.loads(capsys.readouterr().out)
    for name in QUERIES:
        assert 0 < first[f"{name}_ms_p50"] <= first[f"{name}_ms_p99"]
    trading_days = weekdays(TRADES_YEAR_START, TRADES_YEAR_END)
    assert first["trades_rows"] == 30 * trading_days * 115  # 2,300 prints per symbol-day at scale 1
    assert first["daily_rows"] % 20 == 0 and first["daily_rows"] // 20 > 2500  # 20 symbols x 10 years
    assert first["seed_reused"] is False and first["scale_seeded"] == 0.05
    assert {"load_avg_1m", "load_avg_5m", "load_avg_15m"} <= set(first)  # beside the figures

    # The seeded rows are where the benchmark reads them, not in the user's tables.
    assert await pool.fetchval("SELECT count(*) FROM bench_query.trades") == first["trades_rows"]
    assert await pool.fetchval("SELECT count(*) FROM trades") == 0
    assert await pool.fetchval("SELECT count(*) FROM daily_ohlc") == 0
    indexes = {r[0] for r in await pool.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'bench_query'")}
    assert {"idx_trades_symbol_time", "idx_ohlc_symbol_date", "idx_alerts_symbol_time"} <= indexes

    # A smaller scale reuses the seed; the human-readable form names every query.
    assert await run_query_bench(settings, as_json=False, scale=0.02, quick=True) == 0
    text = capsys.readouterr().out
    assert "reused" in text and all(name in text for name in QUERIES)
    assert "load average" in text
    assert f"trades {first['trades_rows']:,}" in text
