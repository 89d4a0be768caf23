"""``bench query`` measures the minute-bar aggregate: its seed builds ``trade_minute_bars`` from the
seeded trades (equal to aggregating them), and an older seed that lacks it gets it built in place."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from desktop_app.bench.query import SCHEMA, SEED_VERSION, TRADES_YEAR_END, TRADES_YEAR_START, open_bench_pool, run_query_bench
from desktop_app.config import Settings
from desktop_app.database.repositories import trade_repository
from desktop_app.domain import VIETNAM_TZ

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

SCALE = 0.01  # 23 prints per symbol-day: ~180k trades


async def distinct_minutes(pool: asyncpg.Pool) -> int:
    return await pool.fetchval(
        f"SELECT count(DISTINCT (symbol, date_trunc('minute', traded_at))) FROM {SCHEMA}.trades "
        f"WHERE trade_type <> 'put_through'")


async def test_seeded_minute_bars_equal_the_raw_aggregation_and_old_seeds_get_them(
    tmp_path: Path, database_url: str, pool: asyncpg.Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(home=tmp_path, database_url=database_url)
    assert await run_query_bench(settings, as_json=True, scale=SCALE, quick=True) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["minute_bars_rows"] == await distinct_minutes(pool) > 0
    for name in ("intraday_minutes_1y", "intraday_15min_1y"):
        assert 0 < first[f"{name}_ms_p50"] <= first[f"{name}_ms_p99"]

    bench = await open_bench_pool(database_url)
    try:
        start = datetime.combine(TRADES_YEAR_START, datetime.min.time(), VIETNAM_TZ)
        end = datetime.combine(TRADES_YEAR_END + timedelta(days=1), datetime.min.time(), VIETNAM_TZ)
        for bucket in (timedelta(minutes=1), timedelta(minutes=15)):
            got = await trade_repository.minute_bars(bench, "T07", start, end, bucket=bucket)
            want = await trade_repository._minute_bars_from_trades(bench, "T07", start, end, bucket=bucket)
            assert len(got) > 1000
            for field in ("minute_epoch_s", "open", "high", "low", "close", "volume", "buy_volume",
                          "sell_volume", "neutral_volume", "auction_volume"):
                assert np.array_equal(getattr(got, field), getattr(want, field)), (bucket, field)
    finally:
        await bench.close()
    assert await pool.fetchval("SELECT count(*) FROM trade_minute_bars") == 0  # the user's table untouched

    # A seed made before the aggregate existed (version 2, no table, no bar columns) is reused,
    # and only the bars are built.
    await pool.execute(f"DROP TABLE {SCHEMA}.trade_minute_bars")
    await pool.execute(f"ALTER TABLE {SCHEMA}.seed_info DROP COLUMN minute_bars_rows, DROP COLUMN minute_bars_s")
    await pool.execute(f"UPDATE {SCHEMA}.seed_info SET version = 2")
    trades_before = await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.trades")
    assert await run_query_bench(settings, as_json=True, scale=SCALE, quick=True) == 0
    upgraded = json.loads(capsys.readouterr().out)
    assert upgraded["seed_reused"] is True
    assert upgraded["minute_bars_rows"] == first["minute_bars_rows"]
    assert await pool.fetchval(f"SELECT version FROM {SCHEMA}.seed_info") == SEED_VERSION
    assert await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.trades") == trades_before
    assert upgraded["intraday_minutes_1y_ms_p50"] > 0
