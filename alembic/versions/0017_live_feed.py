"""live feed: PostgreSQL notifies every created payment and every status change (issue 15)

Revision ID: 0017_live_feed
Revises: 0016_documents

A trigger on `epayment` sends, in the transaction that changes the row (delivered at commit),
a NOTIFY on channel `epay_payment_changes` with the payment id, its scope keys (seller, point
of sale, entity, order), the old and new status and the change time: one listener per backend
worker wakes only the pages that show that payment (pages/live.py). SQLite: nothing (the
single process polls a version instead).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_live_feed"
down_revision: str | None = "0016_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION epay_notify_payment_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status
       AND NEW.status_changed_at IS NOT DISTINCT FROM OLD.status_changed_at THEN
        RETURN NEW;
    END IF;
    PERFORM pg_notify('epay_payment_changes', json_build_object(
        'id', NEW.id, 'seller', NEW.seller_id, 'pos', NEW.pos_id, 'entity', NEW.entity_id,
        'order', NEW.order_id,
        'old', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, 'new', NEW.status,
        'at', extract(epoch FROM NEW.status_changed_at))::text);
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER epayment_notify_change AFTER INSERT OR UPDATE OF status, status_changed_at "
        "ON epayment FOR EACH ROW EXECUTE FUNCTION epay_notify_payment_change()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS epayment_notify_change ON epayment")
    op.execute("DROP FUNCTION IF EXISTS epay_notify_payment_change()")
