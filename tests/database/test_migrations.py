"""Alembic migrations against real PostgreSQL: upgrade, current, downgrade, and no drift from schema.py."""

from __future__ import annotations

import logging

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from desktop_app.database.migrate import (
    current_revision,
    downgrade_to_base,
    head_revision,
    sqlalchemy_url,
    upgrade_to_head,
)
from desktop_app.database.schema import metadata

APP_TABLES = {"trades", "daily_ohlc", "foreign_snapshots", "basis_history", "alerts", "ingest_ledger",
              "trade_minute_bars", "ingest_coverage"}


async def _tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r[0] for r in rows}


async def test_upgrade_creates_every_table_and_reports_head(empty_database_url: str) -> None:
    assert await current_revision(empty_database_url) is None
    revision = await upgrade_to_head(empty_database_url)
    assert revision == head_revision() == "0006"
    assert await current_revision(empty_database_url) == revision
    assert APP_TABLES <= await _tables(empty_database_url)
    # a second upgrade is a no-op
    assert await upgrade_to_head(empty_database_url) == revision


async def test_downgrade_to_base_leaves_no_app_tables(empty_database_url: str) -> None:
    await upgrade_to_head(empty_database_url)
    await downgrade_to_base(empty_database_url)
    assert await _tables(empty_database_url) - {"alembic_version"} == set()
    assert await current_revision(empty_database_url) is None


async def test_migrated_database_matches_schema_metadata_exactly(database_url: str) -> None:
    engine = create_async_engine(sqlalchemy_url(database_url), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            def diff(sync_conn):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "compare_server_default": True}
                )
                return compare_metadata(context, metadata)

            differences = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []


async def test_seed_columns_and_indexes_are_exact(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        columns = {
            (r["table_name"], r["column_name"]): (r["data_type"], r["numeric_precision"], r["numeric_scale"],
                                                  r["character_maximum_length"], r["is_nullable"])
            for r in await conn.fetch(
                "SELECT * FROM information_schema.columns WHERE table_schema = 'public'"
            )
        }
        indexes = {
            r["indexname"]: r["indexdef"]
            for r in await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        }
        trades_default = await conn.fetchval(
            "SELECT column_default FROM information_schema.columns "
            "WHERE table_name = 'trades' AND column_name = 'id'"
        )
    finally:
        await conn.close()
    assert columns[("trades", "price")] == ("numeric", 12, 2, None, "NO")
    assert columns[("trades", "value")] == ("numeric", 18, 2, None, "NO")
    assert columns[("trades", "symbol")][0::3] == ("character varying", 10)
    assert columns[("basis_history", "futures_symbol")][3] == 20
    assert columns[("alerts", "alert_type")][3] == 50
    assert columns[("foreign_snapshots", "f_buy_val")] == ("numeric", 20, 2, None, "YES")
    assert columns[("alerts", "acknowledged_at")][0] == "timestamp with time zone"
    assert columns[("ingest_ledger", "batch_id")][0] == "uuid"
    assert columns[("daily_ohlc", "id")][0] == "integer" and columns[("trades", "id")][0] == "bigint"
    assert trades_default.startswith("nextval(")  # BIGSERIAL, as the seed says
    assert indexes["idx_trades_symbol_time"].endswith("(symbol, traded_at DESC)")
    assert indexes["idx_ohlc_symbol_date"].endswith("(symbol, date DESC)")
    assert indexes["idx_foreign_snap_symbol"].endswith("(symbol, captured_at DESC)")
    assert indexes["idx_basis_time"].endswith("(captured_at DESC)")
    assert indexes["idx_alerts_time"].endswith("(created_at DESC)")
    assert indexes["idx_alerts_symbol_time"].endswith("(symbol, created_at DESC)")
    assert "UNIQUE" in indexes["daily_ohlc_symbol_date_key"]
    # autogenerate does not compare a key's INCLUDE list: checked here (index-only chart reads)
    assert indexes["trade_minute_bars_pkey"].endswith(
        "(symbol, minute) INCLUDE (open, high, low, close, volume, buy_volume, sell_volume, neutral_volume, "
        "auction_volume)")
    assert columns[("trade_minute_bars", "open")] == ("numeric", 12, 2, None, "NO")
    assert columns[("trade_minute_bars", "minute")][0] == "timestamp with time zone"


async def test_migrating_keeps_the_apps_loggers_enabled(empty_database_url: str) -> None:
    app_logger = logging.getLogger("desktop_app.some_module_created_before_migrating")
    await upgrade_to_head(empty_database_url)
    assert not app_logger.disabled
