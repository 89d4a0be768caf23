"""securities cache, the user's watchlists and their symbols

Self-contained: creates only its own three tables. The VN30 default list is not inserted here: the
watchlist service creates it on first use from the shipped basket, so a database migrated before
the basket changes still gets today's members.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('securities',
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('symbol', sa.String(length=20), nullable=False),
    sa.Column('market', sa.String(length=12), nullable=False),
    sa.Column('name_vi', sa.Text(), nullable=True),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('source', 'symbol', name='securities_pkey')
    )
    op.create_table('watchlists',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('builtin', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.PrimaryKeyConstraint('id', name='watchlists_pkey'),
    sa.UniqueConstraint('name', name='watchlists_name_key')
    )
    op.create_table('watchlist_symbols',
    sa.Column('watchlist_id', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['watchlist_id'], ['watchlists.id'], name='watchlist_symbols_watchlist_id_fkey',
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('watchlist_id', 'symbol', name='watchlist_symbols_pkey')
    )


def downgrade() -> None:
    op.drop_table('watchlist_symbols')
    op.drop_table('watchlists')
    op.drop_table('securities')
