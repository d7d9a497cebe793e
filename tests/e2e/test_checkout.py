"""A seller passes offer 26837 with a 500 € card deposit and follows its e-payment on the order
page: badge, "e-Paiement" modal, live updates from a callback (simulated here through
services.payment.payments.change_status), a new attempt after a refusal, then the cancellation."""

from __future__ import annotations

import re
import weakref

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import EPayment
from epay_app.services.payment.payments import change_status, lock_payment

from .conftest import ARTIFACTS, fill_card, login

pytestmark = pytest.mark.e2e

REFERENCE = "00045_000061_20000026837_1"
LIVE = 8_000  # ms: the page polls every second
ORDERS = (26837, 26901, 26902)
EXTRA_OFFERS = (26901, 26902)


@pytest.fixture(scope="module", autouse=True)
def _leave_no_trace(live_app):
    """The live app's database is shared by the whole e2e run and other modules count the
    e-payments of entity 45 (tiles, list): remove the orders, payments, events and mails made
    here, so the demo is as seeded afterwards."""
    yield
    from sqlmodel import delete

    from epay_app.models import DirectCheckout, EPaymentEvent, Offer, OutboxMail, SalesOrder

    with session_scope(live_app.db_url) as s:
        order_ids = s.exec(select(SalesOrder.id).where(SalesOrder.number.in_(ORDERS))).all()
        payment_ids = s.exec(select(EPayment.id).where(EPayment.order_id.in_(order_ids))).all()
        s.exec(delete(OutboxMail).where(OutboxMail.payment_id.in_(payment_ids)))
        s.exec(delete(EPaymentEvent).where(EPaymentEvent.payment_id.in_(payment_ids)))
        s.exec(delete(DirectCheckout).where(DirectCheckout.payment_id.in_(payment_ids)))
        s.exec(delete(EPayment).where(EPayment.id.in_(payment_ids)))
        s.exec(delete(SalesOrder).where(SalesOrder.id.in_(order_ids)))
        s.exec(delete(Offer).where(Offer.number.in_(EXTRA_OFFERS)))


def psp_callback(app, reference: str, status: S) -> None:
    """What the PSP callback does: the one guarded transition, in its own transaction."""
    with session_scope(app.db_url) as s:
        payment_id = s.exec(select(EPayment.id).where(EPayment.reference == reference)).one()
        change_status(s, lock_payment(s, payment_id), status, source="psp:notify", psp_code="05")


def mark_page(page) -> None:
    page.evaluate("window.__noReload = 'still here'")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__noReload") == "still here"


def select_option(page, trigger: str, option: str) -> None:
    page.locator(trigger).click()
    page.get_by_role("option", name=option, exact=True).click()


def order_with_card_deposit(page, app, offer_number: int, amount: str = "500") -> None:
    """From the offer page: "Passer la commande", a card deposit, "Valider et imprimer" (the PDF
    downloads), then the order page with its pending e-payment."""
    page.goto(f"{app.base_url}/offres/{offer_number}")
    page.locator("#pass-order").click()
    select_option(page, "#deposit-method", "Carte bancaire")
    page.locator("#deposit-amount").fill(amount)
    with page.expect_download():
        page.locator("#validate-order").click()
    page.wait_for_url(re.compile(rf".*/commandes/{offer_number}/?$"))
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement en attente")


