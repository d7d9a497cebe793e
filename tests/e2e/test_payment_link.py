"""The customer opens a payment link, pays on the sandbox's hosted page with the accepted
card and lands on our result page; the payment is Autorisé in the database."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.models import EPayment, EPaymentEvent
from epay_app.services.payment.paylinks import make_token

from .conftest import fill_sips_card

pytestmark = pytest.mark.e2e


def _fresh_link(app, reference):
    with session_scope(app.db_url) as s:
        pay = s.exec(select(EPayment).where(EPayment.reference == reference)).one()
        pay.link_expires_at = utcnow() + timedelta(hours=1)
        s.add(pay)
        s.flush()
        return pay.id, f"{app.base_url}/pay/{make_token(pay)}"


def test_pay_with_the_accepted_card_then_authorised(live_app, page, shot):
    assert live_app.sandbox_url, "the sandbox PSP did not start"
    payment_id, link = _fresh_link(live_app, "00030_000031_20000004469_1")
    page.goto(link)
    expect(page.locator("#amount")).to_have_text("500.00 EUR")
    expect(page.locator("#order-id")).to_have_text("00030_000031_20000004469_1")
    for label in (
        "PAYER AVEC",
        "TITULAIRE DE LA CARTE",
        "NUMÉRO DE LA CARTE",
        "DATE D'EXPIRATION (MM / AAAA)",
        "CODE DE VÉRIFICATION DE LA CARTE",
        "Paiement traité par",
    ):
        expect(page.get_by_text(label).first).to_be_visible()
    shot("1-hosted-page")
    fill_sips_card(page, "MARIE VERRIERE")
    page.locator("#confirm").click()
    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("00030_000031_20000004469_1")).to_be_visible()
    shot("2-result")
    with session_scope(live_app.db_url, write=False) as s:
        assert s.get(EPayment, payment_id).status == "autorise"
        sources = {e.source for e in s.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == payment_id))}
        assert "psp:notify" in sources or "psp:return" in sources


def test_bad_card_number_shows_a_french_error_and_charges_nothing(live_app, page):
    payment_id, link = _fresh_link(live_app, "00051_000071_20000004355_1")
    page.goto(link)
    fill_sips_card(page, "AUDREY VILLIEN", number="4100000000000002", cvc="12")  # fails the Luhn check
    page.locator("#confirm").click()
    expect(page.locator("#error-card_number")).to_be_visible()
    expect(page.locator("#error-cvc")).to_be_visible()
    with session_scope(live_app.db_url, write=False) as s:
        assert s.get(EPayment, payment_id).status == "envoye"


def test_forged_link_is_refused(live_app, page):
    page.goto(f"{live_app.base_url}/pay/1.9999999999.forged")
    expect(page.locator("body")).to_contain_text("lien")
    assert "paymentInit" not in page.url
