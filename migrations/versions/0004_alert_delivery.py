"""alert delivery outbox (alert_channels, alert_deliveries) and the user's price_alert_rules

Generated with ``alembic revision --autogenerate`` from desktop_app/database/schema.py, then
reviewed. Self-contained: creates only its own three tables, so it can sit after any revision
that leaves ``alerts`` in place. Nothing to backfill: a channel registered later only delivers
alerts stored after it was first configured (``alert_channels.floor_alert_id``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 11:10:00
"""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alert_channels',
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('floor_alert_id', sa.Integer(), nullable=False),
    sa.Column('configured_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('channel', name='alert_channels_pkey')
    )
    op.create_table('alert_deliveries',
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), server_default=sa.text("'pending'"), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('delayed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name='alert_deliveries_alert_id_fkey', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('alert_id', 'channel', name='alert_deliveries_pkey')
    )
    op.create_index('idx_alert_deliveries_channel_status', 'alert_deliveries', ['channel', 'status', 'alert_id'], unique=False)
    op.create_table('price_alert_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('symbol', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name='price_alert_rules_pkey')
    )
    op.create_index('idx_price_alert_rules_symbol', 'price_alert_rules', ['symbol'], unique=False)


def downgrade() -> None:
    op.drop_index('idx_price_alert_rules_symbol', table_name='price_alert_rules')
    op.drop_table('price_alert_rules')
    op.drop_index('idx_alert_deliveries_channel_status', table_name='alert_deliveries')
    op.drop_table('alert_deliveries')
    op.drop_table('alert_channels')
