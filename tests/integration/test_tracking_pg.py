"""The tracking service on PostgreSQL (pg_trgm search table and triggers of 0006_tracking).

Runs when EPAY_TEST_PG_URL points at a database the tests may wipe, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/tracking_test
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, SQLModel

from epay_app.domain.references import PaymentKind
from epay_app.domain.roles import GroupType as G
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.domain.tracking import SortOrder, TrackingRefused
from epay_app.models import Customer, SalesOrder
from epay_app.services.dashboards import tracking
from epay_app.services.payment.payments import change_status, lock_payment
from tests.support import database

from .test_tracking import T0, World, ids

PG_URL = os.environ.get("EPAY_TEST_PG_URL", "")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="EPAY_TEST_PG_URL not set")]


def _wipe(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def pg_session():
    _wipe(PG_URL)
    database.migrate(PG_URL)
    engine = create_engine(PG_URL)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


def test_search_scope_and_paging_on_postgresql(pg_session):
    s = pg_session
    w = World(s)
    seller = w.users[G.VENDEUR]
    verriere = w.payment(seller, S.ENVOYE, first="Marie", last="VERRIÈRE")
    pons = w.payment(seller, S.AUTORISE, civility="M.", first="Patrick", last="PONS")
    used = w.payment(
        seller,
        S.A_REMBOURSER,
        first="Jean",
        last="MARIE",
        plate="DF-520-BG",
        vin="VF3MCYHZRKS900003",
        kind=PaymentKind.RESERVATION,
    )
    w.payment(w.b_seller, S.ENVOYE, first="Marie", last="VERRIÈRE")  # another entity
    s.commit()
    director = w.viewer(w.users[G.DIRECTEUR])
    for query, expected in [
        ("verriere", [verriere]),
        ("VERRIÈRE", [verriere]),
        ("pons", [pons]),
        ("df520bg", [used]),
        ("df-520", [used]),
        ("MCYHZRKS9", [used]),
        (verriere.reference, [verriere]),
        (verriere.reference[6:], [verriere]),
    ]:
        assert ids(tracking.list_payments(s, director, query=query)) == [p.id for p in expected], query
    order = s.get(SalesOrder, pons.order_id)
    assert ids(tracking.list_payments(s, director, query=str(order.number))) == [pons.id]

    customer = s.get(Customer, pons.customer_id)
    customer.last_name = "PONSARD-ÉLOI"
    s.add(customer)
    s.commit()
    assert ids(tracking.list_payments(s, director, query="ponsard-eloi")) == [pons.id]

    with pytest.raises(TrackingRefused):
        tracking.list_payments(s, w.viewer(seller), filter_keys=["a_rembourser"])
    assert tracking.tile_counts(s, director) == {S.A_REMBOURSER: 1, S.ENVOYE: 1}

    created = [
        w.payment(seller, [S.ENVOYE, S.AUTORISE][i % 2], at=T0 + timedelta(minutes=i // 3)).id for i in range(45)
    ]
    s.commit()
    for order_ in SortOrder:
        seen, cursor = [], ""
        while True:
            page = tracking.list_payments(s, director, filter_keys=["en_attente", "payes"], order=order_, after=cursor)
            seen += ids(page)
            cursor = page.next_cursor
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == len(created) + 2
        assert set(created) <= set(seen)


def test_revision_0006_downgrades_and_upgrades_on_postgresql():
    _wipe(PG_URL)
    database.migrate(PG_URL)
    engine = create_engine(PG_URL)
    assert "epayment_search" in inspect(engine).get_table_names()
    engine.dispose()
    database.downgrade(PG_URL, "0007_reservation")
    engine = create_engine(PG_URL)
    insp = inspect(engine)
    assert "epayment_search" not in insp.get_table_names()
    assert not any(i["name"].endswith("_tracking") for i in insp.get_indexes("epayment"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%search_sync'")).scalar() == 0
    engine.dispose()
    database.migrate(PG_URL)
    assert set(SQLModel.metadata.tables) <= set(inspect(create_engine(PG_URL)).get_table_names())


def test_the_search_table_follows_status_and_owner_changes(pg_session):
    """0015_scale_pg: the scope, status and sort key copied into the search table move with the
    payment, through the guarded status change and an owner change alike."""
    s = pg_session
    w = World(s)
    seller, other = w.users[G.VENDEUR], w.pos2_seller
    payment = w.payment(seller, S.ENVOYE, first="Gaëlle", last="CHÂTELAIN")
    s.commit()
    assert ids(tracking.list_payments(s, w.viewer(seller), filter_keys=["en_attente"], query="chatelain")) == [
        payment.id
    ]

    locked = lock_payment(s, payment.id)
    assert change_status(s, locked, S.AUTORISE, source="test")
    s.commit()
    seller_view = w.viewer(seller)
    assert ids(tracking.list_payments(s, seller_view, filter_keys=["en_attente"], query="chatelain")) == []
    assert ids(tracking.list_payments(s, seller_view, filter_keys=["payes"], query="chatelain")) == [payment.id]
    row = s.connection().execute(
        text("SELECT status, status_changed_at, seller_id, pos_id FROM epayment_search WHERE payment_id = :p"),
        {"p": payment.id},
    )
    s.refresh(payment)
    assert tuple(row.one()) == (S.AUTORISE.value, payment.status_changed_at, seller.id, seller.pos_id)

    s.connection().execute(
        text("UPDATE epayment SET seller_id = :s, pos_id = :p WHERE id = :i"),
        {"s": other.id, "p": other.pos_id, "i": payment.id},
    )
    s.commit()
    assert ids(tracking.list_payments(s, w.viewer(seller), query="chatelain")) == []
    assert ids(tracking.list_payments(s, w.viewer(other), query="chatelain")) == [payment.id]
    manager = w.viewer(w.users[G.CHEF_DES_VENTES])  # point of sale 1: no longer theirs
    assert ids(tracking.list_payments(s, manager, query="chatelain")) == []


def test_pages_read_with_generic_plans_and_a_list_page_is_one_statement(pg_session):
    """Issue 16: the read engine keeps generic plans (a list page's nine-table join is planned
    once per connection, not at each call); writes keep PostgreSQL's default. A page is one
    statement, or the ids then their cards with Pilotage's narrowing (its text changes). The list
    page reads its narrowing with Narrowing.from_params: without Pilotage's parameters there is
    none and the page is one statement."""
    from datetime import date

    from sqlalchemy import event

    from epay_app.db import make_engine
    from epay_app.domain.tracking import Narrowing

    w = World(pg_session)
    seller = w.users[G.VENDEUR]
    created = [w.payment(seller, S.ENVOYE, at=T0 + timedelta(minutes=i)).id for i in range(25)]
    pg_session.commit()
    director = w.viewer(w.users[G.DIRECTEUR])
    reads, writes = make_engine(PG_URL, write=False), make_engine(PG_URL, write=True)
    try:
        with reads.connect() as conn:
            assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_generic_plan"
        with writes.connect() as conn:
            assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
        statements: list[str] = []
        event.listen(reads, "before_cursor_execute", lambda *args: statements.append(args[2]))
        with Session(reads) as session:
            for _ in range(7):  # past psycopg's prepare threshold: the prepared plan answers the same
                statements.clear()
                page = tracking.list_payments(session, director, filter_keys=["en_attente"])
                assert ids(page) == created[:20] and len(statements) == 1
            statements.clear()
            page = tracking.list_payments(
                session, director, filter_keys=["en_attente"], narrowing=Narrowing.from_params({})
            )
            assert ids(page) == created[:20] and len(statements) == 1
            narrowed = Narrowing(day_from=date(2000, 1, 1))
            statements.clear()
            page = tracking.list_payments(session, director, filter_keys=["en_attente"], narrowing=narrowed)
            assert ids(page) == created[:20] and len(statements) == 2
    finally:
        reads.dispose()
        writes.dispose()
