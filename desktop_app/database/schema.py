"""The one schema source: the seed's five tables (exactly its SQL) plus what later features need.

Alembic revisions are generated from this ``MetaData``; the tests compare a migrated database
against it and expect no difference. Constraint and index names are spelled out so that they match
what PostgreSQL itself would have named the seed's unnamed constraints.

Additions beyond the seed: ``alerts.acknowledged_at`` / ``alerts.note`` (alert review),
``foreign_snapshots.f_buy_val`` / ``f_sell_val`` / ``room_left`` (ForeignInvestorData carries them),
``idx_alerts_symbol_time`` (review filters), ``ingest_ledger`` (exactly-once batch replay: the
batch writer records each batch id in the same transaction as the batch's COPYs), and
``trade_minute_bars`` (per-minute aggregate of ``trades`` kept by the batch writer in the same
transaction, so long-range intraday charts need not scan every print; see ``minute_bar_aggregate``),
``ingest_coverage`` and the unique ``alerts_symbol_type_time_key`` (exactly once per source across
restarts and re-imports; see ``ingest_coverage``), ``alert_channels`` / ``alert_deliveries`` (the push outbox: one delivery row per stored alert and
configured channel, see ``services/alert_delivery``), ``price_alert_rules`` (the user's own
price alerts), ``securities`` (the cached symbol list the search box reads) and ``watchlists`` /
``watchlist_symbols`` (the user's named lists, VN30 the default).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

metadata = MetaData()

trades = Table(
    "trades",
    metadata,
    Column("id", BigInteger, autoincrement=True),
    Column("symbol", String(10), nullable=False),
    Column("price", Numeric(12, 2), nullable=False),
    Column("volume", Integer, nullable=False),
    Column("value", Numeric(18, 2), nullable=False),
    Column("trade_type", String(20), nullable=False),
    Column("bid_price", Numeric(12, 2)),
    Column("ask_price", Numeric(12, 2)),
    Column("traded_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
    PrimaryKeyConstraint("id", name="trades_pkey"),
)
Index("idx_trades_symbol_time", trades.c.symbol, trades.c.traded_at.desc())

daily_ohlc = Table(
    "daily_ohlc",
    metadata,
    Column("id", Integer, autoincrement=True),
    Column("symbol", String(10), nullable=False),
    Column("date", Date, nullable=False),
    Column("open", Numeric(12, 2)),
    Column("high", Numeric(12, 2)),
    Column("low", Numeric(12, 2)),
    Column("close", Numeric(12, 2)),
    Column("volume", BigInteger),
    PrimaryKeyConstraint("id", name="daily_ohlc_pkey"),
    UniqueConstraint("symbol", "date", name="daily_ohlc_symbol_date_key"),
)
Index("idx_ohlc_symbol_date", daily_ohlc.c.symbol, daily_ohlc.c.date.desc())

foreign_snapshots = Table(
    "foreign_snapshots",
    metadata,
    Column("id", BigInteger, autoincrement=True),
    Column("symbol", String(10), nullable=False),
    Column("f_buy_vol", BigInteger, nullable=False),
    Column("f_sell_vol", BigInteger, nullable=False),
    Column("f_net_vol", BigInteger, nullable=False),
    Column("buy_speed_per_min", Numeric(12, 2), server_default=text("0")),
    Column("sell_speed_per_min", Numeric(12, 2), server_default=text("0")),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    Column("f_buy_val", Numeric(20, 2)),
    Column("f_sell_val", Numeric(20, 2)),
    Column("room_left", BigInteger),
    PrimaryKeyConstraint("id", name="foreign_snapshots_pkey"),
)
Index("idx_foreign_snap_symbol", foreign_snapshots.c.symbol, foreign_snapshots.c.captured_at.desc())

basis_history = Table(
    "basis_history",
    metadata,
    Column("id", BigInteger, autoincrement=True),
    Column("futures_symbol", String(20), nullable=False),
    Column("futures_price", Numeric(12, 2), nullable=False),
    Column("spot_value", Numeric(12, 2), nullable=False),
    Column("basis", Numeric(12, 2), nullable=False),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="basis_history_pkey"),
)
Index("idx_basis_time", basis_history.c.captured_at.desc())

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, autoincrement=True),
    Column("symbol", String(10), nullable=False),
    Column("alert_type", String(50), nullable=False),
    Column("message", Text),
    Column("severity", String(20)),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
    Column("acknowledged_at", DateTime(timezone=True), nullable=True),
    Column("note", Text, nullable=True),
    PrimaryKeyConstraint("id", name="alerts_pkey"),
)
Index("idx_alerts_time", alerts.c.created_at.desc())
Index("idx_alerts_symbol_time", alerts.c.symbol, alerts.c.created_at.desc())
# An alert's identity: the same alert fired again (a restart's catch-up, a re-import) is not stored
# again (the batch writer inserts alerts with ON CONFLICT DO NOTHING).
Index("alerts_symbol_type_time_key", alerts.c.symbol, alerts.c.alert_type, alerts.c.created_at, unique=True)

ingest_ledger = Table(
    "ingest_ledger",
    metadata,
    Column("batch_id", UUID(as_uuid=True), nullable=False),
    Column("committed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("rows", Integer, nullable=False),
    PrimaryKeyConstraint("batch_id", name="ingest_ledger_pkey"),
)

# What each origin has stored, per stream (table), symbol and trading day: the identities of the
# stored rows as disjoint closed intervals, flattened [lo1, hi1, lo2, hi2, ...] (see
# ``ingest_coverage``). Updated in the same transaction as the batch that stored the rows.
ingest_coverage = Table(
    "ingest_coverage",
    metadata,
    Column("origin", String(20), nullable=False),
    Column("stream", String(30), nullable=False),
    Column("symbol", String(20), nullable=False),
    Column("trading_day", Date, nullable=False),
    Column("covered", ARRAY(BigInteger), nullable=False),
    Column("stored_until", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("origin", "stream", "symbol", "trading_day", name="ingest_coverage_pkey"),
)

# One row per symbol-minute with trades (put-through prints excluded, ATO/ATC as auction volume).
# first_at/last_at: the times of the prints that set open/close, so that parts of one minute
# written by different batches merge into the same open/close as one pass over the trades.
trade_minute_bars = Table(
    "trade_minute_bars",
    metadata,
    Column("symbol", String(10), nullable=False),
    Column("minute", DateTime(timezone=True), nullable=False),
    Column("open", Numeric(12, 2), nullable=False),
    Column("high", Numeric(12, 2), nullable=False),
    Column("low", Numeric(12, 2), nullable=False),
    Column("close", Numeric(12, 2), nullable=False),
    Column("volume", BigInteger, nullable=False),
    Column("buy_volume", BigInteger, nullable=False),
    Column("sell_volume", BigInteger, nullable=False),
    Column("neutral_volume", BigInteger, nullable=False),
    Column("auction_volume", BigInteger, nullable=False),
    Column("trades", Integer, nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    # Σ price × volume per trade type (order flow: active buy/sell value, VWAP, basket value flow)
    Column("buy_value", Numeric(20, 2), nullable=False, server_default=text("0")),
    Column("sell_value", Numeric(20, 2), nullable=False, server_default=text("0")),
    Column("neutral_value", Numeric(20, 2), nullable=False, server_default=text("0")),
    Column("auction_value", Numeric(20, 2), nullable=False, server_default=text("0")),
    # Covering key: a chart's range is read by an index-only scan, in order, from contiguous leaf
    # pages, although the live writer stores the rows of all symbols interleaved in time.
    PrimaryKeyConstraint(
        "symbol", "minute", name="trade_minute_bars_pkey",
        postgresql_include=["open", "high", "low", "close", "volume", "buy_volume", "sell_volume",
                            "neutral_volume", "auction_volume"],
    ),
)

# Push outbox. A channel ("telegram", "webhook", "desktop") is registered the first time it is
# configured; only alerts with an id above its ``floor_alert_id`` (the newest alert stored when that
# run began) get deliveries, so a newly configured channel never replays years of history.
alert_channels = Table(
    "alert_channels",
    metadata,
    Column("channel", String(20), nullable=False),
    Column("floor_alert_id", Integer, nullable=False),
    Column("configured_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text, nullable=True),  # one line, never a secret: why the channel stopped
    Column("last_error_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("channel", name="alert_channels_pkey"),
)

# status: pending -> sending -> sent | failed; skipped = routed away from this channel.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE",
                                           name="alert_deliveries_alert_id_fkey"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("status", String(10), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("delayed", Boolean, nullable=False, server_default=text("false")),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("alert_id", "channel", name="alert_deliveries_pkey"),
)
Index("idx_alert_deliveries_channel_status", alert_deliveries.c.channel, alert_deliveries.c.status,
      alert_deliveries.c.alert_id)

# kind: price_above | price_below (threshold = price), change_pct (threshold = signed % from the
# reference), volume_spike (threshold = k x the day's average minute), big_print (threshold = VND).
price_alert_rules = Table(
    "price_alert_rules",
    metadata,
    Column("id", Integer, autoincrement=True),
    Column("symbol", String(10), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("threshold", Numeric(20, 4), nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("note", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("id", name="price_alert_rules_pkey"),
)
Index("idx_price_alert_rules_symbol", price_alert_rules.c.symbol)

# SSI's Securities list (HOSE, HNX, UPCOM, DER), cached for the symbol search and refreshed at most
# once a day; the demo's own universe sits beside it under source 'demo' and never mixes in.
securities = Table(
    "securities",
    metadata,
    Column("source", String(10), nullable=False),
    Column("symbol", String(20), nullable=False),
    Column("market", String(12), nullable=False),
    Column("name_vi", Text, nullable=True),
    Column("name_en", Text, nullable=True),
    Column("kind", String(10), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("source", "symbol", name="securities_pkey"),
)

# The user's named watchlists; builtin marks the VN30 default, which cannot be deleted.
watchlists = Table(
    "watchlists",
    metadata,
    Column("id", Integer, autoincrement=True),
    Column("name", String(60), nullable=False),
    Column("position", Integer, nullable=False),
    Column("builtin", Boolean, nullable=False, server_default=text("false")),
    PrimaryKeyConstraint("id", name="watchlists_pkey"),
    UniqueConstraint("name", name="watchlists_name_key"),
)

watchlist_symbols = Table(
    "watchlist_symbols",
    metadata,
    Column("watchlist_id", Integer, ForeignKey("watchlists.id", ondelete="CASCADE",
                                               name="watchlist_symbols_watchlist_id_fkey"), nullable=False),
    Column("symbol", String(20), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("watchlist_id", "symbol", name="watchlist_symbols_pkey"),
)

# ----------------------------------------------------------------------------- COPY column lists
# The order the batch writer sends columns in (``copy_to_table(..., columns=...)``). Columns left
# out take their server defaults (ids, created_at).

TRADE_COPY_COLUMNS: tuple[str, ...] = (
    "symbol", "price", "volume", "value", "trade_type", "bid_price", "ask_price", "traded_at",
)
FOREIGN_COPY_COLUMNS: tuple[str, ...] = (
    "symbol", "f_buy_vol", "f_sell_vol", "f_net_vol", "buy_speed_per_min", "sell_speed_per_min",
    "captured_at", "f_buy_val", "f_sell_val", "room_left",
)
BASIS_COPY_COLUMNS: tuple[str, ...] = (
    "futures_symbol", "futures_price", "spot_value", "basis", "captured_at",
)
ALERT_COPY_COLUMNS: tuple[str, ...] = ("symbol", "alert_type", "message", "severity", "created_at")
LEDGER_COLUMNS: tuple[str, ...] = ("batch_id", "rows")
