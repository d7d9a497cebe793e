"""The whole deposit journey, as the users live it, on the embedded default and on the
production shape (PostgreSQL + Redis + 3 workers):

seller passes the order with a 500 € card deposit → the customer pays from the e-mail in the
sandbox → the seller's order page and the director's list follow by themselves → the order is
cancelled → the director refunds it from the list card → "e-Paiement remboursé"."""

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.models import EPayment, Offer, Opportunity, Vehicle

from .conftest import fill_card, login
from .test_checkout import _open_mail, assert_not_reloaded, mark_page, order_with_card_deposit

pytestmark = pytest.mark.e2e
LIVE = 20_000  # ms: a callback reaches an open page within the refresh period, with margin
OFFER_NUMBER = 26950
REFERENCE = f"00045_000061_2{OFFER_NUMBER:010d}_1"


def _offer_for_the_journey(app) -> None:
    with session_scope(app.db_url) as s:
        if s.exec(select(Offer).where(Offer.number == OFFER_NUMBER)).first():
            return
        opportunity = s.exec(select(Opportunity).where(Opportunity.number == 15301)).one()
        vehicle = s.exec(select(Vehicle).where(Vehicle.model == "208")).one()
        s.add(
            Offer(
                number=OFFER_NUMBER,
                opportunity_id=opportunity.id,
                vehicle_id=vehicle.id,
                vehicle_price_cents=vehicle.price_cents,
            )
        )


@pytest.mark.parametrize("app_fixture", ["live_app", "scaleout_app"])
def test_deposit_journey_from_order_to_refund(app_fixture, request, browser, shot):
    app = request.getfixturevalue(app_fixture)
    _offer_for_the_journey(app)
    seller = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris").new_page()
    director = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris").new_page()
    customer = browser.new_context(locale="fr-FR").new_page()

    # The seller passes the order.
    login(seller, app, "vendeur@openflex.demo")
    order_with_card_deposit(seller, app, OFFER_NUMBER)
    mark_page(seller)

    # The director watches the pending e-payments.
    login(director, app, "directeur@openflex.demo")
    director.goto(f"{app.base_url}/e-paiements?statut=en_attente")
    card = director.locator(".payment-card", has_text=REFERENCE)
    expect(card).to_have_count(1, timeout=LIVE)
    expect(card).to_contain_text("Thomas MARTIN pour : M. Patrick PONS")
    mark_page(director)

    # The customer pays from the e-mail.
    frame = _open_mail(customer, app, REFERENCE, "acompte")
    customer.goto(frame.get_by_role("link", name="Payer l'acompte en ligne").get_attribute("href"))
    fill_card(customer, "PATRICK PONS")
    customer.locator("#pay").click()
    expect(customer.get_by_role("heading", name="Paiement accepté")).to_be_visible(timeout=LIVE)

    # Both open pages follow without a reload.
    expect(seller.locator("#epay-badge")).to_have_text("e-Paiement payé", timeout=LIVE)
    expect(card).to_have_count(0, timeout=LIVE)
    assert_not_reloaded(seller)
    assert_not_reloaded(director)
    shot("1-paid")
    confirmation = _open_mail(customer, app, REFERENCE, "Confirmation")
    expect(confirmation.get_by_text("CONFIRMATION DE PAIEMENT DE L'ACOMPTE")).to_be_visible()

    # The order is cancelled: the authorised deposit is to be refunded.
    seller.locator("#cancel-order").click()
    seller.locator("#confirm-cancel-order").click()
    expect(seller.locator("#epay-badge")).to_have_text("e-Paiement à rembourser")

    # The director refunds it from the list card, through the PSP's Office API.
    director.goto(f"{app.base_url}/e-paiements?statut=a_rembourser")
    card = director.locator(".payment-card", has_text=REFERENCE)
    expect(card).to_contain_text("À rembourser depuis le")
    card.locator(".card-refund").click()
    director.locator("#refund-confirm").click()
    expect(director.get_by_text("Le remboursement a été effectué.")).to_be_visible(timeout=LIVE)
    expect(seller.locator("#epay-badge")).to_have_text("e-Paiement remboursé", timeout=LIVE)
    shot("2-refunded")
    with session_scope(app.db_url, write=False) as s:
        payment = s.exec(select(EPayment).where(EPayment.reference == REFERENCE)).one()
        assert payment.status == "rembourse" and payment.refunded_at is not None
