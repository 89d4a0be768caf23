"""Backfill fixtures: the local SSI server (real REST protocol) holding known DailyOhlc rows,
a fast client for it (no pacing, tiny backoff, small pages so that windows span several pages),
and helpers to read back what landed in ``daily_ohlc``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import AsyncIterator

import asyncpg
import pytest

from desktop_app.feeds.ssi_rest import SsiRestClient
from desktop_app.services.backfill import BackfillService
from tests.support.ssi_server import LocalSsiServer, sample_daily_rows

START = date(2023, 1, 1)
END = date(2023, 4, 30)
SYMBOLS = ("FPT", "VNM", "HPG")
PAGE_SIZE = 10  # a 30-day window holds ~21 weekdays: three pages


def dataset(start: date = START, end: date = END, symbols: tuple[str, ...] = SYMBOLS) -> dict[str, list[dict]]:
    return {s: sample_daily_rows(s, start, end) for s in symbols}


def expected_rows(rows: list[dict]) -> set[tuple]:
    """What ``daily_ohlc`` must hold for SSI rows: exact decimals, whole volumes."""
    from datetime import datetime

    return {
        (r["Symbol"], datetime.strptime(r["TradingDate"], "%d/%m/%Y").date(), Decimal(r["Open"]),
         Decimal(r["High"]), Decimal(r["Low"]), Decimal(r["Close"]), int(Decimal(r["Volume"])))
        for r in rows
    }


async def stored_rows(pool: asyncpg.Pool, symbol: str | None = None) -> set[tuple]:
    rows = await pool.fetch(
        "SELECT symbol, date, open, high, low, close, volume FROM daily_ohlc"
        " WHERE $1::text IS NULL OR symbol = $1", symbol,
    )
    return {tuple(r) for r in rows}


@pytest.fixture
async def ssi() -> AsyncIterator[LocalSsiServer]:
    async with LocalSsiServer(daily_ohlc=dataset(), max_range_days=30) as server:
        yield server


def make_client(server: LocalSsiServer, *, secret: str | None = None) -> SsiRestClient:
    return SsiRestClient(
        server.data_url, server.consumer_id, secret or server.consumer_secret,
        pace_s=0, max_retries=3, backoff_base_s=0.01, backoff_max_s=0.05,
    )


@pytest.fixture
def progress_file(tmp_path: Path) -> Path:
    return tmp_path / "backfill-progress.json"


@pytest.fixture
def make_service(pool: asyncpg.Pool, ssi: LocalSsiServer, progress_file: Path):  # type: ignore[no-untyped-def]
    def build(**options) -> BackfillService:  # type: ignore[no-untyped-def]
        options.setdefault("progress_path", progress_file)
        options.setdefault("page_size", PAGE_SIZE)
        options.setdefault("batch_rows", 50)
        return BackfillService(pool, lambda: make_client(ssi), **options)

    return build
