"""e-Réservation in Chromium: a visitor reserves a published vehicle from the public stock page and
pays in the PSP sandbox; staff and other visitors see it reserved; an unpaid block lapses."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.models import EPayment, Opportunity, OutboxMail, Vehicle
from epay_app.services.reservation import reservations

from .conftest import ARTIFACTS, fill_card, login

pytestmark = pytest.mark.e2e
RESERVED = re.compile(r"Réservé jusqu'au \d{2}/\d{2}/\d{4} à \d{2}h\d{2}")


def _vehicle_id(app, plate_or_model: str) -> int:
    with session_scope(app.db_url, write=False) as s:
        return s.exec(
            select(Vehicle.id).where(
                (Vehicle.plate == plate_or_model) | (Vehicle.model == plate_or_model),
                Vehicle.published == True,  # noqa: E712
            )
        ).first()


def _reservation_payment(app, vehicle_id: int) -> EPayment | None:
    with session_scope(app.db_url, write=False) as s:
        return s.exec(
            select(EPayment)
            .where(EPayment.vehicle_id == vehicle_id, EPayment.kind == "reservation")
            .order_by(EPayment.id.desc())
        ).first()


def _fill_visitor(page, civility: str, last: str, first: str, email: str, phone: str) -> None:
    page.get_by_role("radio", name=civility, exact=True).click()
    page.locator("#last_name").fill(last)
    page.locator("#first_name").fill(first)
    page.locator("#email").fill(email)
    page.locator("#phone").fill(phone)


def _open_vehicle_from_stock(page, app, vehicle_id: int) -> None:
    page.goto(f"{app.base_url}/stock/61")
    page.locator(f"#vehicle-{vehicle_id}").click()
    expect(page.locator("#vehicle-price")).to_contain_text("€ TTC")


def test_visitor_reserves_and_pays_then_the_vehicle_is_reserved_for_everyone(live_app, page, browser, shot, request):
    vehicle_id = _vehicle_id(live_app, "GA123BC")  # RENAULT CLIO, Point de vente 1 (Vincent S.)
    page.goto(f"{live_app.base_url}/stock/61")
    expect(page.locator("#pos-name")).to_have_text("Point de vente 1 (Vincent S.)")
    card = page.locator(f"#vehicle-{vehicle_id}")
    expect(card).to_contain_text("RENAULT")
    expect(card).to_contain_text("CLIO")
    expect(card).to_contain_text("TCe 90 Evolution")
    expect(card).to_contain_text("Occasion")
    expect(card).to_contain_text("14 900,00 €")
    shot("1-public-stock")
    card.click()

    page.locator("#reserve-button").click()
    page.locator("#reservation-submit").click()
    expect(page.locator("#error-email")).to_have_text("L'adresse e-mail est obligatoire.")
    expect(page.locator("#error-civility")).to_be_visible()
    shot("2-form-errors")
    assert _reservation_payment(live_app, vehicle_id) is None  # nothing written on error

    _fill_visitor(page, "M.", "Marie", "Jean", "jean.marie@example.com", "06 12 34 56 78")
    page.locator("#reservation-submit").click()
    # The visitor lands on the PSP's hosted page, through our /pay/<token> link.
    expect(page.locator("#amount")).to_have_text("200.00 EUR", timeout=20_000)
    payment = _reservation_payment(live_app, vehicle_id)
    expect(page.locator("#merchant-reference")).to_have_text(payment.reference)
    assert re.fullmatch(r"00045_000061_1\d{10}_1", payment.reference)
    fill_card(page, "JEAN MARIE")
    shot("3-psp-page")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(re.escape(live_app.base_url) + r"/.*"), timeout=20_000)
    shot("4-back-from-psp")

    deadline = time.monotonic() + 20
    while _reservation_payment(live_app, vehicle_id).status != "autorise" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _reservation_payment(live_app, vehicle_id).status == "autorise"
    with session_scope(live_app.db_url, write=False) as s:
        mails = {m.kind: m for m in s.exec(select(OutboxMail).where(OutboxMail.payment_id == payment.id))}
    assert {"reservation_request", "reservation_confirmation", "reservation_staff_notification"} <= set(mails)
    assert mails["reservation_confirmation"].to_address == "jean.marie@example.com"
    assert mails["reservation_staff_notification"].to_address == "chef@openflex.demo"

    # Staff see the block on the vehicle.
    staff = browser.new_page()
    login(staff, live_app, "chef@openflex.demo")
    staff.goto(f"{live_app.base_url}/vehicules")
    expect(staff.locator(f"#vehicle-row-{vehicle_id} .stock-status")).to_have_text(RESERVED)
    expect(staff.locator(f"#vehicle-row-{vehicle_id}")).to_contain_text(
        f"e-Réservation {payment.reference} (Payé) · Sur l'opportunité n°"
    )
    _screenshot(staff, request, "5-staff-vehicles")
    # …and in the e-Paiements list, with the guide's e-Réservation card.
    with session_scope(live_app.db_url, write=False) as s:
        opportunity_number = s.get(Opportunity, payment.opportunity_id).number
    staff.goto(f"{live_app.base_url}/e-paiements?statut=payes")
    card = staff.locator(".payment-card", has_text=payment.reference)
    expect(card).to_contain_text("e-Réservation")
    expect(card).to_contain_text(f"Sur l'opportunité n°{opportunity_number}")
    expect(card).to_contain_text("pour : M. Jean MARIE")
    expect(card).to_contain_text("200,00 €")
    expect(card).to_contain_text("Payé le ")
    _screenshot(staff, request, "5b-staff-list")
    staff.close()

    # A second visitor sees it reserved and cannot reserve it.
    other = browser.new_page()
    other.goto(f"{live_app.base_url}/stock/61")
    expect(other.locator(f"#vehicle-{vehicle_id} .vehicle-status")).to_have_text(RESERVED)
    other.locator(f"#vehicle-{vehicle_id}").click()
    expect(other.locator("#reserved-badge")).to_have_text(RESERVED)
    expect(other.locator("#reservation-unavailable")).to_have_text("Ce véhicule est déjà réservé.")
    expect(other.locator("#reserve-button")).to_have_count(0)
    _screenshot(other, request, "6-second-visitor")
    other.close()


def test_unpaid_reservation_block_lapses_when_its_time_is_over(live_app, page, browser, shot, request):
    vehicle_id = _vehicle_id(live_app, "208")  # PEUGEOT 208, Neuf
    _open_vehicle_from_stock(page, live_app, vehicle_id)
    page.locator("#reserve-button").click()
    _fill_visitor(page, "Mme.", "Durand", "Léa", "lea.durand@example.com", "07 11 22 33 44")
    page.locator("#reservation-submit").click()
    # Let the redirection to the PSP's page finish before navigating away.
    expect(page.locator("#amount")).to_have_text("200.00 EUR", timeout=20_000)
    deadline = time.monotonic() + 20
    while _reservation_payment(live_app, vehicle_id) is None and time.monotonic() < deadline:
        time.sleep(0.3)
    payment = _reservation_payment(live_app, vehicle_id)
    assert payment is not None and payment.status == "envoye"
    shot("1-reserved-not-paid")  # on the PSP hosted page

    # The visitor never pays. A second visitor, meanwhile, finds it reserved.
    page.goto(f"{live_app.base_url}/stock/61/{vehicle_id}")
    expect(page.locator("#reserved-badge")).to_have_text(RESERVED)
    expect(page.locator("#reserve-button")).to_have_count(0)
    shot("2-blocked")
    staff = browser.new_page()
    login(staff, live_app, "chef@openflex.demo")
    staff.goto(f"{live_app.base_url}/vehicules")
    expect(staff.locator(f"#vehicle-row-{vehicle_id} .stock-status")).to_have_text(RESERVED)
    expect(staff.locator(f"#vehicle-row-{vehicle_id}")).to_contain_text(
        f"e-Réservation {payment.reference} (En attente) · Sur l'opportunité n°"
    )
    _screenshot(staff, request, "2b-staff-vehicles")

    # Unpaid, the vehicle is held only for the PSP session (30 min): then the lapse job frees it.
    with session_scope(live_app.db_url) as s:
        assert vehicle_id not in reservations.lapse_expired_reservations(s, now=utcnow() + timedelta(minutes=25))
        released = reservations.lapse_expired_reservations(s, now=utcnow() + timedelta(minutes=31))
    assert vehicle_id in released
    with session_scope(live_app.db_url, write=False) as s:
        assert s.get(EPayment, payment.id).status == "annule"
    page.goto(f"{live_app.base_url}/stock/61/{vehicle_id}")
    expect(page.locator("#reserve-button")).to_be_visible()
    expect(page.locator("#reserved-badge")).to_have_count(0)
    shot("3-available-again")
    staff.reload()
    expect(staff.locator(f"#vehicle-row-{vehicle_id} .stock-status")).to_have_text("En stock")
    staff.close()


def _screenshot(page, request, step: str) -> None:
    """Like `shot`, for a second page (staff, another visitor) of the same test."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{step}.png"), full_page=True)
