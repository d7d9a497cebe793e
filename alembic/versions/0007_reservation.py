"""e-Réservation: a vehicle's block (until when, held by which payment)

Revision ID: 0007_reservation
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007_reservation"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reserved_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reservation_payment_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_vehicle_reserved_until"), ["reserved_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_reserved_until"))
        batch_op.drop_column("reservation_payment_id")
        batch_op.drop_column("reserved_until")
