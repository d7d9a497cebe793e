"""The documents a dealer hands over, downloaded as a user does: "Imprimer" on the order page
gives the bon de commande, the e-Paiement modal gives the deposit receipt. Read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.domain.references import PaymentKind, TransactionReference
from epay_app.domain.statuses import PaymentStatus
from epay_app.models import EPayment, Offer, Opportunity, PointOfSale, SalesOrder, User
from epay_app.services.payment.payments import change_status, lock_payment

from .conftest import login

pytestmark = pytest.mark.e2e

NUMBER = 26837  # the guide's offer, validated with a 500 € card deposit paid online
REFERENCE = "00045_000061_20000026837_1"


@pytest.fixture(scope="module")
def ordered(live_app):
    """Order 26837 validated by the seller, its e-payment "Envoyé"; returns the payment id."""
    now = utcnow()
    with session_scope(live_app.db_url) as s:
        offer, opportunity = s.exec(select(Offer, Opportunity).join(Opportunity).where(Offer.number == NUMBER)).one()
        pos = s.get(PointOfSale, opportunity.pos_id)
        seller = s.exec(select(User).where(User.email == "vendeur@openflex.demo")).one()
        order = SalesOrder(
            number=NUMBER,
            offer_id=offer.id,
            validated_by_id=seller.id,
            validated_at=now,
            delivery_date=now.date(),
            extreme_delivery_date=now.date(),
            pos_id=pos.id,
            balance_method="Virement",
            deposit_amount_cents=50_000,
            deposit_method="Carte bancaire",
            deposit_online=True,
        )
        s.add(order)
        s.flush()
        reference = TransactionReference(45, pos.number, PaymentKind.DEPOSIT, NUMBER, 1)
        payment = EPayment(
            reference=str(reference),
            psp_reference=reference.psp_reference,
            kind=PaymentKind.DEPOSIT.value,
            amount_cents=50_000,
            order_id=order.id,
            opportunity_id=opportunity.id,
            customer_id=opportunity.customer_id,
            vehicle_id=offer.vehicle_id,
            seller_id=seller.id,
            pos_id=pos.id,
            entity_id=pos.entity_id,
            sent_at=now,
            link_expires_at=now + timedelta(hours=72),
        )
        s.add(payment)
        s.flush()
        return payment.id


def _authorise(db_url: str, payment_id: int) -> None:
    with session_scope(db_url) as s:
        payment = lock_payment(s, payment_id)
        payment.psp_authorisation_id, payment.psp_masked_pan = "A26837", "4330 26XX XXXX 4675"
        change_status(s, payment, PaymentStatus.AUTORISE, source="psp:notify", psp_code="00")


def _text(path) -> str:
    data = path.read_bytes()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def test_imprimer_downloads_the_bon_de_commande_with_the_qr_code_to_pay(live_app, ordered, page, tmp_path, shot):
    login(page, live_app, "directeur@openflex.demo")
    page.goto(f"{live_app.base_url}/commandes/{NUMBER}")
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement en attente")
    with page.expect_download() as download:
        page.locator("#print-order").click()
    assert download.value.suggested_filename == f"bon-de-commande-{NUMBER}.pdf"
    path = tmp_path / "bon.pdf"
    download.value.save_as(path)

    text = _text(path)
    for expected in [
        f"Bon de commande n°{NUMBER}",
        "bee2link PP Vincent S.",
        "SIRET 81234567600025",
        "TVA intracommunautaire FR19812345676",
        f"Acompte versé à la commande : 500,00 € — Carte bancaire, paiement en ligne n° {REFERENCE} : en attente",
        "Le client",
        "Le vendeur",
        "Lu et approuvé",
        "Payer l'acompte en ligne",
        "Conditions générales de vente",
    ]:
        assert expected in text, expected
    assert re.search(r"1 / [2-9]", text)
    image = pypdfium2.PdfDocument(path.read_bytes())[0].render(scale=3).to_pil()
    (link,) = [r.text for r in zxingcpp.read_barcodes(image)]
    assert re.fullmatch(rf"{re.escape(live_app.base_url)}/pay/\S+", link), link
    shot("bon-de-commande")


def test_the_epaiement_modal_downloads_the_deposit_receipt(live_app, ordered, page, tmp_path, shot):
    _authorise(live_app.db_url, ordered)
    login(page, live_app, "directeur@openflex.demo")
    page.goto(f"{live_app.base_url}/commandes/{NUMBER}")
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement payé")
    page.locator("#epay-view").click()
    expect(page.locator("#epay-table")).to_contain_text("Payé")
    expect(page.locator(".epay-reference").first).to_have_text(REFERENCE)
    reference = REFERENCE
    shot("modal")
    with page.expect_download() as download:
        page.locator(".epay-receipt").first.click()
    assert download.value.suggested_filename == f"recu-acompte-{reference}.pdf"
    path = tmp_path / "recu.pdf"
    download.value.save_as(path)

    text = _text(path)
    for expected in [
        "Reçu d'acompte",
        f"N° de transaction {reference}",
        f"Acompte de la commande n°{NUMBER}",
        "Montant payé 500,00 €",
        "N° d'autorisation A26837",
        "4330 26XX XXXX 4675",
        "SIRET 81234567600025",
    ]:
        assert expected in text, expected
    assert re.search(r"Payé le \d\d/\d\d/\d{4} à \d\dh\d\d", text)
    expect(page.locator(".epay-refund-notice")).to_have_count(0)
