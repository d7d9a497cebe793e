"""e-Réservation limits: the reservations started from the public form, per client address and e-mail

Revision ID: 0012_reservation_limits
Revises: 0011_worldline_direct
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012_reservation_limits"
down_revision: str | None = "0011_worldline_direct"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reservation_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_address", sa.String(), nullable=False, server_default=""),
        sa.Column("email", sa.String(), nullable=False, server_default=""),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"]),
        sa.ForeignKeyConstraint(["payment_id"], ["epayment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reservation_attempt_created_at", "reservation_attempt", ["created_at"])
    op.create_index("ix_reservation_attempt_client_address", "reservation_attempt", ["client_address"])
    op.create_index("ix_reservation_attempt_email", "reservation_attempt", ["email"])


def downgrade() -> None:
    op.drop_index("ix_reservation_attempt_email", table_name="reservation_attempt")
    op.drop_index("ix_reservation_attempt_client_address", table_name="reservation_attempt")
    op.drop_index("ix_reservation_attempt_created_at", table_name="reservation_attempt")
    op.drop_table("reservation_attempt")
