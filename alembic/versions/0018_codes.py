"""codes, not display text: order status, stock status and event source (issue 13)

Revision ID: 0018_codes
Revises: 0017_live_feed

The French words the screens show are labels of these codes (epay_app/labels.py); the PSP's
event sources ("psp:notify"…) were codes already and stay as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018_codes"
down_revision: str | None = "0017_live_feed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, {stored text: code})
RENAMES: list[tuple[str, str, dict[str, str]]] = [
    ("sales_order", "status", {"Commandée": "placed", "Annulée": "cancelled"}),
    ("vehicle", "stock_status", {"en stock": "in_stock", "réservé": "reserved", "vendu": "sold"}),
    (
        "epayment_event",
        "source",
        {"utilisateur": "user", "système": "system", "démo": "demo", "e-réservation": "e_reservation"},
    ),
]


def _rename(forward: bool) -> None:
    for table, column, mapping in RENAMES:
        for old, new in mapping.items():
            before, after = (old, new) if forward else (new, old)
            op.execute(
                sa.text(f"UPDATE {table} SET {column} = :after WHERE {column} = :before").bindparams(
                    after=after, before=before
                )
            )


def upgrade() -> None:
    _rename(forward=True)


def downgrade() -> None:
    _rename(forward=False)
