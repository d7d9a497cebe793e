"""scale-pg: the PostgreSQL search table carries the scope and sort columns (issue 16)

Revision ID: 0015_scale_pg
Revises: 0014_session_cookie

PostgreSQL only (SQLite keeps its FTS5 table of 0006_tracking, which is fast enough there).

- epayment_search gets copies of the payment's scope columns (entity, point of sale, seller),
  its status and its sort key, and one composite GIN index (btree_gin for the scope columns,
  pg_trgm for the document): a searched list reads only the viewer's hits, sorts them without
  touching the payment table, and joins the page's 21 rows.
- The copies are kept in sync by triggers: a statement-level AFTER INSERT trigger builds the
  documents of all the inserted payments in one set-based statement (bulk imports no longer
  pay a plpgsql call and a per-row query each), and a row-level AFTER UPDATE trigger copies a
  status or owner change (one primary-key update; the table's fillfactor leaves room for HOT
  updates, which skip the GIN index) and rebuilds the document only when what it is made of
  changed.
- Backfill: the table is rebuilt in one INSERT … SELECT from the old one (cheaper than updating
  every row; the documents are copied as they are).
"""

from collections.abc import Sequence

from alembic import op
from epay_app.domain.search import sql_normalise_postgres

revision: str = "0015_scale_pg"
down_revision: str | None = "0014_session_cookie"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The document, as 0006_tracking builds it (kept here verbatim: a migration must not change
# with the application code).
_RAW_DOC = (
    "coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '') || ' ' || coalesce(c.first_name, '')"
    " || ' | ' || e.reference"
    " || ' | ' || coalesce(CAST(so.number AS TEXT), '')"
    " || ' | ' || coalesce(CAST(op.number AS TEXT), '')"
    " || ' | ' || coalesce(v.plate, '') || ' ' || replace(replace(coalesce(v.plate, ''), '-', ''), ' ', '')"
    " || ' | ' || coalesce(v.vin, '')"
)
_RELATED_JOINS = (
    " LEFT JOIN customer c ON c.id = e.customer_id"
    " LEFT JOIN sales_order so ON so.id = e.order_id"
    " LEFT JOIN opportunity op ON op.id = e.opportunity_id"
    " LEFT JOIN vehicle v ON v.id = e.vehicle_id"
)
_DOC_COLUMNS = ("reference", "customer_id", "vehicle_id", "order_id", "opportunity_id")
_COPIED = ("entity_id", "pos_id", "seller_id", "status", "status_changed_at")
_COLUMNS = "payment_id, entity_id, pos_id, seller_id, status, status_changed_at, doc"


def _select_rows(source: str) -> str:
    """SELECT giving the search rows of the payments of `source` (a table aliased e)."""
    return (
        f"SELECT e.id, e.entity_id, e.pos_id, e.seller_id, e.status, e.status_changed_at,"
        f" {sql_normalise_postgres(f'({_RAW_DOC})')} FROM {source} e{_RELATED_JOINS}"
    )


def _changed(columns) -> str:
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    return f"ROW({old}) IS DISTINCT FROM ROW({new})"


def _pg_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute("DROP TRIGGER IF EXISTS epayment_search_sync ON epayment")
    op.execute("DROP FUNCTION IF EXISTS epayment_search_sync()")
    op.execute("ALTER TABLE epayment_search RENAME TO epayment_search_0013")
    op.execute("ALTER INDEX epayment_search_pkey RENAME TO epayment_search_0013_pkey")
    op.execute(
        "CREATE TABLE epayment_search ("
        " payment_id integer PRIMARY KEY REFERENCES epayment(id) ON DELETE CASCADE,"
        " entity_id integer NOT NULL, pos_id integer NOT NULL, seller_id integer NOT NULL,"
        " status varchar NOT NULL, status_changed_at timestamptz NOT NULL, doc text NOT NULL"
        ") WITH (fillfactor = 85)"
    )
    # The documents are copied, not rebuilt: normalising a million of them again costs minutes.
    op.execute(
        f"INSERT INTO epayment_search ({_COLUMNS}) SELECT e.id, e.entity_id, e.pos_id, e.seller_id, e.status,"
        " e.status_changed_at, s.doc FROM epayment_search_0013 s JOIN epayment e ON e.id = s.payment_id"
    )
    op.execute("DROP TABLE epayment_search_0013")
    op.execute(
        "CREATE INDEX ix_epayment_search_scope_doc ON epayment_search"
        " USING gin (entity_id, pos_id, seller_id, doc gin_trgm_ops)"
    )
    op.execute(
        "CREATE FUNCTION epayment_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO epayment_search ({_COLUMNS}) {_select_rows('new_payments')}; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER epayment_search_insert AFTER INSERT ON epayment REFERENCING NEW TABLE AS new_payments"
        " FOR EACH STATEMENT EXECUTE FUNCTION epayment_search_insert()"
    )
    copies = ", ".join(f"{c} = NEW.{c}" for c in _COPIED)
    op.execute(
        "CREATE FUNCTION epayment_search_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"UPDATE epayment_search SET {copies}, doc = CASE WHEN {_changed(_DOC_COLUMNS)}"
        " THEN epayment_search_doc(NEW.id) ELSE doc END WHERE payment_id = NEW.id; RETURN NULL; END $$"
    )
    watched = _DOC_COLUMNS + _COPIED
    op.execute(
        f"CREATE TRIGGER epayment_search_update AFTER UPDATE OF {', '.join(watched)} ON epayment"
        f" FOR EACH ROW WHEN ({_changed(watched)}) EXECUTE FUNCTION epayment_search_update()"
    )
    op.execute("ANALYZE epayment_search")


def _pg_downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS epayment_search_update ON epayment")
    op.execute("DROP FUNCTION IF EXISTS epayment_search_update()")
    op.execute("DROP TRIGGER IF EXISTS epayment_search_insert ON epayment")
    op.execute("DROP FUNCTION IF EXISTS epayment_search_insert()")
    op.execute("DROP INDEX IF EXISTS ix_epayment_search_scope_doc")
    for column in _COPIED:
        op.execute(f"ALTER TABLE epayment_search DROP COLUMN {column}")
    op.execute("ALTER TABLE epayment_search RESET (fillfactor)")
    op.execute("CREATE INDEX ix_epayment_search_doc_trgm ON epayment_search USING gin (doc gin_trgm_ops)")
    op.execute(
        "CREATE FUNCTION epayment_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO epayment_search(payment_id, doc) VALUES (NEW.id, epayment_search_doc(NEW.id)) "
        "ON CONFLICT (payment_id) DO UPDATE SET doc = EXCLUDED.doc; RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER epayment_search_sync AFTER INSERT OR UPDATE OF {', '.join(_DOC_COLUMNS)} ON epayment "
        "FOR EACH ROW EXECUTE FUNCTION epayment_search_sync()"
    )
    # btree_gin stays, as pg_trgm does: other objects of the database may use it.


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_downgrade()
