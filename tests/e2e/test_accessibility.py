"""Accessibility and the dead ends of issue 14, in Chromium on the prod build: axe-core (the npm
package, installed by scripts/install.sh into .tools/axe) runs on every page of the journey and
must report no serious or critical violation; the payment result pages are branded and lead back;
the payer sees his own reservation as his; the 404 page keeps the shell; labels focus their field."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import delete, func, select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import DirectCheckout, EPayment, EPaymentEvent, Offer, OutboxMail, SalesOrder, Vehicle
from epay_app.services.payment.paylinks import make_token
from epay_app.services.payment.payments import change_status, lock_payment
from tests.support.processes import ROOT

from .conftest import fill_card, login

pytestmark = pytest.mark.e2e

AXE_JS = Path(os.environ.get("EPAY_AXE_JS", ROOT / ".tools/axe/node_modules/axe-core/axe.min.js"))
OFFER = 26837
DECLINED_CARD = "5168645305790452"
CHALLENGE_CARD = "4874970686672022"
RESERVED_FOR_YOU = re.compile(r"Réservé pour vous jusqu'au \d{2}/\d{2}/\d{4} à \d{2}h\d{2}")
# Pages the other work of issue 14 adds (Clients, Pilotage): the lead extends this list at merge,
# each as (name, path, a selector that shows the page is loaded).
EXTRA_STAFF_PAGES: list[tuple[str, str, str]] = [
    ("clients", "/clients", "#customer-search"),
    ("pilotage (refusé au vendeur)", "/pilotage", "#pilotage-refused"),
    ("mon compte", "/mon-compte", "#account-password-submit"),
]

AXE_SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} -> ` +
      v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | '));
}"""


class Axe:
    """Collects serious/critical violations per page, so one run reports every page at once."""

    def __init__(self):
        self.report: dict[str, list[str]] = {}

    def check(self, page, name: str) -> None:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE_JS))
        self.report[name] = page.evaluate(AXE_SERIOUS)

    def assert_clean(self) -> None:
        failing = {name: found for name, found in self.report.items() if found}
        print("\n".join(f"{name}: {len(found)}" for name, found in self.report.items()))
        assert failing == {}, "\n".join(f"[{n}]\n  " + "\n  ".join(v) for n, v in failing.items())


@pytest.fixture
def axe_page(browser, live_app):
    """A context that lets the injected axe script run despite the app's CSP (ours only)."""
    if not AXE_JS.exists():
        pytest.fail(f"axe-core missing at {AXE_JS}: run scripts/install.sh")
    context = browser.new_context(
        bypass_csp=True, locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1400, "height": 900}
    )
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module", autouse=True)
def _leave_no_trace(live_app):
    yield
    with session_scope(live_app.db_url) as s:
        order_ids = s.exec(select(SalesOrder.id).where(SalesOrder.number == OFFER)).all()
        payment_ids = s.exec(select(EPayment.id).where(EPayment.order_id.in_(order_ids))).all()
        s.exec(delete(OutboxMail).where(OutboxMail.payment_id.in_(payment_ids)))
        s.exec(delete(EPaymentEvent).where(EPaymentEvent.payment_id.in_(payment_ids)))
        s.exec(delete(DirectCheckout).where(DirectCheckout.payment_id.in_(payment_ids)))
        s.exec(delete(EPayment).where(EPayment.id.in_(payment_ids)))
        s.exec(delete(SalesOrder).where(SalesOrder.id.in_(order_ids)))
        assert s.exec(select(Offer.id).where(Offer.number == OFFER)).first()


def _pay_link(app, order_number: int) -> str:
    with session_scope(app.db_url) as s:
        order_id = s.exec(select(SalesOrder.id).where(SalesOrder.number == order_number)).one()
        pay = s.exec(select(EPayment).where(EPayment.order_id == order_id).order_by(EPayment.id.desc())).first()
        pay.link_expires_at = utcnow() + timedelta(hours=1)
        s.add(pay)
        s.flush()
        return f"{app.base_url}/pay/{make_token(pay)}"


def _customer_abandons_latest_attempt(app, order_number: int) -> None:
    """What the return from the hosted page records when the customer leaves it (psp:return)."""
    with session_scope(app.db_url) as s:
        order_id = s.exec(select(SalesOrder.id).where(SalesOrder.number == order_number)).one()
        payment_id = s.exec(select(func.max(EPayment.id)).where(EPayment.order_id == order_id)).one()
        change_status(s, lock_payment(s, payment_id), S.ANNULE, source="psp:return")


