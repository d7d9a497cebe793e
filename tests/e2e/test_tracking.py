"""Tracking in the browser (F-50..F-55): tiles per group type, the pre-filtered list, search,
filters, sort, Voir plus, card actions, and a status change showing up without a reload.

Payments are added at the demo users' point of sale "Point de vente 1 (Vincent S.)" (entity 45)
and at its second point of sale; the tests read them in file order (the live test runs last).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.references import PaymentKind, TransactionReference
from epay_app.domain.statuses import PaymentStatus
from epay_app.models import (
    Customer,
    Entity,
    EPayment,
    Offer,
    Opportunity,
    PointOfSale,
    SalesOrder,
    User,
    Vehicle,
)
from epay_app.services.payment.payments import change_status, lock_payment

from .conftest import login

pytestmark = pytest.mark.e2e
S = PaymentStatus
T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)


def _payment(session, seller, pos, entity, customer, vehicle, status, number, at, kind=PaymentKind.DEPOSIT):
    opp = Opportunity(number=number + 600_000, customer_id=customer.id, seller_id=seller.id, pos_id=pos.id)
    session.add(opp)
    session.flush()
    order_id = None
    if kind is PaymentKind.DEPOSIT:
        offer = Offer(number=number + 700_000, opportunity_id=opp.id, vehicle_id=vehicle.id)
        session.add(offer)
        session.flush()
        order = SalesOrder(number=number, offer_id=offer.id, pos_id=pos.id)
        session.add(order)
        session.flush()
        order_id = order.id
    ref = TransactionReference(entity.number, pos.number, kind, number if order_id else opp.number, 1)
    payment = EPayment(
        reference=str(ref),
        psp_reference=ref.psp_reference,
        kind=kind.value,
        amount_cents=50_000,
        status=status.value,
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
    )
    session.add(payment)
    session.flush()
    return payment


@pytest.fixture(scope="module")
def tracked(live_app):
    """At Vincent S.: the seller's own payments, the sales manager's (same point of sale) and a
    second point of sale's; 25 paid ones there for "Voir plus"."""
    with session_scope(live_app.db_url) as s:
        entity = s.exec(select(Entity).where(Entity.number == 45)).one()
        pos1 = s.exec(select(PointOfSale).where(PointOfSale.number == 61)).one()
        pos2 = s.exec(select(PointOfSale).where(PointOfSale.number == 62)).one()
        seller = s.exec(select(User).where(User.email == "vendeur@openflex.demo")).one()
        chef = s.exec(select(User).where(User.email == "chef@openflex.demo")).one()
        pos2_seller = User(
            first_name="Paul",
            last_name="DEUX",
            email="pdv2@openflex.demo",
            password_hash="x",
            group_type="vendeur",
            entity_id=entity.id,
            pos_id=pos2.id,
        )
        s.add(pos2_seller)
        pons = s.exec(select(Customer).where(Customer.last_name == "PONS")).one()
        helene = Customer(civility="Mme.", first_name="Hélène", last_name="LEFÈVRE", email="helene@example.com")
        s.add(helene)
        s.flush()
        clio = s.exec(select(Vehicle).where(Vehicle.plate == "GA123BC")).one()
        p208 = s.exec(select(Vehicle).where(Vehicle.make == "PEUGEOT", Vehicle.model == "208")).one()
        n = iter(range(7001, 8000))
        at = iter(T0 + timedelta(hours=i) for i in range(1000))
        made = {
            "pons_pending": _payment(s, seller, pos1, entity, pons, p208, S.ENVOYE, next(n), next(at)),
            "helene_pending": _payment(s, seller, pos1, entity, helene, clio, S.ENVOYE, next(n), next(at)),
            "seller_refund": _payment(s, seller, pos1, entity, helene, p208, S.A_REMBOURSER, next(n), next(at)),
            "seller_paid": _payment(s, seller, pos1, entity, pons, p208, S.AUTORISE, next(n), next(at)),
            "chef_pending": _payment(s, chef, pos1, entity, pons, p208, S.ENVOYE, next(n), next(at)),
            "chef_refund": _payment(s, chef, pos1, entity, pons, p208, S.A_REMBOURSER, next(n), next(at)),
            "pos2_pending": _payment(s, pos2_seller, pos2, entity, pons, p208, S.ENVOYE, next(n), next(at)),
            "pos2_refund_1": _payment(s, pos2_seller, pos2, entity, pons, p208, S.A_REMBOURSER, next(n), next(at)),
            "pos2_refund_2": _payment(s, pos2_seller, pos2, entity, helene, clio, S.A_REMBOURSER, next(n), next(at)),
        }
        for _ in range(25):
            _payment(s, pos2_seller, pos2, entity, pons, p208, S.AUTORISE, next(n), next(at))
        facts = {k: {"id": p.id, "reference": p.reference} for k, p in made.items()}
        order = s.get(SalesOrder, made["helene_pending"].order_id)
        facts["helene_pending"]["order"] = order.number
    return facts


