"""Benchmark of the e-Paiements list and tiles (issue 6) at a million payments.

    python bench/tracking_bench.py                 # 1 000 000 payments, fresh SQLite file
    python bench/tracking_bench.py --rows 100000
    python bench/tracking_bench.py --pg-url postgresql+psycopg://user@host/db   # also PostgreSQL

Seeds N payments with realistic variety (20 entities, 60 points of sale, 300 sellers, French
names with accents, new and used vehicles, the seven statuses in plausible proportions, three
years of dates) into a database migrated with alembic (the app's own schema and indexes),
then measures the server time of:
  - the list query (search + two status filters + sort), first page and a deep page by keyset,
    through services.tracking.list_payments (SQL and card formatting);
  - the tile counts through services.tracking.tile_counts;
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
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from epay_app.domain.references import PaymentKind, TransactionReference  # noqa: E402
from epay_app.domain.roles import GroupType  # noqa: E402
from epay_app.domain.search import normalise  # noqa: E402
from epay_app.domain.tracking import FILTERS_BY_KEY, SortOrder  # noqa: E402
from epay_app.services import tracking  # noqa: E402
from tests.support import database  # noqa: E402

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
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return {"p50": pick(0.50) * 1000, "p95": pick(0.95) * 1000, "p99": pick(0.99) * 1000, "n": len(ordered)}


def timed(fn, repeat: int) -> dict[str, float]:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


# ---------------------------------------------------------------- seeding


def seed(engine, rows: int, rng: random.Random) -> None:
    """Bulk inserts with executemany, one transaction per batch. Returns facts for the queries."""
    lasts = [f"{base}{suffix}" for base in LAST_BASE for suffix in SUFFIXES]
    now = datetime(2025, 6, 1, tzinfo=timezone.utc)
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
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
    for start in range(1, customers + 1, BATCH):
        batch = [
            {
                "id": i,
                "civ": rng.choice(("M.", "Mme.")),
                "first": rng.choice(FIRST),
                "last": rng.choice(lasts),
                "email": f"client{i}@example.com",
            }
            for i in range(start, min(customers, start + BATCH - 1) + 1)
        ]
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO customer (id, civility, first_name, last_name, email, phone)"
                    " VALUES (:id, :civ, :first, :last, :email, '')"
                ),
                batch,
            )
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
                    "p": rng.randint(1, n_pos),
                    "make": make,
                    "model": rng.choice(models),
                    "cond": "Occasion" if used else "Neuf",
                    "plate": plate,
                    "vin": f"VF{rng.randint(10**14, 10**15 - 1)}",
                }
            )
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO vehicle (id, pos_id, make, model, version, condition, plate, vin, fuel,"
                    " fiscal_power, power_hp, doors, colour, price_cents, published, stock_status)"
                    " VALUES (:id, :p, :make, :model, '', :cond, :plate, :vin, '', 0, 0, 5, '', 2000000,"
                    " false, 'en stock')"
                ),
                batch,
            )
        bar.update(len(batch))
    span = 3 * 365 * 24 * 3600
    for start in range(1, rows + 1, BATCH):
        opps, offers, orders, pays = [], [], [], []
        for i in range(start, min(rows, start + BATCH - 1) + 1):
            pid = rng.randint(1, n_pos)
            entity = (pid - 1) // POS_PER_ENTITY + 1
            seller = (pid - 1) * SELLERS_PER_POS + rng.randint(1, SELLERS_PER_POS)
            cust, veh = rng.randint(1, customers), rng.randint(1, vehicles)
            at = now - timedelta(seconds=rng.randint(0, span))
            status = rng.choices(statuses, weights)[0]
            deposit = rng.random() < 0.9
            opps.append({"id": i, "n": 500_000 + i, "c": cust, "s": seller, "p": pid, "at": at})
            order_id = None
            if deposit:
                offers.append({"id": i, "n": 2_000_000 + i, "o": i, "v": veh})
                orders.append({"id": i, "n": i, "off": i, "p": pid, "at": at})
                order_id = i
            kind = PaymentKind.DEPOSIT if deposit else PaymentKind.RESERVATION
            ref = TransactionReference(100 + entity, 1000 + pid, kind, i if deposit else 500_000 + i, 1)
            changed = at + timedelta(minutes=rng.randint(0, 3000))
            pays.append(
                {
                    "id": i,
                    "ref": str(ref),
                    "psp": ref.psp_reference,
                    "kind": kind.value,
                    "amount": rng.choice((20_000, 50_000, 100_000, 120_000, 150_000)),
                    "status": status,
                    "order": order_id,
                    "opp": i,
                    "c": cust,
                    "v": veh,
                    "s": seller,
                    "p": pid,
                    "e": entity,
                    "at": at,
                    "changed": changed,
                }
            )
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO opportunity (id, number, customer_id, seller_id, pos_id, status, created_at)"
                    " VALUES (:id, :n, :c, :s, :p, 'en cours', :at)"
                ),
                opps,
            )
            if offers:
                conn.execute(
                    text(
                        "INSERT INTO offer (id, number, opportunity_id, vehicle_id, status,"
                        " vehicle_price_cents, customer_advantage_cents, accessories_cents)"
                        " VALUES (:id, :n, :o, :v, 'Validée', 0, 0, 0)"
                    ),
                    offers,
                )
                conn.execute(
                    text(
                        "INSERT INTO sales_order (id, number, offer_id, status, pos_id, balance_method,"
                        " deposit_amount_cents, deposit_method, deposit_online, validated_at)"
                        " VALUES (:id, :n, :off, 'Commandée', :p, 'Virement', 0, 'Carte bancaire', true,"
                        " :at)"
                    ),
                    orders,
                )
            conn.execute(
                text(
                    "INSERT INTO epayment (id, reference, psp_reference, kind, attempt, amount_cents, currency, status,"
                    " order_id, opportunity_id, customer_id, vehicle_id, seller_id, pos_id, entity_id, created_at,"
                    " status_changed_at, sent_at, psp_response_code, psp_authorisation_id, psp_masked_pan,"
                    " psp_last_error) VALUES (:id, :ref, :psp, :kind, 1, :amount, 'EUR', :status, :order, :opp, :c, :v,"
                    " :s, :p, :e, :at, :changed, :at, '', '', '', '')"
                ),
                pays,
            )
        bar.update(len(pays))
    bar.close()


def pick_sample(engine, rows: int) -> dict:
    """The payment in the middle of the table: its customer, reference and entity drive the queries."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, customer_id, reference, entity_id FROM epayment WHERE id >= :i ORDER BY id LIMIT 1"),
            {"i": max(1, rows // 2)},
        ).one()
    return {"payment": row[0], "customer": row[1], "reference": row[2], "entity": row[3]}


# ---------------------------------------------------------------- measures


def baseline_list(session: Session, dialect: str, entity: int, statuses, needle: str, offset: int):
    """What a naive implementation does: OFFSET paging, LIKE '%q%' on the joined columns, the
    single-column index the table had before 0006_tracking."""
    hint = "INDEXED BY ix_epayment_entity_id" if dialect == "sqlite" else ""
    lower = "lower" if dialect == "sqlite" else "lower"
    sql = (
        f"SELECT e.id, e.reference, e.status, e.amount_cents, e.status_changed_at, c.first_name, c.last_name,"
        f" v.make, v.model, v.plate FROM epayment e {hint}"
        " JOIN customer c ON c.id = e.customer_id JOIN vehicle v ON v.id = e.vehicle_id"
        " LEFT JOIN sales_order so ON so.id = e.order_id JOIN opportunity op ON op.id = e.opportunity_id"
        " WHERE e.entity_id = :entity AND e.status IN (:s1, :s2)"
        f" AND ({lower}(c.first_name || ' ' || c.last_name) LIKE :q OR e.reference LIKE :q"
        f" OR CAST(so.number AS TEXT) LIKE :q OR CAST(op.number AS TEXT) LIKE :q OR {lower}(v.plate) LIKE :q"
        f" OR {lower}(v.vin) LIKE :q)"
        " ORDER BY e.status_changed_at, e.id LIMIT 20 OFFSET :offset"
    )
    return (
        session.connection()
        .execute(
            text(sql), {"entity": entity, "s1": statuses[0], "s2": statuses[1], "q": f"%{needle}%", "offset": offset}
        )
        .all()
    )


def baseline_tiles(session: Session, dialect: str, entity: int):
    hint = "INDEXED BY ix_epayment_entity_id" if dialect == "sqlite" else ""
    out = []
    for status in ("a_rembourser", "envoye"):
        out.append(
            session.connection()
            .execute(
                text(f"SELECT count(*) FROM epayment {hint} WHERE entity_id = :e AND status = :s"),
                {"e": entity, "s": status},
            )
            .scalar_one()
        )
    return out


def measure(url: str, rows: int, sample: dict, repeat: int) -> list[dict]:
    engine = create_engine(url)
    dialect = engine.dialect.name
    results = []
    entity = sample["entity"]
    director = tracking.Viewer(user_id=0, group=GroupType.DIRECTEUR, entity_id=entity, pos_id=0)
    two = ["a_rembourser", "payes"]
    statuses = [FILTERS_BY_KEY[k].statuses[0].value for k in two]
    with Session(engine) as session:
        last = (
            session.connection()
            .execute(text("SELECT last_name FROM customer WHERE id = :c"), {"c": sample["customer"]})
            .scalar_one()
        )
        needle = normalise(last)[:7]  # a fragment of a surname, e.g. "lefevre" of LEFÈVRE-DUPRÉ
        count = (
            session.connection()
            .execute(
                text("SELECT count(*) FROM epayment e JOIN customer c ON c.id = e.customer_id WHERE e.entity_id = :e"),
                {"e": entity},
            )
            .scalar_one()
        )

        def our_list(query: str, pages: int):
            cursor = ""
            for _ in range(pages):
                page = tracking.list_payments(
                    session, director, filter_keys=two, query=query, order=SortOrder.OLDEST_FIRST, after=cursor
                )
                cursor = page.next_cursor
            return page

        # The cursor of a deep page (page 50 without search; the last page of a search).
        deep_cursor = ""
        for _ in range(49):
            deep_cursor = tracking.list_payments(session, director, filter_keys=two, after=deep_cursor).next_cursor
        search_cursor, search_pages = "", 0
        while True:
            page = tracking.list_payments(session, director, filter_keys=two, query=needle, after=search_cursor)
            search_pages += 1
            if not page.next_cursor or search_pages >= 10:
                break
            search_cursor = page.next_cursor

        cases = [
            (
                "list: search + 2 statuses, first page",
                lambda: tracking.list_payments(session, director, filter_keys=two, query=needle),
                lambda: baseline_list(session, dialect, entity, statuses, needle, 0),
            ),
            (
                f"list: search + 2 statuses, page {search_pages + 1 if search_cursor else 1} (keyset)",
                lambda: tracking.list_payments(session, director, filter_keys=two, query=needle, after=search_cursor),
                lambda: baseline_list(session, dialect, entity, statuses, needle, 20 * search_pages),
            ),
            (
                "list: 2 statuses, first page",
                lambda: tracking.list_payments(session, director, filter_keys=two),
                lambda: baseline_list(session, dialect, entity, statuses, "", 0),
            ),
            (
                "list: 2 statuses, page 50 (keyset)",
                lambda: tracking.list_payments(session, director, filter_keys=two, after=deep_cursor),
                lambda: baseline_list(session, dialect, entity, statuses, "", 20 * 49),
            ),
            (
                "list: search by transaction number",
                lambda: tracking.list_payments(
                    session, director, filter_keys=["en_attente", "payes"], query=sample["reference"]
                ),
                lambda: baseline_list(session, dialect, entity, ["envoye", "autorise"], sample["reference"], 0),
            ),
            (
                "tiles (directeur: 2 counts)",
                lambda: tracking.tile_counts(session, director),
                lambda: baseline_tiles(session, dialect, entity),
            ),
        ]
        for label, ours, naive in tqdm(cases, desc=f"measure {dialect}", unit="query"):
            mine = timed(ours, repeat)
            base = timed(naive, max(5, repeat // 5))
            results.append(
                {
                    "db": dialect,
                    "rows": rows,
                    "case": label,
                    "search": needle if "search" in label else "",
                    "ours_ms": mine,
                    "baseline_ms": base,
                    "ratio_p95": round(base["p95"] / mine["p95"], 1) if mine["p95"] else None,
                }
            )
    engine.dispose()
    print(f"[{dialect}] entity {entity}: {count} payments in scope; search fragment {needle!r}", file=sys.stderr)
    return results


def table(results: list[dict]) -> str:
    head = f"{'db':<10} {'case':<46} {'ours p50':>9} {'p95':>8} {'p99':>8} | {'naive p50':>10} {'p95':>9} {'p99':>9} | {'ratio p95':>9}"
    lines = [head, "-" * len(head)]
    for r in results:
        o, b = r["ours_ms"], r["baseline_ms"]
        lines.append(
            f"{r['db']:<10} {r['case']:<46} {o['p50']:>9.2f} {o['p95']:>8.2f} {o['p99']:>8.2f} |"
            f" {b['p50']:>10.2f} {b['p95']:>9.2f} {b['p99']:>9.2f} | {r['ratio_p95']:>8}x"
        )
    return "\n".join(lines) + "\n(times in ms, server side: the service call for ours, the SQL for the baseline)"


def run(url: str, rows: int, seed_value: int, repeat: int, reuse: bool = False) -> list[dict]:
    engine = create_engine(url)
    if not reuse:
        database.migrate(url)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        start = time.perf_counter()
        seed(engine, rows, random.Random(seed_value))
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"seeded {rows} payments in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    else:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM epayment")).scalar_one()
    sample = pick_sample(engine, rows)
    engine.dispose()
    return measure(url, rows, sample, repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="SQLite file to create (default: a fresh temporary file)")
    parser.add_argument("--pg-url", help="an EMPTY PostgreSQL database to run on as well")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", help="also write the JSON here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the --db file (and --pg-url) of an earlier run, without seeding",
    )
    args = parser.parse_args(argv)

    db_path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="epay-bench-")) / "bench.db"
    if db_path.exists() != args.reuse:
        parser.error(f"{db_path}: a fresh file is needed to seed, an existing one with --reuse")
    results = run(f"sqlite:///{db_path}", args.rows, args.seed, args.repeat, args.reuse)
    if args.pg_url:
        results += run(args.pg_url, args.rows, args.seed, args.repeat, args.reuse)
    print(table(results))
    payload = json.dumps({"rows": args.rows, "results": results}, indent=2, ensure_ascii=False)
    print(payload)
    if args.json:
        Path(args.json).write_text(payload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