def _select(page, trigger: str, option: str) -> None:
    page.locator(trigger).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_staff_pages_and_the_deposit_journey_have_no_serious_accessibility_violation(live_app, axe_page):
    page, axe = axe_page, Axe()
    page.goto(f"{live_app.base_url}/login")
    expect(page.locator("#login-submit")).to_be_enabled()
    # A label click focuses its field (the label is tied to it), and a refusal is announced.
    page.get_by_text("Mot de passe", exact=True).click()
    expect(page.locator("#password")).to_be_focused()
    page.locator("#email").fill("vendeur@openflex.demo")
    page.locator("#password").fill("mauvais")
    page.locator("#login-submit").click()
    expect(page.locator("#login-errors #login-error")).to_be_visible()
    expect(page.locator("#login-errors")).to_have_attribute("aria-live", "assertive")
    axe.check(page, "connexion (erreur)")
    login(page, live_app, "vendeur@openflex.demo")
    expect(page.locator("#user-menu")).to_be_visible()
    axe.check(page, "accueil")
    for name, path, ready in [
        ("e-paiements", "/e-paiements", "#search"),
        ("opportunités", "/opportunites", "#opportunities-table"),
        ("véhicules", "/vehicules", "#vehicles-table"),
        *EXTRA_STAFF_PAGES,
    ]:
        page.goto(f"{live_app.base_url}{path}")
        expect(page.locator(ready).first).to_be_visible()
        axe.check(page, name)

    # The 404 page keeps the shell for a logged-in user.
    page.goto(f"{live_app.base_url}/nulle-part")
    expect(page.locator("#not-found")).to_have_text("Page introuvable")
    expect(page.locator("#user-menu")).to_be_visible()
    expect(page.get_by_role("link", name="Opportunités")).to_be_visible()
    axe.check(page, "404")

    # The offer's payment tab, with its field errors tied to their fields.
    page.goto(f"{live_app.base_url}/offres/{OFFER}")
    page.locator("#pass-order").click()
    _select(page, "#deposit-method", "Carte bancaire")
    page.locator("#validate-order").click()
    expect(page.locator("#error-deposit_amount")).to_have_text("Le montant de l'acompte est obligatoire.")
    amount = page.locator("#deposit-amount")
    expect(amount).to_have_attribute("aria-invalid", "true")
    described_by = amount.get_attribute("aria-describedby")
    expect(page.locator(f"#{described_by}")).to_contain_text("Le montant de l'acompte est obligatoire.")
    page.get_by_text("Montant *", exact=True).click()
    expect(amount).to_be_focused()
    axe.check(page, "offre, onglet paiement (erreurs)")
    amount.fill("500")
    with page.expect_download():
        page.locator("#validate-order").click()
    page.wait_for_url(re.compile(rf".*/commandes/{OFFER}/?$"))
    expect(page.locator("#order-validated-banner")).to_be_visible()
    expect(page.locator("#print-notice")).to_have_text(
        re.compile("Impression\\s*Vos documents sont prêts à être téléchargez ici afin de poursuivre.")
    )
    axe.check(page, "commande")

    # The customer pays with a declined card: the result page names the dealer and leads back.
    customer = page.context.new_page()
    customer.goto(_pay_link(live_app, OFFER))
    expect(customer.locator("#amount")).to_have_text("500.00 EUR", timeout=20_000)
    axe.check(customer, "PSP sandbox : page de paiement")
    fill_card(customer, "PATRICK PONS", number=DECLINED_CARD)
    customer.locator("#pay").click()
    expect(customer.locator("h1")).to_have_text("Paiement refusé", timeout=20_000)
    expect(customer.locator("#dealer")).to_contain_text("Point de vente 1 (Vincent S.)")
    expect(customer.locator("#dealer")).to_contain_text("+33 3 85 00 00 61")
    axe.check(customer, "résultat : paiement refusé")
    customer.locator("#back-link").click()
    customer.wait_for_url(re.compile(r".*/stock/61/?$"))
    expect(customer.locator("#pos-name")).to_have_text("Point de vente 1 (Vincent S.)")

    # A new attempt: its toast (shown 20 s) goes as soon as the payment moves on.
    expect(page.locator("#retry-payment")).to_be_visible(timeout=10_000)
    page.locator("#retry-payment").click()
    toast = page.get_by_text("Un nouveau lien de e-paiement a été envoyé au client.")
    expect(toast).to_be_visible()
    _customer_abandons_latest_attempt(live_app, OFFER)
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement annulé", timeout=10_000)
    expect(toast).to_have_count(0, timeout=8_000)

    # The modal: the table's words in the history, people instead of sources.
    page.locator("#epay-view").click()
    expect(page.locator("#epay-table")).to_contain_text("Refusé")
    timeline = page.locator("#epay-timeline")
    expect(timeline).to_contain_text("En attente → Refusé")
    expect(timeline).to_contain_text("Worldline — paiement refusé (code")
    expect(timeline).to_contain_text("Client — paiement abandonné")
    expect(timeline).to_contain_text("En attente → Annulé")
    expect(timeline).to_contain_text("Thomas MARTIN")
    expect(timeline).not_to_contain_text("psp:")
    expect(timeline).not_to_contain_text("Rejeté")
    reference = page.locator(".epay-reference").first
    assert reference.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    axe.check(page, "commande : fenêtre e-Paiement")
    page.locator("#epay-close").click()

    # A cancelled order shows its cancellation alone.
    page.locator("#cancel-order").click()
    page.locator("#confirm-cancel-order").click()
    expect(page.locator("#order-cancelled")).to_be_visible()
    expect(page.locator("#order-validated-banner")).to_have_count(0)
    expect(page.get_by_text("Commande validée", exact=True)).to_have_count(0)
    axe.check(page, "commande annulée")
    axe.assert_clean()


