"""seller search: a seller's searched list scans their own documents (issue 16)

Revision ID: 0019_seller_search
Revises: 0018_codes

PostgreSQL only. A seller follows a few thousand payments: reading their documents from a
covering btree `(seller_id) INCLUDE (payment_id, doc)` (an index-only scan, ~1.5 ms for 3 200
documents at 1 M payments) is cheaper than intersecting the common trigrams' posting lists of
the GIN index (~3–5 ms). Status and sort key are left out of the index so that a status change
stays a HOT update of epayment_search.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_seller_search"
down_revision: str | None = "0018_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_epayment_search_seller_doc ON epayment_search (seller_id) INCLUDE (payment_id, doc)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_epayment_search_seller_doc")
