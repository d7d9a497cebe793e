"""Every link a card or a page shows leads to a real page (issue 13): a registered route, and for
a route with a number, a record the viewer can open. Finding: a reservation card linked to
/opportunites/<n>, a route that does not exist."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from epay_app.config import get_settings
from epay_app.db import reset_engines, session_scope
from epay_app.domain.references import PaymentKind, TransactionReference
from epay_app.domain.roles import GroupType
from epay_app.domain.statuses import PaymentStatus
from epay_app.domain.tracking import parse_filter_keys, statuses_for
from epay_app.models import Entity, EPayment, Opportunity, PointOfSale, User
from epay_app.pages.opportunities import present_row
from epay_app.pages.payment_cards import present_card, present_tiles
from epay_app.pages.public_stock import vehicle_row
from epay_app.pages.sale_views import opportunity_fields
from epay_app.services.dashboards import tracking
from epay_app.services.demo import demo_data
from epay_app.services.sales import checkout, orders, stock
from tests.support import database


@pytest.fixture
def demo(tmp_path, monkeypatch):
    url = database.create_migrated_database("sqlite", tmp_path, "links.db")
    with session_scope(url) as s:
        demo_data.seed(s, activity=True)
        _add_reservation(s)
    monkeypatch.setenv("REFLEX_DB_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    reset_engines()


def _add_reservation(s) -> None:
    """A reservation payment in the directeur's entity (the demo's are in other entities)."""
    director = s.exec(select(User).where(User.email == "directeur@openflex.demo")).one()
    deposit = s.exec(
        select(EPayment).where(EPayment.kind == PaymentKind.DEPOSIT.value, EPayment.entity_id == director.entity_id)
    ).first()
    opportunity = s.get(Opportunity, deposit.opportunity_id)
    entity, pos = s.get(Entity, deposit.entity_id), s.get(PointOfSale, deposit.pos_id)
    ref = TransactionReference(entity.number, pos.number, PaymentKind.RESERVATION, opportunity.number, 1)
    fields = deposit.model_dump(exclude={"id", "reference", "psp_reference", "kind", "order_id", "attempt", "status"})
    s.add(
        EPayment(
            **fields,
            reference=str(ref),
            psp_reference=ref.psp_reference,
            kind=PaymentKind.RESERVATION.value,
            status=PaymentStatus.A_REMBOURSER.value,  # a status the directeur follows
        )
    )


def _page_patterns() -> list[re.Pattern]:
    from epay_app.epay_app import app

    routes = ["" if r == "index" else r for r in app._unevaluated_pages if r != "404"]
    return [re.compile("^/" + re.sub(r"\[[^/\]]+\]", r"([^/]+)", r) + "/?$") for r in routes]


def _opens(session, user: User, href: str, patterns) -> bool:
    """Whether `href` is a registered page, and the record its number names opens for `user`."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not any(p.match(parts.path) for p in patterns):
        return False
    query = parse_qs(parts.query)
    segments = [s for s in parts.path.split("/") if s]
    if segments[:1] == ["offres"]:
        checkout.load_offer_facts(session, int(segments[1]), user)
    elif segments[:1] == ["commandes"]:
        orders.load_order_facts(session, int(segments[1]), user)
    elif segments == ["opportunites"] and "numero" in query:
        lines = orders.opportunity_lines(session, user)
        return any(str(line.opportunity_number) == query["numero"][0] for line in lines)
    elif segments == ["e-paiements"] and "statut" in query:
        statuses_for(GroupType(user.group_type), parse_filter_keys(query["statut"][0]))
    elif segments[:1] == ["stock"] and len(segments) == 3:
        return stock.public_vehicle(session, int(segments[1]), int(segments[2])) is not None
    return True  # the loaders above raise (not found, out of scope) when the record does not open


def test_every_link_of_the_cards_tiles_and_lists_opens_a_real_page(demo):
    patterns = _page_patterns()
    with session_scope(demo, write=False) as s:
        director = s.exec(select(User).where(User.email == "directeur@openflex.demo")).one()
        viewer = tracking.viewer_for(s, director)
        facts = tracking.list_payments(s, viewer, limit=500).cards
        assert {f.kind for f in facts} == {PaymentKind.DEPOSIT, PaymentKind.RESERVATION}  # both kinds of card
        links = {present_card(f).href for f in facts}
        links |= {t.href for t in present_tiles(tracking.tile_counts(s, viewer))}
        for row in (present_row(opportunity_fields(line)) for line in orders.opportunity_lines(s, director)):
            links |= {row.offer_href, row.order_href}
        for number in {61, 62}:
            public = stock.public_stock(s, number)
            if public is not None:
                links |= {vehicle_row(v, number).href for v in public.vehicles}
        links.discard("")
        assert any(link.startswith("/opportunites?") for link in links)
        broken = sorted(link for link in links if not _opens(s, director, link, patterns))
    assert broken == []


def test_a_link_to_a_page_that_does_not_exist_is_caught(demo):
    with session_scope(demo, write=False) as s:
        director = s.exec(select(User).where(User.email == "directeur@openflex.demo")).one()
        assert not _opens(s, director, "/opportunites/2013", _page_patterns())