def test_admin_settings_and_the_configuration_dialog_have_no_serious_accessibility_violation(live_app, axe_page):
    page, axe = axe_page, Axe()
    login(page, live_app, "admin@openflex.demo")
    page.goto(f"{live_app.base_url}/parametres/opportunites")
    tab = page.get_by_role("tab", name=re.compile("PARCOURS DE VENTE DIGITALISÉ"))
    expect(tab).to_be_visible()
    axe.check(page, "paramètres : parcours de vente digitalisé")
    page.get_by_role("button", name="Ajouter une configuration de e-paiement").click()
    expect(page.locator("#config-save")).to_be_visible()
    page.locator("#config-save").click()
    axe.check(page, "paramètres : fenêtre de configuration (erreurs)")
    page.get_by_text("Identifiant (PSPID) *", exact=True).click()
    expect(page.locator("#config-merchant")).to_be_focused()
    axe.assert_clean()


def test_visitor_reserves_pays_and_sees_the_vehicle_reserved_for_him_and_nobody_else(live_app, axe_page, browser):
    page, axe = axe_page, Axe()
    with session_scope(live_app.db_url, write=False) as s:
        vehicle_id = s.exec(select(Vehicle.id).where(Vehicle.plate == "GA123BC")).one()
    page.goto(f"{live_app.base_url}/stock/61")
    expect(page.locator(f"#vehicle-{vehicle_id}")).to_be_visible()
    axe.check(page, "stock public")
    page.locator(f"#vehicle-{vehicle_id}").click()
    page.locator("#reserve-button").click()
    page.locator("#reservation-submit").click()
    expect(page.locator("#error-email")).to_have_text("L'adresse e-mail est obligatoire.")
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    page.get_by_text("Adresse e-mail *", exact=True).click()
    expect(page.locator("#email")).to_be_focused()
    axe.check(page, "véhicule : formulaire de réservation (erreurs)")
    page.get_by_role("radio", name="M.", exact=True).click()
    page.locator("#last_name").fill("Marie")
    page.locator("#first_name").fill("Jean")
    page.locator("#email").fill("jean.marie@example.com")
    page.locator("#phone").fill("06 12 34 56 78")
    page.locator("#reservation-submit").click()
    expect(page.locator("#amount")).to_have_text("200.00 EUR", timeout=20_000)
    fill_card(page, "JEAN MARIE", number=CHALLENGE_CARD)
    page.locator("#pay").click()
    expect(page.locator("#otp")).to_be_visible(timeout=20_000)
    axe.check(page, "PSP sandbox : 3-D Secure")
    page.locator("#otp").fill("1234")
    page.locator("#validate").click()
    expect(page.locator("h1")).to_have_text("Paiement accepté", timeout=20_000)
    expect(page.locator("#dealer")).to_contain_text("16 Rue Guepet 71100 Chalons-sur-Saône")
    expect(page.locator("#reserved-for-you")).to_have_text(RESERVED_FOR_YOU)
    axe.check(page, "résultat : paiement accepté")
    page.locator("#back-link").click()
    page.wait_for_url(re.compile(rf".*/stock/61/{vehicle_id}/?$"))
    expect(page.locator("#reserved-badge")).to_have_text(RESERVED_FOR_YOU)
    expect(page.locator("#reservation-unavailable")).to_have_count(0)
    axe.check(page, "véhicule réservé pour le visiteur")

    # Another visitor (no pass), and one with a forged pass, read it as reserved by someone else.
    other = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    other.add_cookies(
        [{"name": "epay_reservation", "value": f"1.{vehicle_id}.9999999999.{'A' * 43}", "url": live_app.base_url}]
    )
    stranger = other.new_page()
    stranger.goto(f"{live_app.base_url}/stock/61/{vehicle_id}")
    expect(stranger.locator("#reservation-unavailable")).to_have_text("Ce véhicule est déjà réservé.")
    expect(stranger.locator("#reserved-badge")).not_to_contain_text("pour vous")
    other.close()
    axe.assert_clean()
