"""Issue 14 in Chromium: Clients (search → record → edit), Pilotage (each figure equals the
count of the e-Paiements list its link opens, for a directeur and a chef des ventes), and an
opportunity declared lost turning its paid e-Réservation into "À rembourser".

Screenshots of Clients and Pilotage on the demo data go to docs/ (shown in the README)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.domain.statuses import PaymentStatus as S
from tests.e2e.conftest import login
from tests.support.payments import add_payment
from tests.support.processes import ROOT

DOCS = ROOT / "docs"


def _docs_shot(page, name: str) -> None:
    page.screenshot(path=str(DOCS / name), full_page=True, timeout=30_000)


def test_clients_search_then_record_then_edit(live_app, page, shot):
    from epay_app.models import Customer

    login(page, live_app, "vendeur@openflex.demo")
    page.get_by_role("link", name="Clients").click()
    page.wait_for_url(re.compile(r".*/clients/?$"))
    page.locator("#customer-search").fill("06 12 34")
    expect(page.locator("#customers-table")).to_contain_text("M. Patrick PONS")
    expect(page.locator("#customers-table tbody tr")).to_have_count(1)
    page.locator("#customer-search").fill("pons")
    expect(page.locator("#customers-table tbody tr")).to_have_count(1)
    _docs_shot(page, "clients.png")
    page.get_by_role("link", name="M. Patrick PONS").click()
    page.wait_for_url(re.compile(r".*/clients/\d+$"))
    expect(page.locator("#customer-title")).to_have_text("M. Patrick PONS")
    expect(page.locator("#customer-opportunities")).to_contain_text("Offre n°26837")
    _docs_shot(page, "clients-fiche.png")

    page.locator("#customer-email").fill("patrick.pons@")
    page.locator("#customer-save").click()
    expect(page.locator("#error-email")).to_have_text("L'adresse e-mail n'est pas valide (exemple : nom@domaine.fr).")
    shot("1-erreur")
    with session_scope(live_app.db_url, write=False) as s:
        assert s.exec(select(Customer.email).where(Customer.last_name == "PONS")).one() == "patrick.pons@example.com"

    page.locator("#customer-email").fill("p.pons@example.com")
    page.locator("#customer-phone").fill("06 99 88 77 66")
    page.locator("#customer-save").click()
    expect(page.get_by_text("La fiche client a été mise à jour.")).to_be_visible()
    expect(page.locator("#error-email")).to_have_count(0)
    with session_scope(live_app.db_url, write=False) as s:
        pons = s.exec(select(Customer).where(Customer.last_name == "PONS")).one()
        assert (pons.email, pons.phone) == ("p.pons@example.com", "06 99 88 77 66")
    shot("2-enregistre")


def _seed_recent_payments(db_url) -> None:
    """Recent payments at points of sale 61 and 62 (entity 45), in every status, once."""
    from epay_app.models import PointOfSale, User

    with session_scope(db_url) as s:
        if s.exec(select(User).where(User.email == "paul62@pilotage.test")).first() is not None:
            return
        pos62 = s.exec(select(PointOfSale).where(PointOfSale.number == 62)).one()
        seller62 = User(
            first_name="Paul",
            last_name="LEBRUN",
            email="paul62@pilotage.test",
            password_hash="x",
            group_type="vendeur",
            entity_id=pos62.entity_id,
            pos_id=pos62.id,
        )
        s.add(seller62)
        s.flush()
        seller61 = s.exec(select(User).where(User.email == "vendeur@openflex.demo")).one()
        chef = s.exec(select(User).where(User.email == "chef@openflex.demo")).one()
        plan = [S.AUTORISE, S.AUTORISE, S.A_REMBOURSER, S.REMBOURSE, S.ENVOYE, S.REJETE, S.ANNULE, S.ERREUR]
        for i, status in enumerate(plan):
            for seller in (seller61, chef, seller62):
                add_payment(s, seller, status, 10_000 * (i + 1), timedelta(days=2 + i), timedelta(hours=i + 1))


def _applied(keys: tuple[str, ...]) -> str:
    from epay_app.domain.tracking import ALL_LABEL, FILTERS

    return ", ".join(f.label for f in FILTERS if f.key in keys) or ALL_LABEL  # in the menu's order


def _expect_listed(page, expected: int, applied: str) -> None:
    """The list shows the filters `applied` and exactly `expected` cards, every page loaded."""
    from epay_app.services.dashboards.tracking import PAGE_SIZE

    expect(page.locator("#applied")).to_have_text(f"Filtres appliqués: {applied}")
    expect(page.locator("#narrowing")).to_be_visible()
    cards = page.locator(".payment-card")
    shown = min(expected, PAGE_SIZE)
    expect(cards).to_have_count(shown)
    while shown < expected:
        page.locator("#more").click()
        shown = min(expected, shown + PAGE_SIZE)
        expect(cards).to_have_count(shown)
    expect(page.locator("#more")).to_have_count(0)


def _count(text: str) -> int:
    return int(re.search(r"(\d+) e-Paiement", text)[1])


@pytest.mark.parametrize("email", ["directeur@openflex.demo", "chef@openflex.demo"])
def test_pilotage_figures_equal_the_lists_counts(live_app, page, email):
    _seed_recent_payments(live_app.db_url)
    login(page, live_app, email)
    page.get_by_role("link", name="Pilotage").click()
    page.wait_for_url(re.compile(r".*/pilotage/?$"))
    expect(page.locator("#figure-requested")).to_be_visible(timeout=30_000)
    if email.startswith("directeur"):
        _docs_shot(page, "pilotage.png")
    pilotage_url = page.url
    from epay_app.services.dashboards.pilotage import FIGURE_FILTERS

    links = [(f"#figure-{n}-count", f"#figure-{n}-link", FIGURE_FILTERS[n]) for n in FIGURE_FILTERS]
    links += [(f"#status-count-{k}", f"#status-{k}", (k,)) for k in ("payes", "en_attente", "refuses")]
    rows = page.locator("#pos-table tbody tr")
    assert rows.count() == (2 if email.startswith("directeur") else 1)
    total = 0
    for count_selector, link_selector, keys in links:
        text = page.locator(count_selector).inner_text()
        expected = _count(text) if "e-Paiement" in text else int(text)
        page.locator(link_selector).click()
        page.wait_for_url(re.compile(r".*/e-paiements\?.*du=.*"))
        _expect_listed(page, expected, _applied(keys))
        total += expected
        page.goto(pilotage_url)
        expect(page.locator("#figure-requested")).to_be_visible(timeout=30_000)
    assert total > 0
    # A point of sale's figure opens the list narrowed to that point of sale.
    first = page.locator("#pos-table tbody tr").first
    name = first.locator("th").inner_text().strip()
    expected = _count(first.locator("td").nth(0).inner_text())
    first.locator("td").nth(0).locator("a").click()
    page.wait_for_url(re.compile(r".*/e-paiements\?.*pdv=\d+.*"))
    expect(page.locator("#narrowing")).to_contain_text(name)
    _expect_listed(page, expected, _applied(()))


def test_an_opportunity_declared_lost_turns_its_paid_reservation_into_a_refund(live_app, page):
    from epay_app.models import EPayment, Opportunity, Vehicle
    from epay_app.services.payment.payments import change_status, lock_payment
    from epay_app.services.reservation import reservations

    now = utcnow()
    visitor = {
        "civility": "Mme.",
        "last_name": "Durand",
        "first_name": "Léa",
        "email": "lea.durand@example.com",
        "phone": "07 11 22 33 44",
    }
    with session_scope(live_app.db_url) as s:
        vehicle_id = s.exec(select(Vehicle.id).where(Vehicle.plate == "DF231LM")).one()
        reservation = reservations.reserve_vehicle(s, vehicle_id, visitor, now=now, client_address="198.51.100.7")
    with session_scope(live_app.db_url) as s:
        payment = lock_payment(s, reservation.payment_id)
        change_status(s, payment, S.AUTORISE, source="psp:notify", psp_code="00")
        reservations.after_status_change(s, payment, now=now)
        number = s.get(Opportunity, payment.opportunity_id).number

    login(page, live_app, "chef@openflex.demo")
    page.goto(f"{live_app.base_url}/vehicules")
    expect(page.locator(f"#vehicle-row-{vehicle_id} .stock-status")).to_contain_text("Réservé jusqu'au")
    page.get_by_role("link", name="Opportunités").click()
    expect(page.locator(f"#reservation-{number}")).to_have_text("e-Réservation : Payé")
    page.locator(f"#lose-{number}").click()
    page.locator("#lose-confirm").click()
    expect(page.get_by_text(f"Opportunité n°{number} déclarée perdue.")).to_be_visible()
    expect(page.locator(f"#reservation-{number}")).to_have_text("e-Réservation : À rembourser")
    expect(page.locator(f"#opportunity-status-{number}")).to_have_text("perdue")
    expect(page.locator(f"#lose-{number}")).to_have_count(0)
    with session_scope(live_app.db_url, write=False) as s:
        assert s.get(EPayment, reservation.payment_id).status == S.A_REMBOURSER.value
        assert s.get(Vehicle, vehicle_id).reserved_until is None
    page.locator(f"#reservation-{number}").click()
    page.wait_for_url(re.compile(r".*/e-paiements\?.*"))
    card = page.locator(".payment-card").filter(has_text=reservation.reference)
    expect(card).to_contain_text("À rembourser")
    page.get_by_role("link", name="Véhicules").click()
    expect(page.locator(f"#vehicle-row-{vehicle_id} .stock-status")).to_have_text("En stock")
