"""legal identity and general conditions of sale per entity, for the printed documents (issue 17)

Revision ID: 0016_documents
Revises: 0015_scale_pg

The bon de commande, the deposit receipt and the refund notice print the dealer entity's legal
identifiers and, on the order form, its general conditions of sale.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016_documents"
down_revision: str | None = "0015_scale_pg"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT_COLUMNS = ("legal_address", "legal_phone", "legal_email", "siret", "rcs", "vat_number")


def upgrade() -> None:
    with op.batch_alter_table("entity") as batch:
        for name in _TEXT_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("share_capital_cents", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("sales_conditions", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("entity") as batch:
        batch.drop_column("sales_conditions")
        batch.drop_column("share_capital_cents")
        for name in reversed(_TEXT_COLUMNS):
            batch.drop_column(name)
