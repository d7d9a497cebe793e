"""The e-Paiements list against a plain reference query, per scope, on 10 000 seeded payments
(issue 16): the optimised statements (on PostgreSQL the scoped search table and the prepared
card query; on SQLite the FTS table) must give the same pages as a naive filter-and-sort done
in Python over every payment of the scope, for each sort, status filter and kind of search.

SQLite always; PostgreSQL when EPAY_TEST_PG_URL is set.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from bench.tracking_bench import seed
from epay_app.domain.roles import GroupType
from epay_app.domain.search import normalise
from epay_app.domain.statuses import PaymentStatus
from epay_app.domain.tracking import SortOrder, statuses_for
from epay_app.services.dashboards import tracking
from tests.support import database

ROWS = 10_000

# What the search document is made of, read plainly: the reference rebuilds it in Python.
PLAIN = text(
    "SELECT e.id, e.status, e.status_changed_at, e.reference, e.seller_id, e.pos_id, e.entity_id,"
    " c.first_name, c.last_name, so.number AS order_number, op.number AS opp_number, v.plate, v.vin"
    " FROM epayment e JOIN customer c ON c.id = e.customer_id LEFT JOIN sales_order so ON so.id = e.order_id"
    " JOIN opportunity op ON op.id = e.opportunity_id JOIN vehicle v ON v.id = e.vehicle_id"
)


@pytest.fixture(scope="module", params=database.backends())
def seeded(request, tmp_path_factory):
    url = database.create_migrated_database(request.param, tmp_path_factory.mktemp("scopes10k"))
    engine = create_engine(url)
    seed(engine, ROWS, random.Random(16))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    with engine.connect() as conn:
        rows = conn.execute(PLAIN).all()
    engine.dispose()
    yield url, rows
    database.drop_database(url)


def _document(row) -> str:
    plate = row.plate or ""
    parts = [
        f"{row.first_name or ''} {row.last_name or ''} {row.first_name or ''}",
        row.reference,
        "" if row.order_number is None else str(row.order_number),
        str(row.opp_number),
        f"{plate} {plate.replace('-', '').replace(' ', '')}",
        row.vin or "",
    ]
    return normalise(" | ".join(parts))


def _matches(row, query: str) -> bool:
    wanted = normalise(query)
    if not wanted:
        return True
    if query == row.reference:
        return True
    if len(wanted) < 3:
        return str(row.order_number) == wanted or str(row.opp_number) == wanted
    return wanted in _document(row)


def _reference_ids(rows, viewer, filter_keys, query, order) -> list[str]:
    """The plain answer: every payment of the scope, filtered and sorted in Python."""
    statuses = {s.value for s in statuses_for(viewer.group, filter_keys)}
    column = viewer.scope.value
    kept = [r for r in rows if getattr(r, column) == viewer.scope_value and r.status in statuses and _matches(r, query)]
    kept.sort(key=lambda r: (r.status_changed_at, r.id), reverse=order is SortOrder.NEWEST_FIRST)
    return [str(r.id) for r in kept]


def _listed_ids(session, viewer, filter_keys, query, order) -> list[str]:
    seen, cursor = [], ""
    while True:
        page = tracking.list_payments(session, viewer, filter_keys=filter_keys, query=query, order=order, after=cursor)
        seen += [str(card.id) for card in page.cards]
        cursor = page.next_cursor
        if not cursor:
            return seen


def _check_scope(seeded, group: GroupType):
    url, rows = seeded
    sample = rows[len(rows) // 2]
    viewer = tracking.Viewer(user_id=sample.seller_id, group=group, entity_id=sample.entity_id, pos_id=sample.pos_id)
    surname = normalise(sample.last_name)[:5]
    plate = next(r.plate for r in rows if r.plate)[2:6]
    short_number = str(next(r.order_number for r in rows if r.order_number and r.order_number < 100))
    two = ["en_attente", "payes"] if group is GroupType.VENDEUR else ["a_rembourser", "payes"]
    cases = [([], ""), (["payes"], ""), (two, ""), (two, surname), ([], surname), ([], "mar")]
    cases += [([], plate), ([], sample.reference), ([], short_number), (two, "zzzq")]
    engine = create_engine(url)
    checked = 0
    with Session(engine) as session:
        for order in SortOrder:
            for filter_keys, query in cases:
                expected = _reference_ids(rows, viewer, filter_keys, query, order)
                got = _listed_ids(session, viewer, filter_keys, query, order)
                assert got == expected, (order, filter_keys, query)
                checked += len(got)
    engine.dispose()
    assert checked > 100  # every scope has real pages to compare


def test_seller_scope_lists_what_a_plain_query_finds(seeded):
    _check_scope(seeded, GroupType.VENDEUR)


def test_point_of_sale_scope_lists_what_a_plain_query_finds(seeded):
    _check_scope(seeded, GroupType.CHEF_DES_VENTES)


def test_entity_scope_lists_what_a_plain_query_finds(seeded):
    _check_scope(seeded, GroupType.DIRECTEUR)


def test_entity_tiles_count_what_a_plain_query_counts(seeded):
    url, rows = seeded
    sample = rows[len(rows) // 2]
    viewer = tracking.Viewer(user_id=0, group=GroupType.DIRECTEUR, entity_id=sample.entity_id, pos_id=0)
    engine = create_engine(url)
    with Session(engine) as session:
        counts = tracking.tile_counts(session, viewer)
    engine.dispose()
    for status in (PaymentStatus.A_REMBOURSER, PaymentStatus.ENVOYE):
        plain = sum(1 for r in rows if r.entity_id == sample.entity_id and r.status == status.value)
        assert counts[status] == plain > 0