def test_seller_passes_the_order_with_a_card_deposit_and_follows_the_e_payment(live_app, page, shot):
    login(page, live_app, "vendeur@openflex.demo")

    # Opportunités → offer 26837.
    page.get_by_role("link", name="Opportunités").click()
    page.wait_for_url(re.compile(r".*/opportunites/?$"))
    expect(page.locator("#opportunities-table")).to_contain_text("M. Patrick PONS")
    shot("01-opportunites")
    page.locator("#offer-link-26837").click()
    page.wait_for_url(re.compile(r".*/offres/26837/?$"))
    expect(page.locator("#breadcrumb")).to_have_text("OPPORTUNITÉS > OPPORTUNITÉ DE M. PATRICK PONS > OFFRE N°26837")
    expect(page.locator("#offer-title")).to_have_text("Offre n°26837")
    expect(page.locator("#offer-status")).to_have_text("Validée")
    for name in ("Passer la commande", "Envoyer l'offre", "Imprimer", "Modifier"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(page.locator("#vehicle-price")).to_have_text("25 000,00 € TTC")
    expect(page.locator("#vehicle-power")).to_have_text("7 CV / 140 ch")
    expect(page.locator("#vehicle-doors")).to_have_text("5 P")
    expect(page.locator("#vehicle-mec")).to_have_text("Non renseigné")
    expect(page.locator("#recap-advantages")).to_have_text("- 100,00 €")
    expect(page.locator("#recap-sale-price")).to_have_text("24 900,00 €")
    shot("02-offre")
    page.locator("#amounts-switch").click()
    expect(page.locator("#recap-sale-price")).to_have_text("20 750,00 €")
    page.locator("#amounts-switch").click()

    # The payment tab: a refused form first (nothing saved), then 500 € by card.
    page.locator("#pass-order").click()
    expect(page.get_by_text("Paiement du solde à régler")).to_be_visible()
    expect(page.locator("#balance-amount")).to_have_text("24 900,00 €")
    select_option(page, "#deposit-method", "Carte bancaire")
    expect(page.locator("#online-notice")).to_have_text(
        "L'acompte se fera par un paiement en ligne, un e-mail sera envoyé au client à la validation de la commande."
    )
    expect(page.locator("#decline-online")).to_contain_text("Le client ne souhaite pas payer l'acompte en ligne")
    page.locator("#validate-order").click()
    expect(page.locator("#error-deposit_amount")).to_have_text("Le montant de l'acompte est obligatoire.")
    page.locator("#deposit-amount").fill("30000")
    page.locator("#validate-order").click()
    expect(page.locator("#error-deposit_amount")).to_contain_text("ne peut pas dépasser le prix de vente")
    shot("03-paiement-erreurs")
    page.locator("#deposit-amount").fill("500")
    shot("04-paiement")
    with page.expect_download() as download:
        page.locator("#validate-order").click()
    assert download.value.suggested_filename == "bon-de-commande-26837.pdf"

    # The order page.
    page.wait_for_url(re.compile(r".*/commandes/26837/?$"))
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement en attente")
    expect(page.locator("#order-banner")).to_have_text(
        "La commande 26837 pour le véhicule CEED 1.4 T-GDI 140 ch ISG DCT7 Edition #1 - DF231LM "
        "a été validée par Thomas MARTIN"
    )
    expect(page.locator("#order-validated")).to_contain_text("La commande a été validée le ")
    expect(page.locator("#order-delivery")).to_contain_text("dans le point de vente Point de vente 1 (Vincent S.).")
    expect(page.locator("#order-extreme")).to_contain_text("La date de livraison extrême est le ")
    expect(page.locator("#deposit-card")).to_contain_text("Acompte non compris dans les calculs")
    expect(page.locator("#deposit-method")).to_have_text("Moyen de paiement: Carte bancaire")
    expect(page.locator("#deposit-epay")).to_have_text("e-Paiement: 500,00 €")
    expect(page.locator("#retry-payment")).to_have_count(0)
    shot("05-commande")

    # The "e-Paiement" modal lists the attempt.
    page.locator("#epay-view").click()
    rows = page.locator("#epay-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(REFERENCE)
    expect(rows.first).to_contain_text("500,00 €")
    expect(rows.first).to_contain_text("En attente")
    expect(page.locator("#epay-timeline")).to_contain_text("Créé : En attente")
    shot("06-modal")
    page.locator("#epay-close").click()

    # "Renvoyer le lien de e-paiement".
    page.locator("#resend-link").click()
    expect(page.get_by_text("Le lien de e-paiement a été renvoyé au client.")).to_be_visible()
    shot("07-lien-renvoye")

    # A refusal arrives from the PSP: the open page follows, without a reload.
    mark_page(page)
    psp_callback(live_app, REFERENCE, S.REJETE)
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement refusé", timeout=LIVE)
    expect(page.locator("#resend-link")).to_have_count(0)
    assert_not_reloaded(page)
    shot("08-refuse-en-direct")

    # "Effectuer un nouveau paiement": attempt _2, the first one untouched.
    page.locator("#retry-payment").click()
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement en attente")
    page.locator("#epay-view").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(REFERENCE)
    expect(rows.nth(0)).to_contain_text("Refusé")
    expect(rows.nth(1).locator(".epay-reference")).to_have_text(re.compile(r"_2$"))
    expect(rows.nth(1)).to_contain_text("En attente")
    shot("09-nouveau-paiement")

    # Paid: the modal, open, follows too; then the order is cancelled → À rembourser.
    psp_callback(live_app, REFERENCE[:-1] + "2", S.AUTORISE)
    expect(rows.nth(1)).to_contain_text("Payé", timeout=LIVE)
    page.locator("#epay-close").click()
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement payé")
    assert_not_reloaded(page)
    shot("10-paye-en-direct")
    page.locator("#cancel-order").click()
    page.locator("#confirm-cancel-order").click()
    expect(page.locator("#order-status")).to_have_text("Annulée")
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement à rembourser")
    shot("11-commande-annulee")

    # The offer now points to its order: a second "Passer la commande" is impossible.
    page.goto(f"{live_app.base_url}/offres/26837")
    expect(page.locator("#already-ordered")).to_contain_text("commande n°26837")
    expect(page.locator("#pass-order")).to_have_count(0)


def test_an_other_entity_cannot_open_the_offer(live_app, page, shot):
    login(page, live_app, "audrey.villien@openflex.demo")
    page.goto(f"{live_app.base_url}/offres/26837")
    expect(page.locator("#offer-not-found")).to_have_text("Offre n°26837 introuvable.")
    page.goto(f"{live_app.base_url}/commandes/4186")
    expect(page.locator("#order-not-found")).to_have_text("Commande n°4186 introuvable.")
    shot("autre-entite")


def test_without_session_the_offer_sends_to_login(live_app, page):
    page.goto(f"{live_app.base_url}/offres/26837")
    page.wait_for_url(re.compile(r".*/login/?$"))


def _second_offer(app, number: int) -> None:
    """Another offer of M. Patrick PONS (on the demo's RENAULT CLIO), so this journey does not
    depend on the first test's order 26837."""
    from epay_app.models import Offer, Opportunity, Vehicle

    with session_scope(app.db_url) as s:
        if s.exec(select(Offer).where(Offer.number == number)).first():
            return
        opp = s.exec(select(Opportunity).where(Opportunity.number == 15301)).one()
        clio = s.exec(select(Vehicle).where(Vehicle.model == "CLIO")).one()
        s.add(
            Offer(
                number=number,
                opportunity_id=opp.id,
                vehicle_id=clio.id,
                vehicle_price_cents=clio.price_cents,
                customer_advantage_cents=0,
            )
        )


_MAIL_READERS: weakref.WeakSet = weakref.WeakSet()  # pages logged in as the demo administrator


def _open_mail(page, app, reference: str, subject_part: str):
    """Open, in the demo mailbox, the newest mail whose subject has `subject_part` and whose body
    has `reference` (the app's outbox sender delivers within a second or two). The demo mailbox
    is for administrators only: an anonymous page logs in as the demo administrator first."""
    if page not in _MAIL_READERS:
        login(page, app, "admin@openflex.demo")
        _MAIL_READERS.add(page)
    page.goto(f"{app.base_url}/demo/mails")
    frame = page.frame_locator("#mailbox-frame")
    for _ in range(60):
        rows = page.locator(".mailbox-row").filter(has_text=subject_part)
        if rows.count():
            rows.first.click()
            if frame.get_by_text(reference).count():
                return frame
        page.locator("#mailbox-refresh").click()
        page.wait_for_timeout(500)
    raise AssertionError(f"no mail '{subject_part}' for {reference} in the demo mailbox")


def customer_shot(customer_page, request, step: str) -> None:
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    customer_page.screenshot(path=str(folder / f"{step}.png"), full_page=True)


def test_the_customer_pays_from_the_e_mail_and_the_order_page_shows_it_live(live_app, page, browser, shot, request):
    assert live_app.sandbox_url and live_app.mail_dir, "the sandbox PSP or the mail sink did not start"
    _second_offer(live_app, 26901)
    reference = "00045_000061_20000026901_1"
    login(page, live_app, "vendeur@openflex.demo")
    order_with_card_deposit(page, live_app, 26901)
    mark_page(page)

    # The customer reads the mail in the demo sink (another browser: the mailbox needs the demo
    # administrator) and pays with the accepted card.
    customer = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris").new_page()
    frame = _open_mail(customer, live_app, reference, "acompte")
    expect(frame.get_by_text("PAIEMENT DE L'ACOMPTE")).to_be_visible()
    expect(frame.get_by_text("Bonjour M. Patrick PONS").first).to_be_visible()
    customer_shot(customer, request, "1-mail")
    href = frame.get_by_role("link", name="Payer l'acompte en ligne").get_attribute("href")
    customer.goto(href)
    expect(customer.locator("#merchant-reference")).to_have_text(reference)
    fill_card(customer, "PATRICK PONS")
    customer_shot(customer, request, "2-page-de-paiement")
    customer.locator("#pay").click()
    expect(customer.get_by_role("heading", name="Paiement accepté")).to_be_visible(timeout=20_000)
    customer_shot(customer, request, "3-paiement-accepte")

    # The seller's open order page follows by itself.
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement payé", timeout=20_000)
    assert_not_reloaded(page)
    shot("4-commande-payee")
    frame = _open_mail(customer, live_app, reference, "Confirmation")
    expect(frame.get_by_text("CONFIRMATION DE PAIEMENT DE L'ACOMPTE")).to_be_visible()
    customer_shot(customer, request, "5-confirmation")


def test_missing_customer_e_mail_is_refused_then_fixed_from_the_offer(live_app, page, shot):
    """F-04: no e-mail → a field-level error, nothing saved; the link opens the customer form."""
    from epay_app.models import Customer, SalesOrder

    _second_offer(live_app, 26902)
    with session_scope(live_app.db_url) as s:
        pons = s.exec(select(Customer).where(Customer.last_name == "PONS")).one()
        saved_email, pons.email = pons.email, ""
        s.add(pons)
    try:
        login(page, live_app, "vendeur@openflex.demo")
        page.goto(f"{live_app.base_url}/offres/26902")
        page.locator("#pass-order").click()
        select_option(page, "#deposit-method", "Carte bancaire")
        page.locator("#deposit-amount").fill("300")
        page.locator("#validate-order").click()
        expect(page.locator("#customer-errors")).to_contain_text(
            "L'adresse e-mail du client est obligatoire pour le e-paiement."
        )
        shot("1-fiche-client-incomplete")
        with session_scope(live_app.db_url, write=False) as s:
            assert s.exec(select(SalesOrder).where(SalesOrder.number == 26902)).first() is None
        page.locator("#fix-customer").click()  # the customer's record on the Clients page (F-67)
        page.wait_for_url(re.compile(r".*/clients/\d+\?offre=26902$"))
        page.locator("#customer-email").fill("patrick.pons@example.com")
        shot("2-fiche-client")
        page.locator("#customer-save").click()
        expect(page.get_by_text("La fiche client a été mise à jour.")).to_be_visible()
        page.locator("#back-offer").click()
        page.wait_for_url(re.compile(r".*/offres/26902/?$"))
        page.locator("#pass-order").click()
        select_option(page, "#deposit-method", "Carte bancaire")
        page.locator("#deposit-amount").fill("300")
        expect(page.locator("#customer-errors")).to_have_count(0)
        with page.expect_download():
            page.locator("#validate-order").click()
        page.wait_for_url(re.compile(r".*/commandes/26902/?$"))
        expect(page.locator("#epay-badge")).to_have_text("e-Paiement en attente")
    finally:
        with session_scope(live_app.db_url) as s:
            pons = s.exec(select(Customer).where(Customer.last_name == "PONS")).one()
            pons.email = saved_email
            s.add(pons)
