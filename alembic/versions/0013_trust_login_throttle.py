"""login throttling per account and per client address; the Sips session start (issue 12, "Trust")

Revision ID: 0013_trust_login_throttle
Revises: 0012_reservation_limits

One row per throttled key ("account:<e-mail>", "address:<ip>", "pair:<e-mail>|<ip>"), whether
the e-mail belongs to an account or not: the throttle must not tell which accounts exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013_trust_login_throttle"
down_revision: str | None = "0012_reservation_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "epayment_sips_session",
        sa.Column("payment_id", sa.Integer(), sa.ForeignKey("epayment.id"), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_epayment_sips_session_started_at", "epayment_sips_session", ["started_at"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=400), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_index("ix_epayment_sips_session_started_at", "epayment_sips_session")
    op.drop_table("epayment_sips_session")
