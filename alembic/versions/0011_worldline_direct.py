"""Worldline Direct: the protocol of each configuration, Direct's keys, the Sips keys kept, checkouts

Revision ID: 0011_worldline_direct
Revises: 0008_extras

Plain ADD COLUMN (no batch mode): on SQLite a batch would rebuild `epayment` and drop the
search triggers of 0006. Rows that exist before this revision are Sips 2.0.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011_worldline_direct"
down_revision: str | None = "0008_extras"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = dict(nullable=False, server_default="")


def upgrade() -> None:
    op.add_column("psp_config", sa.Column("protocol", sa.String(), nullable=False, server_default="sips2"))
    op.add_column("psp_config", sa.Column("api_key_id", sa.String(), **_TEXT))
    op.add_column("psp_config", sa.Column("webhook_key_id", sa.String(), **_TEXT))
    op.add_column("psp_config", sa.Column("webhook_secret_ciphertext", sa.String(), **_TEXT))
    op.add_column("psp_config", sa.Column("webhook_secret_hint", sa.String(), **_TEXT))
    op.add_column("psp_config", sa.Column("sips_merchant_id", sa.String(), **_TEXT))
    op.add_column("psp_config", sa.Column("sips_key_ciphertext", sa.String(), **_TEXT))
    op.add_column("psp_config", sa.Column("sips_key_version", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("ix_psp_config_webhook_key_id", "psp_config", ["webhook_key_id"])
    op.create_index("ix_psp_config_sips_merchant_id", "psp_config", ["sips_merchant_id"])
    op.create_table(
        "direct_checkout",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("payment_id", sa.Integer(), sa.ForeignKey("epayment.id"), nullable=False),
        sa.Column("hosted_checkout_id", sa.String(), nullable=False, unique=True),
        sa.Column("return_mac_ciphertext", sa.String(), nullable=False),
        sa.Column("redirect_url", sa.String(), nullable=False),
        sa.Column("idempotence_key", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("psp_payment_id", sa.String(), nullable=False, server_default=""),
    )
    op.create_index("ix_direct_checkout_payment_id", "direct_checkout", ["payment_id"])
    op.create_index("ix_direct_checkout_psp_payment_id", "direct_checkout", ["psp_payment_id"])


def downgrade() -> None:
    op.drop_index("ix_direct_checkout_psp_payment_id", "direct_checkout")
    op.drop_index("ix_direct_checkout_payment_id", "direct_checkout")
    op.drop_table("direct_checkout")
    op.drop_index("ix_psp_config_webhook_key_id", "psp_config")
    op.drop_index("ix_psp_config_sips_merchant_id", "psp_config")
    # DROP COLUMN without batch: SQLite ≥ 3.35 supports it and keeps the triggers.
    for column in (
        "sips_key_version",
        "sips_key_ciphertext",
        "sips_merchant_id",
        "webhook_secret_hint",
        "webhook_secret_ciphertext",
        "webhook_key_id",
        "api_key_id",
        "protocol",
    ):
        op.drop_column("psp_config", column)