TILES = {
    "administrateur": {},
    "directeur": {"a_rembourser": 4, "en_attente": 4},
    "chef des ventes": {"a_rembourser": 2, "en_attente": 3},
    "vendeur": {"en_attente": 2},
    "secrétaire": {"a_rembourser": 2},
}
EMAILS = {
    "administrateur": "admin@openflex.demo",
    "directeur": "directeur@openflex.demo",
    "chef des ventes": "chef@openflex.demo",
    "vendeur": "vendeur@openflex.demo",
    "secrétaire": "secretaire@openflex.demo",
}
TILE_LABELS = {"a_rembourser": "e-Paiements à rembourser", "en_attente": "e-Paiements en attente"}


def cards(page):
    return page.locator(".payment-card")


@pytest.mark.parametrize("group", list(TILES))
def test_each_group_type_sees_exactly_its_tiles_with_their_counts(live_app, tracked, page, shot, group):
    login(page, live_app, EMAILS[group])
    expect(page.locator("#all-epayments")).to_be_visible()
    tiles = page.locator(".epay-tile")
    expect(tiles).to_have_count(len(TILES[group]))
    for key, count in TILES[group].items():
        tile = page.locator(f"#tile-{key}")
        expect(tile.locator(".tile-label")).to_have_text(TILE_LABELS[key])
        expect(tile.locator(".tile-count")).to_have_text(str(count))
    shot("home")


def test_a_tile_opens_the_list_prefiltered_on_what_the_user_follows(live_app, tracked, page, shot):
    login(page, live_app, "chef@openflex.demo")
    page.locator("#tile-a_rembourser").click()
    page.wait_for_url(re.compile(r".*/e-paiements/?\?statut=a_rembourser$"))
    expect(cards(page)).to_have_count(2)
    expect(page.locator(".card-badge")).to_have_text(["À rembourser", "À rembourser"])
    expect(page.locator("#filters-button")).to_have_text("1 Filtre")
    expect(page.locator("#applied")).to_have_text("Filtres appliqués: Les e-Paiements à rembourser")
    expect(page.locator(".card-reference")).to_have_text(
        [tracked["seller_refund"]["reference"], tracked["chef_refund"]["reference"]]
    )
    shot("prefiltered")


def test_a_seller_asking_for_refunds_is_refused_by_the_server(live_app, tracked, page, shot):
    login(page, live_app, "vendeur@openflex.demo")
    page.goto(f"{live_app.base_url}/e-paiements?statut=a_rembourser")
    expect(page.locator("#refusal")).to_contain_text("Accès refusé")
    expect(cards(page)).to_have_count(0)
    shot("refused")
    page.goto(f"{live_app.base_url}/e-paiements?statut=en_attente")
    expect(cards(page)).to_have_count(2)  # their own two pending payments, not the manager's


@pytest.mark.parametrize(
    "key,query",
    [
        ("pons_pending", "pons"),
        ("helene_pending", "helene lefevre"),
        ("helene_pending", "ORDER"),
        ("helene_pending", "REFERENCE"),
        ("helene_pending", "ga123"),
        ("helene_pending", "VF1RJA0006"),
    ],
)
def test_search_finds_the_right_card(live_app, tracked, page, shot, key, query):
    query = {"ORDER": str(tracked[key].get("order", "")), "REFERENCE": tracked[key]["reference"]}.get(query, query)
    login(page, live_app, "chef@openflex.demo")
    page.goto(f"{live_app.base_url}/e-paiements?statut=en_attente")
    expect(cards(page)).to_have_count(3)
    page.locator("#search").fill(query)
    expect(page.locator(".card-reference").first).to_have_text(tracked[key]["reference"])
    if key == "helene_pending":
        expect(cards(page)).to_have_count(1)
    shot("search")


def test_filters_and_sort_change_the_list(live_app, tracked, page, shot):
    login(page, live_app, "directeur@openflex.demo")
    page.goto(f"{live_app.base_url}/e-paiements")
    page.locator("#filters-button").click()
    page.locator("#filter-payes").click()
    expect(page.locator("#filters-button")).to_have_text("1 Filtre")
    expect(page.locator(".card-badge").first).to_have_text("Payé")
    page.locator("#filter-a_rembourser").click()
    expect(page.locator("#filters-button")).to_have_text("2 Filtres")
    expect(page.locator("#applied")).to_have_text(
        "Filtres appliqués: Les e-Paiements à rembourser, Les e-Paiements payés"
    )
    shot("two-filters")
    page.locator("#filter-payes").click()
    expect(cards(page)).to_have_count(4)
    oldest_first = page.locator(".card-reference").all_inner_texts()
    page.get_by_role("radio", name="Du plus récent au plus ancien").click()
    expect(page.locator("#sorted-by")).to_have_text("Triés par: Du plus récent au plus ancien")
    expect(page.locator(".card-reference")).to_have_text(list(reversed(oldest_first)))
    page.locator("#filter-all").click()
    expect(page.locator("#filters-button")).to_have_text("Filtres")
    expect(page.locator("#applied")).to_have_text("Filtres appliqués: Tous les e-Paiements")
    shot("sorted")


