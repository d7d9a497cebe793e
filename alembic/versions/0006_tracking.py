"""tracking: list/tile indexes and the normalised search index (F-50..F-55)

Revision ID: 0006_tracking
Revises: 0001
Create Date: 2026-11-28

- Composite indexes for the tiles and the keyset-paged list, one per scope column
  (seller, point of sale, entity), each ending with the sort key (status_changed_at, id);
  and one on status_changed_at alone for the cheap "has anything changed?" poll.
- A normalised search document per payment (customer names, order/opportunity/transaction
  numbers, plate, VIN; lower case, accents stripped as in epay_app.domain.search):
  SQLite: an FTS5 table with the trigram tokenizer; PostgreSQL: a table with a pg_trgm GIN index.
  Triggers keep it in sync on every write that changes what it is built from (a status change
  touches none of those columns, so it costs nothing here).
"""

from collections.abc import Sequence

from alembic import op
from epay_app.domain.search import sql_normalise_postgres, sql_normalise_sqlite

revision: str = "0006_tracking"
down_revision: str | None = "0007_reservation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_epayment_entity_tracking": ["entity_id", "status", "status_changed_at", "id"],
    "ix_epayment_pos_tracking": ["pos_id", "status", "status_changed_at", "id"],
    "ix_epayment_seller_tracking": ["seller_id", "status", "status_changed_at", "id"],
    "ix_epayment_status_changed_at": ["status_changed_at"],
}

# What goes into the document: "first last first" holds both name orders ("verriere marie" and
# "marie verriere" match), the plate as typed and without separators.
_RAW_DOC = (
    "coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '') || ' ' || coalesce(c.first_name, '')"
    " || ' | ' || e.reference"
    " || ' | ' || coalesce(CAST(so.number AS TEXT), '')"
    " || ' | ' || coalesce(CAST(op.number AS TEXT), '')"
    " || ' | ' || coalesce(v.plate, '') || ' ' || replace(replace(coalesce(v.plate, ''), '-', ''), ' ', '')"
    " || ' | ' || coalesce(v.vin, '')"
)
_JOINS = (
    "FROM epayment e"
    " LEFT JOIN customer c ON c.id = e.customer_id"
    " LEFT JOIN sales_order so ON so.id = e.order_id"
    " LEFT JOIN opportunity op ON op.id = e.opportunity_id"
    " LEFT JOIN vehicle v ON v.id = e.vehicle_id"
)
# Related rows whose change rewrites the documents of their payments: (table, columns, fk on epayment)
_RELATED = [
    ("customer", "first_name, last_name", "customer_id"),
    ("vehicle", "plate, vin", "vehicle_id"),
    ("sales_order", "number", "order_id"),
    ("opportunity", "number", "opportunity_id"),
]
_PAYMENT_COLUMNS = "reference, customer_id, vehicle_id, order_id, opportunity_id"


def _sqlite_upgrade() -> None:
    op.execute("CREATE VIRTUAL TABLE epayment_fts USING fts5(doc, tokenize = 'trigram')")

    def insert(where: str) -> str:
        source = sql_normalise_sqlite(f"SELECT e.id AS id, {_RAW_DOC} AS t {_JOINS} WHERE {where}")
        return f"INSERT INTO epayment_fts(rowid, doc) {source};"

    op.execute(f"CREATE TRIGGER epayment_search_ai AFTER INSERT ON epayment BEGIN {insert('e.id = NEW.id')} END")
    op.execute(
        f"CREATE TRIGGER epayment_search_au AFTER UPDATE OF {_PAYMENT_COLUMNS} ON epayment BEGIN "
        f"DELETE FROM epayment_fts WHERE rowid = OLD.id; {insert('e.id = NEW.id')} END"
    )
    op.execute(
        "CREATE TRIGGER epayment_search_ad AFTER DELETE ON epayment BEGIN "
        "DELETE FROM epayment_fts WHERE rowid = OLD.id; END"
    )
    for table, columns, fk in _RELATED:
        op.execute(
            f"CREATE TRIGGER {table}_search_au AFTER UPDATE OF {columns} ON {table} BEGIN "
            f"DELETE FROM epayment_fts WHERE rowid IN (SELECT id FROM epayment WHERE {fk} = NEW.id); "
            f"{insert(f'e.{fk} = NEW.id')} END"
        )
    op.execute(insert("1 = 1"))


def _sqlite_downgrade() -> None:
    for table, _, _ in _RELATED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_search_au")
    for name in ("epayment_search_ai", "epayment_search_au", "epayment_search_ad"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS epayment_fts")


def _pg_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE TABLE epayment_search ("
        " payment_id integer PRIMARY KEY REFERENCES epayment(id) ON DELETE CASCADE,"
        " doc text NOT NULL)"
    )
    op.execute("CREATE INDEX ix_epayment_search_doc_trgm ON epayment_search USING gin (doc gin_trgm_ops)")
    norm = sql_normalise_postgres(f"({_RAW_DOC})")
    op.execute(
        "CREATE FUNCTION epayment_search_doc(pid integer) RETURNS text LANGUAGE sql STABLE AS $$ "
        f"SELECT {norm} {_JOINS} WHERE e.id = pid $$"
    )
    op.execute(
        "CREATE FUNCTION epayment_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO epayment_search(payment_id, doc) VALUES (NEW.id, epayment_search_doc(NEW.id)) "
        "ON CONFLICT (payment_id) DO UPDATE SET doc = EXCLUDED.doc; RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER epayment_search_sync AFTER INSERT OR UPDATE OF {_PAYMENT_COLUMNS} ON epayment "
        "FOR EACH ROW EXECUTE FUNCTION epayment_search_sync()"
    )
    for table, columns, fk in _RELATED:
        op.execute(
            f"CREATE FUNCTION {table}_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE epayment_search s SET doc = epayment_search_doc(s.payment_id) FROM epayment e "
            f"WHERE e.id = s.payment_id AND e.{fk} = NEW.id; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_search_sync AFTER UPDATE OF {columns} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_search_sync()"
        )
    op.execute("INSERT INTO epayment_search(payment_id, doc) SELECT id, epayment_search_doc(id) FROM epayment")


def _pg_downgrade() -> None:
    for table, _, _ in _RELATED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_search_sync ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_search_sync()")
    op.execute("DROP TRIGGER IF EXISTS epayment_search_sync ON epayment")
    op.execute("DROP FUNCTION IF EXISTS epayment_search_sync()")
    op.execute("DROP FUNCTION IF EXISTS epayment_search_doc(integer)")
    op.execute("DROP TABLE IF EXISTS epayment_search")
    # pg_trgm stays: other objects of the database may use it.


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "epayment", columns)
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_downgrade()
    else:
        _sqlite_downgrade()
    for name in INDEXES:
        op.drop_index(name, table_name="epayment")
