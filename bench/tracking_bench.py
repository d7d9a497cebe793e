"""Benchmark of the e-Paiements list and tiles (issue 6) at a million payments.

    python bench/tracking_bench.py                 # 1 000 000 payments, fresh SQLite file
    python bench/tracking_bench.py --rows 100000
    python bench/tracking_bench.py --pg-url postgresql+psycopg://user@host/db   # also PostgreSQL

Seeds N payments with realistic variety (20 entities, 60 points of sale, 300 sellers, French
names with accents, new and used vehicles, the seven statuses in plausible proportions, three
years of dates) into a database migrated with alembic (the app's own schema and indexes),
then measures the server time of:
  - the list query (search + two status filters + sort), first page and a deep page by keyset,
    through services.dashboards.tracking.list_payments (SQL and card formatting);
  - the tile counts through services.dashboards.tracking.tile_counts;
side by side with a naive baseline in the same run: OFFSET paging and an unindexed
LIKE '%q%' over the joined names/numbers, on the basic single-column index that existed
before revision 0006_tracking. Prints a table and JSON; no assertion.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text
from sqlmodel import Session, SQLModel

import epay_app.models  # noqa: F401  (the tables, for the bulk import)
from epay_app.db import make_engine
from epay_app.domain.references import PaymentKind, TransactionReference
from epay_app.domain.roles import GroupType
from epay_app.domain.search import normalise
from epay_app.domain.tracking import FILTERS_BY_KEY, SortOrder
from epay_app.services.dashboards import tracking
from tests.support import database

FIRST = [
    "Marie",
    "Jean",
    "Pierre",
    "Hélène",
    "Jérôme",
    "Léa",
    "Béatrice",
    "François",
    "Camille",
    "Lucas",
    "Chloé",
    "Noémie",
    "Gaëlle",
    "Joël",
    "Anaïs",
    "Thomas",
    "Julie",
    "Nicolas",
    "Sophie",
    "Antoine",
    "Émilie",
    "Cédric",
    "Aurélie",
    "Frédéric",
    "Inès",
    "Zoé",
    "Raphaël",
    "Mathéo",
    "Céline",
    "Hugo",
    "Patrick",
    "Audrey",
    "Simon",
    "Romain",
    "Claire",
    "Vincent",
    "Adrien",
    "Manon",
    "Élodie",
    "Benoît",
]
LAST_BASE = [
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SIMON",
    "LAURENT",
    "LEFÈVRE",
    "MICHEL",
    "GARCIA",
    "DAVID",
    "BERTRAND",
    "ROUX",
    "VINCENT",
    "FOURNIER",
    "MOREL",
    "GIRARD",
    "ANDRÉ",
    "MERCIER",
    "DUPONT",
    "LAMBERT",
    "BONNET",
    "FRANÇOIS",
    "MARTINEZ",
    "LEGRAND",
    "GARNIER",
    "FAURE",
    "ROUSSEAU",
    "BLANC",
    "GUÉRIN",
    "MULLER",
    "HENRY",
    "ROUSSEL",
    "NICOLAS",
    "PERRIN",
    "MORIN",
    "MATHIEU",
    "CLÉMENT",
    "GAUTHIER",
    "DUMONT",
    "LOPEZ",
    "FONTAINE",
    "CHEVALIER",
    "ROBIN",
    "MASSON",
    "SANCHEZ",
    "GÉRARD",
    "NGUYEN",
    "BOYER",
    "DENIS",
    "LEMAIRE",
    "DUVAL",
    "JOLY",
    "GAUTIER",
    "ROGER",
    "ROCHE",
    "ROY",
    "NOËL",
    "MEYER",
    "LUCAS",
    "MEUNIER",
    "JEAN",
    "PÉREZ",
    "MARCHAND",
    "DUFOUR",
    "BLANCHARD",
    "MARIE",
    "BARBIER",
    "BRUN",
    "DUMAS",
    "BRUNET",
    "SCHMITT",
    "LEROUX",
    "COLIN",
    "FERNANDEZ",
    "PIERRE",
    "RENARD",
    "ARNAUD",
    "ROLLAND",
    "CARON",
    "AUBERT",
    "GIRAUD",
    "LECLERC",
    "VIDAL",
    "BOURGEOIS",
    "RENAUD",
    "LEMOINE",
    "PICARD",
    "GAILLARD",
    "PHILIPPE",
    "LECLERCQ",
    "LACROIX",
    "FABRE",
    "DUPUIS",
    "OLIVIER",
    "VERRIÈRE",
    "PONS",
    "VILLIEN",
    "VERNUSSE",
    "ALMA",
    "CABUS",
    "PATISSON",
    "BÉRANGER",
    "CHÂTELAIN",
]
SUFFIXES = ["", "", "", "-DUPRÉ", "-MARTIN", "-LÉGER", "-ROCHE", "-BLANC"]
MAKES = [
    ("PEUGEOT", ["208", "308", "3008", "5008", "2008"]),
    ("RENAULT", ["CLIO", "MÉGANE", "CAPTUR", "ARKANA"]),
    ("AUDI", ["A3 CABRIOLET", "A4 AVANT", "Q2", "RS5 SPORTBACK", "Q3"]),
    ("KIA", ["CEED", "NIRO", "SPORTAGE"]),
    ("CUPRA", ["Born", "Formentor"]),
    ("CITROËN", ["C3", "C4", "C5 AIRCROSS"]),
    ("VOLKSWAGEN", ["GOLF", "POLO", "T-ROC"]),
]
STATUS_WEIGHTS = [
    ("envoye", 8),
    ("autorise", 58),
    ("annule", 8),
    ("rejete", 5),
    ("erreur", 1),
    ("a_rembourser", 4),
    ("rembourse", 16),
]
ENTITIES, POS_PER_ENTITY, SELLERS_PER_POS = 20, 3, 5
BATCH = 50_000


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50": pick(0.50) * 1000, "p95": pick(0.95) * 1000, "p99": pick(0.99) * 1000, "n": len(ordered)}


# psycopg prepares a statement at its sixth execution on a connection (prepare_threshold = 5);
# before that PostgreSQL plans it at each call (~10–14 ms for the list's nine-table join). A
# running app's pooled connections are past that, so ours and the baseline are timed past it.
WARM_CALLS = 6


def timed(fn, repeat: int) -> dict[str, float]:
    for _ in range(WARM_CALLS):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


# ---------------------------------------------------------------- seeding


def load(conn, table: str, rows: list[dict]) -> None:
    """Insert rows (dicts of column → value, all with the same keys): COPY on PostgreSQL,
    executemany on SQLite."""
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return
    names = ", ".join(columns)
    values = ", ".join(f":{c}" for c in columns)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), [sqlite_values(r) for r in rows])


def sqlite_values(row: dict) -> dict:
    """Datetimes as the app's own SQLAlchemy DateTime stores them on SQLite (naive UTC text):
    the keyset cursor compares with that form."""
    return {
        k: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for k, v in row.items()
    }


def _naive_utc(value):
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) and value.tzinfo else value


BULK_TABLES = ("epayment", "epayment_search", "sales_order", "offer", "opportunity")


class BulkLoad:
    """On PostgreSQL, load the big tables without their per-row work: the secondary indexes are
    dropped and rebuilt once each at the end. Since 0014_scale_pg the search table is filled by
    its statement-level trigger, one set-based INSERT per COPY; before it, the per-row trigger
    is disabled and the table filled at the end. On SQLite the same: indexes and triggers dropped, the FTS table filled
    in one statement at the end."""

    def __init__(self, engine):
        self.engine = engine
        self.indexes: list[str] = []
        self.per_row = False

    def __enter__(self):
        if self.engine.dialect.name == "sqlite":
            return self._sqlite_enter()
        with self.engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public'"
                    " AND i.tablename = ANY(:tables) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
                    " WHERE c.conname = i.indexname)"
                ),
                {"tables": list(BULK_TABLES)},
            ).all()
            self.indexes = [r[1] for r in rows]
            for name, _ in rows:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
            # Foreign keys: one check per row and key is the cost that grows with the tables (their
            # pages no longer fit the buffer cache); re-adding one validates it in a single join.
            keys = conn.execute(
                text(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables)"
                ),
                {"tables": list(BULK_TABLES)},
            ).all()
            for table_name, name, _ in keys:
                conn.exec_driver_sql(f'ALTER TABLE {table_name} DROP CONSTRAINT "{name}"')
            self.indexes += [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in keys]
            self.per_row = bool(
                conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname = 'epayment_search_sync'")).scalar()
            )
            if self.per_row:  # before 0014_scale_pg: one plpgsql call and query per row, filled at the end
                conn.exec_driver_sql("ALTER TABLE epayment DISABLE TRIGGER epayment_search_sync")
        return self

    def _sqlite_enter(self):
        with self.engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
                    " AND tbl_name IN ('epayment', 'sales_order', 'offer', 'opportunity') AND sql IS NOT NULL"
                )
            ).all()
            self.indexes = [r[2] for r in rows]
            for kind, name, _ in rows:
                conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
        return self

    def _sqlite_exit(self):
        """The FTS documents of all payments in one statement: the insert trigger's own body,
        for every row instead of NEW."""
        (body,) = [d for d in self.indexes if "epayment_search_ai" in d]
        fill = body[body.index(" BEGIN ") + 7 : body.rindex(" END")].strip().rstrip(";")
        with self.engine.begin() as conn:
            start = time.perf_counter()
            conn.exec_driver_sql(fill.replace("e.id = NEW.id", "1 = 1"))
            print(f"search table filled in {time.perf_counter() - start:.0f} s", file=sys.stderr)
            for definition in self.indexes:
                conn.exec_driver_sql(definition)

    def __exit__(self, exc_type, *_):
        if exc_type is not None:
            return False
        if self.engine.dialect.name == "sqlite":
            self._sqlite_exit()
            return False
        with self.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            if self.per_row:
                start = time.perf_counter()
                conn.exec_driver_sql(fill_search_sql())
                conn.exec_driver_sql("ALTER TABLE epayment ENABLE TRIGGER epayment_search_sync")
                print(f"search table filled in {time.perf_counter() - start:.0f} s", file=sys.stderr)
            start = time.perf_counter()
            for definition in self.indexes:
                conn.exec_driver_sql(definition)
            print(
                f"{len(self.indexes)} indexes and keys rebuilt in {time.perf_counter() - start:.0f} s", file=sys.stderr
            )
        return False


def fill_search_sql() -> str:
    return "INSERT INTO epayment_search (payment_id, doc) SELECT id, epayment_search_doc(id) FROM epayment"


def seed(engine, rows: int, rng: random.Random) -> None:
    """Bulk loads (COPY on PostgreSQL, see BulkLoad), one transaction per batch."""
    lasts = [f"{base}{suffix}" for base in LAST_BASE for suffix in SUFFIXES]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dealer_group (id, name, inactive_opportunity_days, manufacturer_contracts_enabled,"
                " reservation_enabled, reservation_hours, reservation_amount_cents)"
                " VALUES (1, 'Groupe bench', 183, true, true, 48, 20000)"
            )
        )
        conn.execute(
            text("INSERT INTO entity (id, group_id, number, name, epay_option) VALUES (:id, 1, :n, :name, true)"),
            [{"id": e, "n": 100 + e, "name": f"bee2link PP Entité {e}"} for e in range(1, ENTITIES + 1)],
        )
        pos_rows, users = [], []
        for e in range(1, ENTITIES + 1):
            for k in range(POS_PER_ENTITY):
                pid = (e - 1) * POS_PER_ENTITY + k + 1
                pos_rows.append({"id": pid, "e": e, "n": 1000 + pid, "name": f"Point de vente {k + 1} (Entité {e})"})
                for s in range(SELLERS_PER_POS):
                    uid = (pid - 1) * SELLERS_PER_POS + s + 1
                    users.append(
                        {
                            "id": uid,
                            "first": rng.choice(FIRST),
                            "last": rng.choice(LAST_BASE),
                            "email": f"vendeur{uid}@bench.local",
                            "e": e,
                            "p": pid,
                        }
                    )
        conn.execute(
            text(
                "INSERT INTO point_of_sale (id, entity_id, number, name, address, phone, email)"
                " VALUES (:id, :e, :n, :name, '', '', '')"
            ),
            pos_rows,
        )
        conn.execute(
            text(
                "INSERT INTO app_user (id, first_name, last_name, email, password_hash, group_type,"
                " entity_id, pos_id, phone, active) VALUES (:id, :first, :last, :email, 'x', 'vendeur',"
                " :e, :p, '', true)"
            ),
            users,
        )
    n_pos = ENTITIES * POS_PER_ENTITY
    customers = max(1, rows // 2)
    vehicles = max(1, rows // 2)
    bar = tqdm(total=customers + vehicles + rows, unit="rows", desc="seed", smoothing=0.05)
    with BulkLoad(engine):
        for start in range(1, customers + 1, BATCH):
            batch = [
                {
                    "id": i,
                    "civility": rng.choice(("M.", "Mme.")),
                    "first_name": rng.choice(FIRST),
                    "last_name": rng.choice(lasts),
                    "email": f"client{i}@example.com",
                    "phone": "",
                }
                for i in range(start, min(customers, start + BATCH - 1) + 1)
            ]
            with engine.begin() as conn:
                load(conn, "customer", batch)
            bar.update(len(batch))
        letters = "ABCDEFGHJKLMNPQRSTVWXYZ"
        for start in range(1, vehicles + 1, BATCH):
            batch = []
            for i in range(start, min(vehicles, start + BATCH - 1) + 1):
                make, models = rng.choice(MAKES)
                used = rng.random() < 0.35
                plate = (
                    (
                        f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(100, 999)}"
                        f"{rng.choice(letters)}{rng.choice(letters)}"
                    )
                    if used
                    else ""
                )
                batch.append(
                    {
                        "id": i,
                        "pos_id": rng.randint(1, n_pos),
                        "make": make,
                        "model": rng.choice(models),
                        "version": "",
                        "condition": "Occasion" if used else "Neuf",
                        "plate": plate,
                        "vin": f"VF{rng.randint(10**14, 10**15 - 1)}",
                        **VEHICLE_CONSTANTS,
                    }
                )
            with engine.begin() as conn:
                load(conn, "vehicle", batch)
            bar.update(len(batch))
        for start in range(1, rows + 1, BATCH):
            tables = payment_rows(rng, start, min(rows, start + BATCH - 1), customers, vehicles)
            with engine.begin() as conn:
                for name, batch in tables.items():
                    load(conn, name, batch)
            bar.update(len(tables["epayment"]))
    bar.close()


VEHICLE_CONSTANTS = {
    "fuel": "",
    "fiscal_power": 0,
    "power_hp": 0,
    "doors": 5,
    "colour": "",
    "price_cents": 2_000_000,
    "published": False,
    "stock_status": "in_stock",
}
NOW = datetime(2025, 6, 1, tzinfo=UTC)
SPAN = 3 * 365 * 24 * 3600


def payment_rows(rng: random.Random, first: int, last: int, customers: int, vehicles: int) -> dict[str, list[dict]]:
    """Payments first..last with their opportunity and, for a deposit, offer and order: the rows
    of each table, in insertion order."""
    n_pos = ENTITIES * POS_PER_ENTITY
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    opps, offers, orders, pays = [], [], [], []
    for i in range(first, last + 1):
        pid = rng.randint(1, n_pos)
        entity = (pid - 1) // POS_PER_ENTITY + 1
        seller = (pid - 1) * SELLERS_PER_POS + rng.randint(1, SELLERS_PER_POS)
        cust, veh = rng.randint(1, customers), rng.randint(1, vehicles)
        at = NOW - timedelta(seconds=rng.randint(0, SPAN))
        status = rng.choices(statuses, weights)[0]
        deposit = rng.random() < 0.9
        opps.append(
            {
                "id": i,
                "number": 500_000 + i,
                "customer_id": cust,
                "seller_id": seller,
                "pos_id": pid,
                "status": "en cours",
                "created_at": at,
            }
        )
        order_id = None
        if deposit:
            offers.append(
                {
                    "id": i,
                    "number": 2_000_000 + i,
                    "opportunity_id": i,
                    "vehicle_id": veh,
                    "status": "Validée",
                    "vehicle_price_cents": 0,
                    "customer_advantage_cents": 0,
                    "accessories_cents": 0,
                }
            )
            orders.append(
                {
                    "id": i,
                    "number": i,
                    "offer_id": i,
                    "status": "placed",
                    "pos_id": pid,
                    "balance_method": "Virement",
                    "deposit_amount_cents": 0,
                    "deposit_method": "Carte bancaire",
                    "deposit_online": True,
                    "validated_at": at,
                }
            )
            order_id = i
        kind = PaymentKind.DEPOSIT if deposit else PaymentKind.RESERVATION
        ref = TransactionReference(100 + entity, 1000 + pid, kind, i if deposit else 500_000 + i, 1)
        changed = at + timedelta(minutes=rng.randint(0, 3000))
        pays.append(
            {
                "id": i,
                "reference": str(ref),
                "psp_reference": ref.psp_reference,
                "kind": kind.value,
                "attempt": 1,
                "amount_cents": rng.choice((20_000, 50_000, 100_000, 120_000, 150_000)),
                "currency": "EUR",
                "status": status,
                "order_id": order_id,
                "opportunity_id": i,
                "customer_id": cust,
                "vehicle_id": veh,
                "seller_id": seller,
                "pos_id": pid,
                "entity_id": entity,
                "created_at": at,
                "status_changed_at": changed,
                "sent_at": at,
                "psp_response_code": "",
                "psp_authorisation_id": "",
                "psp_masked_pan": "",
                "psp_last_error": "",
            }
        )
    return {"opportunity": opps, "offer": offers, "sales_order": orders, "epayment": pays}


def pick_sample(engine, rows: int) -> dict:
    """The payment in the middle of the table: its customer, reference, seller, point of sale and
    entity drive the queries."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, customer_id, reference, seller_id, pos_id, entity_id FROM epayment"
                " WHERE id >= :i ORDER BY id LIMIT 1"
            ),
            {"i": max(1, rows // 2)},
        ).one()
    return {
        "payment": row[0],
        "customer": row[1],
        "reference": row[2],
        "seller": row[3],
        "pos": row[4],
        "entity": row[5],
    }


# ---------------------------------------------------------------- measures


def baseline_list(
    session: Session, dialect: str, scope: str, value: int, statuses, needle: str, offset: int, newest: bool = False
):
    """What a naive implementation does: OFFSET paging, LIKE '%q%' on the joined columns, the
    single-column index the table had before 0006_tracking (of the scope's column)."""
    hint = f"INDEXED BY ix_epayment_{scope}" if dialect == "sqlite" else ""
    direction = "DESC" if newest else ""
    sql = (
        f"SELECT e.id, e.reference, e.status, e.amount_cents, e.status_changed_at, c.first_name, c.last_name,"
        f" v.make, v.model, v.plate FROM epayment e {hint}"
        " JOIN customer c ON c.id = e.customer_id JOIN vehicle v ON v.id = e.vehicle_id"
        " LEFT JOIN sales_order so ON so.id = e.order_id JOIN opportunity op ON op.id = e.opportunity_id"
        f" WHERE e.{scope} = :value AND e.status IN (:s1, :s2)"
        " AND (lower(c.first_name || ' ' || c.last_name) LIKE :q OR e.reference LIKE :q"
        " OR CAST(so.number AS TEXT) LIKE :q OR CAST(op.number AS TEXT) LIKE :q OR lower(v.plate) LIKE :q"
        " OR lower(v.vin) LIKE :q)"
        f" ORDER BY e.status_changed_at {direction}, e.id {direction} LIMIT 20 OFFSET :offset"
    )
    params = {"value": value, "s1": statuses[0], "s2": statuses[1], "q": f"%{needle}%", "offset": offset}
    return session.connection().execute(text(sql), params).all()


def baseline_tiles(session: Session, dialect: str, scope: str, value: int, statuses):
    hint = f"INDEXED BY ix_epayment_{scope}" if dialect == "sqlite" else ""
    out = []
    for status in statuses:
        out.append(
            session.connection()
            .execute(
                text(f"SELECT count(*) FROM epayment {hint} WHERE {scope} = :v AND status = :s"),
                {"v": value, "s": status},
            )
            .scalar_one()
        )
    return out


def viewers(sample: dict) -> list[tuple[str, tracking.Viewer, list[str]]]:
    """(label, viewer, two filters it follows) for each scope."""
    seller = tracking.Viewer(
        user_id=sample["seller"], group=GroupType.VENDEUR, entity_id=sample["entity"], pos_id=sample["pos"]
    )
    manager = tracking.Viewer(
        user_id=0, group=GroupType.CHEF_DES_VENTES, entity_id=sample["entity"], pos_id=sample["pos"]
    )
    director = tracking.Viewer(user_id=0, group=GroupType.DIRECTEUR, entity_id=sample["entity"], pos_id=0)
    return [
        ("vendeur", seller, ["en_attente", "payes"]),
        ("point de vente", manager, ["a_rembourser", "payes"]),
        ("entité", director, ["a_rembourser", "payes"]),
    ]


def scope_cases(
    session: Session, plain: Session, dialect: str, viewer: tracking.Viewer, two: list[str], needle: str, sample: dict
):
    """(label, ours, naive) for one scope, both sorts: ours on `session` (the app's read engine),
    the naive baseline on `plain` (a default engine)."""
    statuses = [FILTERS_BY_KEY[k].statuses[0].value for k in two]
    scope, value = viewer.scope.value, viewer.scope_value
    cases = []
    for order in SortOrder:
        newest = order is SortOrder.NEWEST_FIRST
        sort = "newest" if newest else "oldest"

        def page(query="", after="", keys=two, order=order):
            return tracking.list_payments(session, viewer, filter_keys=keys, query=query, order=order, after=after)

        deep_cursor, deep = "", 0
        for _ in range(49):  # page 50, or the last page of a small scope
            cursor = page(after=deep_cursor).next_cursor
            if not cursor:
                break
            deep_cursor, deep = cursor, deep + 1
        search_cursor, search_pages = "", 0
        while True:
            cursor = page(query=needle, after=search_cursor).next_cursor
            if not cursor or search_pages >= 9:
                break
            search_cursor, search_pages = cursor, search_pages + 1

        def naive(needle_=needle, offset=0, statuses_=statuses, newest=newest):
            return baseline_list(plain, dialect, scope, value, statuses_, needle_, offset, newest)

        reference = sample["reference"]
        cases += [
            (f"search, first page, {sort}", lambda page=page: page(query=needle), naive),
            (
                f"search, page {search_pages + 1} (keyset), {sort}",
                lambda page=page, c=search_cursor: page(query=needle, after=c),
                lambda naive=naive, n=search_pages: naive(offset=20 * n),
            ),
            (f"2 statuses, first page, {sort}", page, lambda naive=naive: naive(needle_="")),
            (
                f"2 statuses, page {deep + 1} (keyset), {sort}",
                lambda page=page, c=deep_cursor: page(after=c),
                lambda naive=naive, n=deep: naive(needle_="", offset=20 * n),
            ),
            (
                f"transaction number, {sort}",
                lambda page=page, reference=reference: page(
                    query=reference,
                    keys=["en_attente", "payes"] if viewer.group is GroupType.VENDEUR else ["a_rembourser", "payes"],
                ),
                lambda naive=naive, reference=reference: naive(needle_=reference),
            ),
        ]
    tiles = [s.value for s in tracking.tiles_for(viewer.group)]
    cases.append(
        (
            f"tiles ({len(tiles)} counts)",
            lambda: tracking.tile_counts(session, viewer),
            lambda: baseline_tiles(plain, dialect, scope, value, tiles),
        )
    )
    return cases


def measure(url: str, rows: int, sample: dict, repeat: int) -> list[dict]:
    engine = create_engine(url)
    app_engine = make_engine(url, write=False)  # as the pages read (db.py: generic plans on PostgreSQL)
    dialect = engine.dialect.name
    results = []
    with Session(app_engine) as session, Session(engine) as plain:
        last = (
            session.connection()
            .execute(text("SELECT last_name FROM customer WHERE id = :c"), {"c": sample["customer"]})
            .scalar_one()
        )
        needle = normalise(last)[:7]  # a fragment of a surname, e.g. "lefevre" of LEFÈVRE-DUPRÉ
        for label, viewer, two in viewers(sample):
            count = (
                session.connection()
                .execute(
                    text(f"SELECT count(*) FROM epayment WHERE {viewer.scope.value} = :v"),
                    {"v": viewer.scope_value},
                )
                .scalar_one()
            )
            cases = scope_cases(session, plain, dialect, viewer, two, needle, sample)
            for case, ours, naive in tqdm(cases, desc=f"measure {dialect} {label}", unit="query"):
                mine = timed(ours, repeat)
                base = timed(naive, max(5, repeat // 10))
                results.append(
                    {
                        "db": dialect,
                        "rows": rows,
                        "scope": label,
                        "in_scope": count,
                        "case": case,
                        "search": needle if "search" in case else "",
                        "ours_ms": mine,
                        "baseline_ms": base,
                        "ratio_p95": round(base["p95"] / mine["p95"], 1) if mine["p95"] else None,
                    }
                )
            print(f"[{dialect}] {label}: {count} payments in scope; search fragment {needle!r}", file=sys.stderr)
    engine.dispose()
    app_engine.dispose()
    return results


def import_rate(url: str, rows: int, seed_value: int, count: int = 1000) -> dict:
    """Insert `count` payments (with opportunity, offer, order) as an import through SQLAlchemy
    Core would (multi-row INSERTs on PostgreSQL), the triggers on, in one transaction that is
    then rolled back: payments per second."""
    engine = create_engine(url)
    tables = payment_rows(random.Random(seed_value + 1), rows + 1, rows + count, max(1, rows // 2), max(1, rows // 2))
    for name in ("opportunity", "offer", "sales_order", "epayment"):
        for row in tables[name]:
            row["id"] += 10_000_000
            if "number" in row:
                row["number"] += 10_000_000
            for key in ("opportunity_id", "offer_id", "order_id"):
                if row.get(key):
                    row[key] += 10_000_000
        if name == "epayment":
            for row in tables[name]:
                row["reference"] = "B" + row["reference"]
                row["psp_reference"] = "B" + row["psp_reference"]
    with engine.connect() as conn:
        trans = conn.begin()
        start = time.perf_counter()
        for name in ("opportunity", "offer", "sales_order", "epayment"):
            batch = tables[name]
            if conn.dialect.name == "sqlite":  # Core's DateTime wants datetimes: naive UTC ones, as the app stores
                batch = [{k: _naive_utc(v) for k, v in r.items()} for r in batch]
            conn.execute(insert(SQLModel.metadata.tables[name]), batch)  # multi-row INSERTs where the driver can
        elapsed = time.perf_counter() - start
        searchable = conn.execute(text("SELECT count(*) FROM epayment WHERE id > 10000000")).scalar_one()
        trans.rollback()
    engine.dispose()
    return {
        "db": engine.dialect.name,
        "rows": rows,
        "payments": count,
        "inserted": searchable,
        "seconds": round(elapsed, 3),
        "per_second": round(count / elapsed),
    }


def table(results: list[dict]) -> str:
    head = (
        f"{'db':<10} {'scope':<15} {'case':<40} {'ours p50':>9} {'p95':>8} {'p99':>8} |"
        f" {'naive p50':>10} {'p95':>9} {'p99':>9} | {'ratio p95':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        o, b = r["ours_ms"], r["baseline_ms"]
        lines.append(
            f"{r['db']:<10} {r['scope']:<15} {r['case']:<40} {o['p50']:>9.2f} {o['p95']:>8.2f} {o['p99']:>8.2f} |"
            f" {b['p50']:>10.2f} {b['p95']:>9.2f} {b['p99']:>9.2f} | {r['ratio_p95']:>8}x"
        )
    return "\n".join(lines) + "\n(times in ms, server side: the service call for ours, the SQL for the baseline)"


def side_by_side(results: list[dict]) -> str:
    """Markdown: per scope and case, SQLite and PostgreSQL p50 / p95, the naive p95 and ratio."""
    by_key: dict[tuple, dict] = {}
    for r in results:
        by_key.setdefault((r["scope"], r["case"]), {})[r["db"]] = r
    lines = [
        "| scope | case | SQLite p50 / p95 | naive p95 | ratio | PostgreSQL p50 / p95 | naive p95 | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (scope, case), dbs in by_key.items():
        cells = []
        for db in ("sqlite", "postgresql"):
            r = dbs.get(db)
            if r is None:
                cells += ["–", "–", "–"]
                continue
            o, b = r["ours_ms"], r["baseline_ms"]
            cells += [f"{o['p50']:.1f} / {o['p95']:.1f}", f"{b['p95']:.1f}", f"{r['ratio_p95']}×"]
        lines.append(f"| {scope} | {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(url: str, rows: int, seed_value: int, repeat: int, reuse: bool = False, lists: bool = True):
    engine = create_engine(url)
    if not reuse:
        database.migrate(url)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        start = time.perf_counter()
        seed(engine, rows, random.Random(seed_value))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
        elapsed = time.perf_counter() - start
        print(f"seeded {rows} payments in {elapsed:.0f} s ({rows / elapsed:.0f} payments/s)", file=sys.stderr)
    else:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT max(id) FROM epayment")).scalar_one()
    sample = pick_sample(engine, rows)
    engine.dispose()
    imported = import_rate(url, rows, seed_value)
    print(f"[{imported['db']}] bulk import: {imported}", file=sys.stderr)
    return (measure(url, rows, sample, repeat) if lists else []), imported


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="SQLite file to create (default: a fresh temporary file)")
    parser.add_argument("--pg-url", help="an EMPTY PostgreSQL database to run on as well")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (with --pg-url)")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", help="also write the JSON here")
    parser.add_argument("--import-only", action="store_true", help="only the bulk import rate (with --reuse)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the --db file (and --pg-url) of an earlier run, without seeding",
    )
    args = parser.parse_args(argv)

    results, imports = [], []
    urls = []
    if not args.no_sqlite:
        db_path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="epay-bench-")) / "bench.db"
        if db_path.exists() != args.reuse:
            parser.error(f"{db_path}: a fresh file is needed to seed, an existing one with --reuse")
        urls.append(f"sqlite:///{db_path}")
    if args.pg_url:
        urls.append(args.pg_url)
    for url in urls:
        measured, imported = run(url, args.rows, args.seed, args.repeat, args.reuse, not args.import_only)
        results += measured
        imports.append(imported)
    print(table(results))
    print(side_by_side(results))
    for imported in imports:
        print(
            f"bulk import on {imported['db']}: {imported['payments']} payments in {imported['seconds']} s"
            f" = {imported['per_second']} payments/s"
        )
    payload = json.dumps({"rows": args.rows, "results": results, "imports": imports}, indent=2, ensure_ascii=False)
    print(payload)
    if args.json:
        Path(args.json).write_text(payload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
