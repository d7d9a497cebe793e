"""F-63: the CSV export of the e-Paiements list (content, filters, scope, guard, one query) and
the weekly collected totals of the home chart (one GROUP BY), on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from epay_app.db import session_scope
from epay_app.domain.references import PaymentKind, TransactionReference
from epay_app.models import (
    Customer,
    DealerGroup,
    Entity,
    EPayment,
    Offer,
    Opportunity,
    PointOfSale,
    SalesOrder,
    User,
    Vehicle,
)
from epay_app.services.dashboards import collected, export, tracking

NOW = datetime(2025, 3, 19, 10, 0, tzinfo=UTC)  # a Wednesday; Paris week from 17/03
HEADER = "Type;N° transaction;Commande/Opportunité;Statut;Client;Vendeur;Entité;Point de vente;Montant TTC;Date"
_numbers = itertools.count(5_100_000)


@pytest.fixture(scope="module")
def world(migrated_db_url):
    """Entity 77 with two points of sale. At PdV A: sellers Alice and Bruno, a chef des ventes,
    a secretary; at PdV B: seller Chloé. The director and the administrator see the entity."""
    with session_scope(migrated_db_url) as s:
        group = DealerGroup(name="Export")
        s.add(group)
        s.flush()
        entity = Entity(group_id=group.id, number=77, name="Garage Été", epay_option=True)
        s.add(entity)
        s.flush()
        pos_a = PointOfSale(entity_id=entity.id, number=771, name="PdV A")
        pos_b = PointOfSale(entity_id=entity.id, number=772, name="PdV B")
        s.add_all([pos_a, pos_b])
        s.flush()

        def user(first, last, group_type, pos):
            u = User(
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{group_type[:3]}@export.test",
                password_hash="x",
                group_type=group_type,
                entity_id=entity.id,
                pos_id=pos.id,
            )
            s.add(u)
            return u

        users = {
            "alice": user("Alice", "MARTIN", "vendeur", pos_a),
            "bruno": user("Bruno", "PETIT", "vendeur", pos_a),
            "chef": user("Chef", "VENTES", "chef des ventes", pos_a),
            "secretaire": user("Sophie", "SECR", "secrétaire", pos_a),
            "chloe": user("Chloé", "ROUX", "vendeur", pos_b),
            "directeur": user("Dir", "ECTEUR", "directeur", pos_a),
            "admin": user("Ad", "MIN", "administrateur", pos_a),
        }
        helene = Customer(civility="Mme.", first_name="Hélène", last_name="DURAND", email="h@export.test")
        paul = Customer(civility="M.", first_name="Paul", last_name="LEROY", email="p@export.test")
        s.add_all([helene, paul])
        s.flush()
        vehicle = Vehicle(pos_id=pos_a.id, make="KIA", model="Ceed")
        s.add(vehicle)
        s.flush()
        payments = {}

        def pay(key, seller, pos, customer, status, cents, at, authorised=None, kind=PaymentKind.DEPOSIT):
            number = next(_numbers)
            opp = Opportunity(number=number, customer_id=customer.id, seller_id=seller.id, pos_id=pos.id)
            s.add(opp)
            s.flush()
            order_id = None
            if kind is PaymentKind.DEPOSIT:
                offer = Offer(number=number, opportunity_id=opp.id, vehicle_id=vehicle.id)
                s.add(offer)
                s.flush()
                order = SalesOrder(number=number, offer_id=offer.id, pos_id=pos.id)
                s.add(order)
                s.flush()
                order_id = order.id
            ref = TransactionReference(77, pos.number, kind, number, 1)
            p = EPayment(
                reference=str(ref),
                psp_reference=ref.psp_reference,
                kind=kind.value,
                amount_cents=cents,
                status=status,
                order_id=order_id,
                opportunity_id=opp.id,
                customer_id=customer.id,
                vehicle_id=vehicle.id,
                seller_id=seller.id,
                pos_id=pos.id,
                entity_id=entity.id,
                created_at=at,
                status_changed_at=at,
                sent_at=at,
                authorised_at=authorised,
            )
            s.add(p)
            s.flush()
            payments[key] = (p.id, p.reference, number)

        week = timedelta(weeks=1)
        pay(
            "alice_paid",
            users["alice"],
            pos_a,
            helene,
            "autorise",
            50_000,
            NOW - timedelta(days=1),
            NOW - timedelta(days=1),
        )
        pay("alice_sent", users["alice"], pos_a, paul, "envoye", 123_456, NOW - timedelta(days=2))
        pay("bruno_refund", users["bruno"], pos_a, paul, "a_rembourser", 2_500_000, NOW - 2 * week, NOW - 3 * week)
        pay("bruno_done", users["bruno"], pos_a, helene, "rembourse", 10_000, NOW - 3 * week, NOW - 3 * week)
        pay("alice_refused", users["alice"], pos_a, helene, "rejete", 70_000, NOW - 4 * week)
        pay("chloe_paid", users["chloe"], pos_b, helene, "autorise", 30_000, NOW - week, NOW - week)
        pay("old_paid", users["alice"], pos_a, paul, "autorise", 99_900, NOW - 20 * week, NOW - 20 * week)
        pay(
            "resa_paid",
            users["chloe"],
            pos_b,
            paul,
            "autorise",
            20_000,
            NOW - week,
            NOW - week,
            kind=PaymentKind.RESERVATION,
        )
        ids = {k: u.id for k, u in users.items()}
    return {"users": ids, "payments": payments, "url": migrated_db_url}


def _get(api_server, user_id, **params):
    return httpx.get(f"{api_server}{export.PATH}", params={"ticket": export.make_ticket(user_id), **params}, timeout=10)


def _lines(response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return body[1:].split("\r\n")[:-1]


def _refs(lines) -> list[str]:
    return [line.split(";")[1] for line in lines[1:]]


def test_csv_is_excel_ready_with_french_headers(api_server, world):
    r = _get(api_server, world["users"]["alice"], tri="desc")
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    lines = _lines(r)
    assert lines[0] == HEADER
    _, reference, number = world["payments"]["alice_sent"]
    assert (
        f"e-Acompte;{reference};{number};Envoyé;M. Paul LEROY;Alice MARTIN;Garage Été;PdV A;1234,56;17/03/2025 11:00"
        in lines
    )


def test_export_follows_the_scope_of_each_group_type(api_server, world):
    p = {k: v[1] for k, v in world["payments"].items()}
    u = world["users"]
    alice = set(_refs(_lines(_get(api_server, u["alice"]))))
    assert alice == {p["alice_paid"], p["alice_sent"], p["alice_refused"], p["old_paid"]}
    chef = set(_refs(_lines(_get(api_server, u["chef"]))))
    assert chef == alice | {p["bruno_refund"], p["bruno_done"]}  # their point of sale, not PdV B
    directeur = set(_refs(_lines(_get(api_server, u["directeur"]))))
    assert directeur == chef | {p["chloe_paid"], p["resa_paid"]}
    secretaire = set(_refs(_lines(_get(api_server, u["secretaire"]))))
    assert p["alice_sent"] not in secretaire and p["bruno_refund"] in secretaire  # no pending links


def test_export_applies_filters_search_and_sort(api_server, world):
    p = {k: v[1] for k, v in world["payments"].items()}
    chef = world["users"]["chef"]
    paid = _refs(_lines(_get(api_server, chef, statut="payes", tri="asc")))
    assert paid == [p["old_paid"], p["alice_paid"]]
    assert _refs(_lines(_get(api_server, chef, statut="payes", tri="desc"))) == [p["alice_paid"], p["old_paid"]]
    helene = {p["alice_paid"], p["bruno_done"], p["alice_refused"]}
    assert set(_refs(_lines(_get(api_server, chef, q="durand")))) == helene
    assert set(_refs(_lines(_get(api_server, chef, q="HELENE")))) == helene  # accent- and case-insensitive
    both = set(_refs(_lines(_get(api_server, chef, statut="a_rembourser,rembourses", q="durand"))))
    assert both == {p["bruno_done"]}
    [line] = _lines(_get(api_server, chef, statut="a_rembourser"))[1:]
    assert line.split(";")[3] == "À rembourser" and line.split(";")[8] == "25000,00"


def test_export_is_refused_without_a_valid_ticket_or_outside_the_profile(api_server, world):
    alice = world["users"]["alice"]
    base = f"{api_server}{export.PATH}"
    assert httpx.get(base).status_code == 403
    forged = export.make_ticket(alice).split(".")
    forged[0] = str(world["users"]["directeur"])  # someone else's id with Alice's signature
    assert httpx.get(base, params={"ticket": ".".join(forged)}).status_code == 403
    old = export.make_ticket(alice, now=datetime.now(UTC) - timedelta(minutes=5))
    assert httpx.get(base, params={"ticket": old}).status_code == 403
    refused = _get(api_server, alice, statut="a_rembourser")  # a seller does not follow refunds
    assert refused.status_code == 403 and "Accès refusé" in refused.text


def test_export_is_one_query_whatever_the_number_of_rows(api_server, world):
    engine = Engine  # every engine of this process: the API server's sessions included
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        small = len(_lines(_get(api_server, world["users"]["alice"], statut="payes"))) - 1
        first = len(statements)
        statements.clear()
        big = len(_lines(_get(api_server, world["users"]["admin"]))) - 1
        second = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert big > small
    # The user, the entity, then the one export statement (plus BEGINs on SQLite): nothing per row.
    assert first == second <= 5


def _viewer(world, key, db_url) -> tracking.Viewer:
    with session_scope(db_url, write=False) as s:
        return tracking.viewer_for(s, s.get(User, world["users"][key]))


def test_weekly_totals_are_grouped_in_sql_and_scoped(world, migrated_db_url):
    with session_scope(migrated_db_url, write=False) as s:
        directeur = collected.weekly_collected(s, _viewer(world, "directeur", migrated_db_url), NOW)
        chef = collected.weekly_collected(s, _viewer(world, "chef", migrated_db_url), NOW)
        for seller in ("alice", "secretaire"):
            assert collected.weekly_collected(s, _viewer(world, seller, migrated_db_url), NOW) == []
    assert len(directeur) == 12
    assert directeur[-1].label == "17/03" and directeur[0].label == "30/12"
    by_week = {t.label: t.cents for t in directeur}
    # This week: Alice's 500 €; last week: Chloé's deposit + reservation; 3 weeks ago: Bruno's
    # payment now À rembourser and the refunded one (collected then); refused and 20-week-old ones out.
    assert by_week == {**{t.label: 0 for t in directeur}, "17/03": 50_000, "10/03": 50_000, "24/02": 2_510_000}
    assert {t.label: t.cents for t in chef if t.cents} == {"17/03": 50_000, "24/02": 2_510_000}


def test_weeks_are_paris_weeks_across_daylight_saving(world, migrated_db_url):
    """Sunday 30/03/2025 23:30 Paris (21:30 UTC, after the switch to summer time) is still in the
    week of Monday 24/03; Monday 31/03 00:30 Paris (30/03 22:30 UTC) is the next week."""
    starts = collected.week_starts(datetime(2025, 4, 2, 12, 0, tzinfo=UTC), weeks=2)
    assert starts[0] == datetime(2025, 3, 23, 23, 0, tzinfo=UTC)  # 24/03 00:00 CET
    assert starts[1] == datetime(2025, 3, 30, 22, 0, tzinfo=UTC)  # 31/03 00:00 CEST