# Every element and its ::before/::after whose backdrop is blurred: a blur the browser redoes at each
# frame where the list changes (Radix's translucent panels put one behind each card).
BLURRED_BACKDROPS = """
() => [...document.querySelectorAll('*')].flatMap((e) => [null, '::before', '::after']
    .filter((pseudo) => !['none', ''].includes(getComputedStyle(e, pseudo).backdropFilter))
    .map((pseudo) => e.tagName + '.' + e.className + (pseudo || '')))
"""


def test_the_list_and_its_menu_blur_nothing_behind_them(live_app, tracked, page):
    login(page, live_app, "directeur@openflex.demo")
    page.goto(f"{live_app.base_url}/e-paiements")
    page.locator("#filters-button").click()
    expect(page.locator("#filter-payes")).to_be_visible()
    expect(cards(page).first).to_be_visible()
    assert page.evaluate(BLURRED_BACKDROPS) == []


def test_voir_plus_loads_the_next_page(live_app, tracked, page):
    login(page, live_app, "directeur@openflex.demo")
    page.goto(f"{live_app.base_url}/e-paiements?statut=payes")
    expect(cards(page)).to_have_count(20)
    page.locator("#more").click()
    expect(cards(page)).to_have_count(26)  # 25 at the second point of sale and the seller's own
    expect(page.locator("#more")).to_have_count(0)
    refs = page.locator(".card-reference").all_inner_texts()
    assert len(refs) == len(set(refs))


def test_a_card_opens_its_order(live_app, tracked, page):
    login(page, live_app, "chef@openflex.demo")
    page.goto(f"{live_app.base_url}/e-paiements?statut=en_attente")
    page.locator(".card-document", has_text=str(tracked["helene_pending"]["order"])).click()
    page.wait_for_url(re.compile(rf".*/commandes/{tracked['helene_pending']['order']}$"))


def test_card_actions_call_their_services(live_app, tracked, page, shot):
    login(page, live_app, "directeur@openflex.demo")
    page.goto(f"{live_app.base_url}/e-paiements?statut=en_attente")
    page.locator(".payment-card", has_text=tracked["helene_pending"]["reference"]).locator(".card-resend").click()
    expect(page.get_by_text(re.compile("lien de paiement a été renvoyé|liens de paiement"))).to_be_visible()
    page.goto(f"{live_app.base_url}/e-paiements?statut=a_rembourser")
    card = page.locator(".payment-card", has_text=tracked["pos2_refund_1"]["reference"])
    card.locator(".card-refund").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(tracked["pos2_refund_1"]["reference"])
    shot("refund-confirmation")
    page.locator("#refund-confirm").click()
    expect(dialog).to_have_count(0)
    # That point of sale has no PSP configuration: a clear French refusal, and nothing changes.
    # (A real refund through the sandbox is in test_journey.py.)
    expect(page.get_by_text("Le paiement en ligne n'est pas paramétré pour ce point de vente.")).to_be_visible()
    shot("refund-result")
    with session_scope(live_app.db_url, write=False) as s:
        assert (
            s.exec(select(EPayment.status).where(EPayment.reference == tracked["pos2_refund_1"]["reference"])).one()
            == "a_rembourser"
        )


def test_a_status_change_shows_up_without_a_reload(live_app, tracked, page, shot):
    login(page, live_app, "directeur@openflex.demo")
    page.goto(f"{live_app.base_url}/e-paiements?statut=en_attente")
    expect(cards(page)).to_have_count(4)
    page.evaluate("window.__not_reloaded = true")
    with session_scope(live_app.db_url) as s:  # what a PSP callback does
        payment = lock_payment(s, tracked["pons_pending"]["id"])
        change_status(s, payment, S.AUTORISE, source="psp:notify", psp_code="00")
    expect(cards(page)).to_have_count(3, timeout=10_000)
    expect(page.locator(".payment-card", has_text=tracked["pons_pending"]["reference"])).to_have_count(0)
    assert page.evaluate("window.__not_reloaded") is True
    shot("live-list")
    page.goto(f"{live_app.base_url}/")
    expect(page.locator("#tile-en_attente .tile-count")).to_have_text("3")
    with session_scope(live_app.db_url) as s:
        payment = lock_payment(s, tracked["helene_pending"]["id"])
        change_status(s, payment, S.REJETE, source="psp:notify", psp_code="05")
    expect(page.locator("#tile-en_attente .tile-count")).to_have_text("2", timeout=10_000)
    shot("live-tiles")
