"""Reconciliation (F-61): when the PSP was last asked about a pending payment (a side table)

Revision ID: 0008_extras
Revises: 0006_tracking
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008_extras"
down_revision: str | None = "0006_tracking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "epayment_psp_check",
        sa.Column("payment_id", sa.Integer(), sa.ForeignKey("epayment.id"), primary_key=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("epayment_psp_check")
