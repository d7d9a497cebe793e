"""Reconciliation (F-61): when the PSP was last asked about a pending payment

Revision ID: 0008_extras
Revises: 0006_tracking
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008_extras"
down_revision: Union[str, None] = "0006_tracking"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A plain ADD COLUMN, not batch mode: rebuilding epayment on SQLite would drop the search
    # triggers of 0006_tracking.
    op.add_column("epayment", sa.Column("psp_checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("epayment", "psp_checked_at")
