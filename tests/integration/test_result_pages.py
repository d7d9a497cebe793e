"""Payment result pages: branded with the point of sale, a way back, and the payer's own
reservation shown as his — proven by a signed pass that nobody else can forge (issue 14)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from epay_app.api.customer_pages import result_page
from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import EPayment, SalesOrder, Vehicle
from epay_app.services.payment.payments import change_status, lock_payment
from epay_app.services.reservation import reservations as resa
from epay_app.services.reservation import result_pages

VISITOR = {
    "civility": "M.",
    "last_name": "Marie",
    "first_name": "Jean",
    "email": "jean.marie@example.com",
    "phone": "06 12 34 56 78",
}


@pytest.fixture
def url(seeded_db_url):
    return seeded_db_url


@pytest.fixture
def reservation(url):
    """A visitor's reservation of the guide's KIA CEED (Point de vente 1, n°61), paid."""
    with session_scope(url) as s:
        vehicle_id = s.exec(select(Vehicle.id).where(Vehicle.plate == "DF231LM")).one()
        made = resa.reserve_vehicle(s, vehicle_id, VISITOR, client_address="198.51.100.7")
    with session_scope(url) as s:
        payment = lock_payment(s, made.payment_id)
        change_status(s, payment, S.AUTORISE, source="psp:notify", psp_code="00")
        resa.after_status_change(s, payment)
    return made.payment_id, vehicle_id


def _cookie(pass_value: str) -> str:
    return f"other=1; {result_pages.COOKIE}={pass_value}; epay_session=x"


def test_a_reservation_result_names_the_point_of_sale_and_leads_back_to_the_vehicle(url, reservation):
    payment_id, vehicle_id = reservation
    with session_scope(url, write=False) as s:
        context = result_pages.result_context(s, payment_id)
        payment = s.get(EPayment, payment_id)
    assert (context.pos_name, context.pos_address, context.pos_phone) == (
        "Point de vente 1 (Vincent S.)",
        "16 Rue Guepet 71100 Chalons-sur-Saône",
        "+33 3 85 00 00 61",
    )
    assert (context.back_url, context.back_label) == (f"/stock/61/{vehicle_id}", "Retour au véhicule")
    assert context.reserved_until is not None and context.reserved_until > utcnow()

    response = result_page(S.AUTORISE, payment.reference, payment.amount_cents, context)
    html = response.body.decode()
    assert "Point de vente 1 (Vincent S.)" in html and "+33 3 85 00 00 61" in html
    assert f'href="/stock/61/{vehicle_id}"' in html and "Réservé pour vous jusqu'au" in html
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{result_pages.COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    pass_value = cookie.split(";")[0].split("=", 1)[1]
    assert result_pages.pass_payment(_cookie(pass_value), vehicle_id) == payment_id
    with session_scope(url, write=False) as s:
        vehicle = s.get(Vehicle, vehicle_id)
        assert result_pages.own_reservation(s, vehicle, payment_id) == context.reserved_until


def test_a_deposit_result_leads_to_the_dealers_stock_and_sets_no_pass(url):
    with session_scope(url, write=False) as s:
        payment = s.exec(
            select(EPayment).join(SalesOrder, SalesOrder.id == EPayment.order_id).where(EPayment.pos_id.is_not(None))
        ).first()
        context = result_pages.result_context(s, payment.id)
    assert context.back_label == "Voir nos véhicules" and context.back_url.startswith("/stock/")
    assert context.reserved_until is None
    response = result_page(S(payment.status), payment.reference, payment.amount_cents, context)
    assert "set-cookie" not in response.headers


def test_a_forged_copied_or_expired_pass_shows_nothing(url, reservation):
    payment_id, vehicle_id = reservation
    until = utcnow() + timedelta(hours=1)
    good = result_pages.issue_pass(payment_id, vehicle_id, until)
    pid, vid, expiry, signature = good.split(".")
    forged_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert result_pages.pass_payment(_cookie(good), vehicle_id) == payment_id
    # Another payment or another vehicle with the same signature, a changed signature, a later expiry.
    assert result_pages.pass_payment(_cookie(f"{int(pid) + 1}.{vid}.{expiry}.{signature}"), vehicle_id) is None
    assert result_pages.pass_payment(_cookie(good), vehicle_id + 1) is None
    assert result_pages.pass_payment(_cookie(f"{pid}.{vid}.{expiry}.{forged_signature}"), vehicle_id) is None
    assert result_pages.pass_payment(_cookie(f"{pid}.{vid}.{int(expiry) + 3600}.{signature}"), vehicle_id) is None
    expired = result_pages.issue_pass(payment_id, vehicle_id, utcnow() - timedelta(seconds=1))
    assert result_pages.pass_payment(_cookie(expired), vehicle_id) is None
    for junk in ("", "epay_reservation=", 'epay_reservation="\\x00"; =;;', "epay_reservation=1.2.3", "a" * 5000):
        assert result_pages.pass_payment(junk, vehicle_id) is None


def test_a_valid_pass_for_a_block_that_ended_shows_nothing(url, reservation):
    payment_id, vehicle_id = reservation
    with session_scope(url) as s:
        payment = lock_payment(s, payment_id)
        change_status(s, payment, S.A_REMBOURSER, source="user", actor="Claire DUBOIS")
        resa.after_status_change(s, payment)
    with session_scope(url, write=False) as s:
        assert result_pages.own_reservation(s, s.get(Vehicle, vehicle_id), payment_id) is None
        assert result_pages.result_context(s, payment_id).reserved_until is None
