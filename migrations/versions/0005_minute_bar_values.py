"""trade_minute_bars: value (Σ price × volume) per trade type, backfilled from the stored trades

Order flow (active buy/sell value, VWAP, basket value flow) needs values per minute, and values
cannot be rebuilt from the volumes the aggregate held once prices within a minute differ. Four
NUMERIC columns beside the volumes by type (put-through prints stay out, ATO/ATC are auction
value), then one ``UPDATE … FROM (SELECT … GROUP BY)`` over ``trades`` fills the existing rows
with the aggregate's semantics. The SQL is spelled out here, not imported, so this revision keeps
doing what it did when the app code moves on.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 11:20:00
"""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUE_COLUMNS = ("buy_value", "sell_value", "neutral_value", "auction_value")

BACKFILL = """
UPDATE trade_minute_bars AS b
SET buy_value = v.buy_value, sell_value = v.sell_value, neutral_value = v.neutral_value,
    auction_value = v.auction_value
FROM (
    SELECT symbol, date_bin('1 minute', traded_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS minute,
           coalesce(sum(price * volume) FILTER (WHERE trade_type = 'buy'), 0) AS buy_value,
           coalesce(sum(price * volume) FILTER (WHERE trade_type = 'sell'), 0) AS sell_value,
           coalesce(sum(price * volume) FILTER (WHERE trade_type = 'neutral'), 0) AS neutral_value,
           coalesce(sum(price * volume) FILTER (WHERE trade_type IN ('ato', 'atc')), 0) AS auction_value
    FROM trades
    WHERE trade_type <> 'put_through'
    GROUP BY 1, 2
) AS v
WHERE b.symbol = v.symbol AND b.minute = v.minute
"""


def upgrade() -> None:
    for name in VALUE_COLUMNS:
        op.add_column('trade_minute_bars', sa.Column(name, sa.Numeric(precision=20, scale=2), nullable=False,
                                                     server_default=sa.text('0')))
    op.execute("SET LOCAL work_mem = '128MB'")  # one sort of the trades, in memory if it can
    op.execute(BACKFILL)


def downgrade() -> None:
    for name in reversed(VALUE_COLUMNS):
        op.drop_column('trade_minute_bars', name)
