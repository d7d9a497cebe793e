"""e-Réservation on a real database (SQLite, and PostgreSQL when available): validation, the
block and its race, lapses by time and by payment outcome, refunds when the sale does not happen."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import func, select

from epay_app.db import session_scope
from epay_app.domain.dates import as_utc
from epay_app.domain.errors import ValidationError
from epay_app.domain.references import TransactionReference
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import (
    Customer, DealerGroup, Entity, EPayment, EPaymentEvent, Opportunity, PointOfSale, PspConfig, User,
    Vehicle,
)
from epay_app.models import OutboxMail
from epay_app.services import reservations as resa
from epay_app.services.payments import change_status, lock_payment

T0 = datetime(2024, 12, 16, 15, 32, tzinfo=timezone.utc)  # 16/12/2024 à 16h32 in Paris
VISITOR = {"civility": "M.", "last_name": "Marie", "first_name": "Jean", "email": "Jean.Marie@Example.com",
           "phone": "06 12 34 56 78"}
OTHER = {"civility": "Mme.", "last_name": "Durand", "first_name": "Léa", "email": "lea.durand@example.com",
         "phone": "+33 7 11 22 33 44"}


def _visitor(n: int) -> dict:
    return {**OTHER, "email": f"visiteur{n}@example.com"}


@pytest.fixture
def url(seeded_db_url):
    return seeded_db_url


@pytest.fixture
def vehicle_id(url):
    """The guide's KIA CEED, published at Point de vente 1 (Vincent S.), n°61."""
    with session_scope(url) as s:
        return s.exec(select(Vehicle.id).where(Vehicle.plate == "DF231LM")).one()


def _reserve(url, vehicle_id, form=VISITOR, now=T0):
    with session_scope(url) as s:
        return resa.reserve_vehicle(s, vehicle_id, form, now=now)


def _counts(url):
    with session_scope(url, write=False) as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one()
                     for m in (Customer, Opportunity, EPayment, EPaymentEvent))


def _vehicle(url, vehicle_id):
    with session_scope(url, write=False) as s:
        return s.get(Vehicle, vehicle_id)


def _payment(url, payment_id):
    with session_scope(url, write=False) as s:
        return s.get(EPayment, payment_id)


def _set_status(url, payment_id, status, hook=True):
    with session_scope(url) as s:
        payment = lock_payment(s, payment_id)
        change_status(s, payment, status, source="psp:notify", psp_code="test")
        if hook:
            resa.after_status_change(s, payment, now=T0 + timedelta(minutes=5))


# --- Validation ---------------------------------------------------------------------------------

def test_invalid_form_gives_french_field_errors_and_writes_nothing(url, vehicle_id):
    before = _counts(url)
    with pytest.raises(ValidationError) as caught:
        _reserve(url, vehicle_id, {"civility": "Dr", "last_name": "", "first_name": "Jean3",
                                   "email": "jean.marie@", "phone": "12"})
    assert caught.value.errors == {
        "civility": "Veuillez choisir la civilité (M. ou Mme.).",
        "last_name": "Le nom est obligatoire.",
        "first_name": "Le prénom ne doit contenir que des lettres, espaces, tirets ou apostrophes.",
        "email": "L'adresse e-mail n'est pas valide (ex. prenom.nom@exemple.fr).",
        "phone": "Le numéro de téléphone n'est pas valide (ex. 06 12 34 56 78).",
    }
    with pytest.raises(ValidationError) as caught:
        _reserve(url, vehicle_id, {})
    assert set(caught.value.errors) == {"civility", "last_name", "first_name", "email", "phone"}
    assert caught.value.errors["email"] == "L'adresse e-mail est obligatoire."
    assert _counts(url) == before
    vehicle = _vehicle(url, vehicle_id)
    assert vehicle.reserved_until is None and vehicle.stock_status == "en stock"


# --- Reserving ----------------------------------------------------------------------------------

def test_reservation_creates_a_complete_payment_and_blocks_the_vehicle(url, vehicle_id):
    before_customers = _counts(url)[0]
    reservation = _reserve(url, vehicle_id)
    assert reservation.blocked_until == T0 + timedelta(hours=48)
    assert reservation.amount_cents == 20_000
    with session_scope(url, write=False) as s:
        pay = s.get(EPayment, reservation.payment_id)
        opp = s.get(Opportunity, pay.opportunity_id)
        customer = s.get(Customer, pay.customer_id)
        seller = s.get(User, pay.seller_id)
        pos = s.get(PointOfSale, pay.pos_id)
        entity = s.get(Entity, pay.entity_id)
        events = s.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == pay.id)).all()
        previous_max = s.exec(select(func.max(Opportunity.number)).where(Opportunity.id != opp.id)).one()
    assert pay.kind == "reservation" and pay.status == S.ENVOYE.value and pay.order_id is None
    assert pay.vehicle_id == vehicle_id and pay.amount_cents == 20_000 and pay.attempt == 1
    assert opp.number == previous_max + 1 and opp.customer_id == customer.id and opp.seller_id == seller.id
    assert pay.reference == str(TransactionReference(45, 61, resa.PaymentKind.RESERVATION, opp.number, 1))
    assert pay.reference.startswith("00045_000061_1") and pay.reference.endswith(f"{opp.number:010d}_1")
    assert pay.psp_reference == pay.reference.replace("_", "")
    assert (pos.number, entity.number) == (61, 45)
    assert (seller.first_name, seller.group_type) == ("Claire", "chef des ventes")
    assert (customer.civility, customer.first_name, customer.last_name, customer.email, customer.phone) == (
        "M.", "Jean", "MARIE", "jean.marie@example.com", "0612345678")
    assert as_utc(pay.link_expires_at) == T0 + timedelta(hours=48)
    assert [(e.from_status, e.to_status, e.source) for e in events] == [(None, "envoye", "e-réservation")]
    vehicle = _vehicle(url, vehicle_id)
    assert vehicle.stock_status == "réservé" and vehicle.reservation_payment_id == pay.id
    assert as_utc(vehicle.reserved_until) == T0 + timedelta(hours=48)
    assert _counts(url)[0] == before_customers  # jean.marie@example.com is a demo customer: reused


def test_a_customer_is_reused_by_email_whatever_its_case(url, vehicle_id):
    with session_scope(url, write=False) as s:
        other_vehicle = s.exec(select(Vehicle.id).where(Vehicle.plate == "GA123BC")).one()
    first = _reserve(url, vehicle_id, _visitor(1))
    second = _reserve(url, other_vehicle, {**_visitor(1), "email": "VISITEUR1@example.com"})
    one, two = _payment(url, first.payment_id), _payment(url, second.payment_id)
    assert one.customer_id == two.customer_id
    assert first.opportunity_number + 1 == second.opportunity_number


def test_a_blocked_vehicle_is_refused_to_a_second_visitor(url, vehicle_id):
    _reserve(url, vehicle_id)
    before = _counts(url)
    with pytest.raises(resa.ReservationUnavailable):
        _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(hours=47, minutes=59))
    assert _counts(url) == before
    with session_scope(url, write=False) as s:
        state = resa.availability(s, s.get(Vehicle, vehicle_id), now=T0 + timedelta(hours=1))
    assert not state.can_reserve and state.blocked_until == T0 + timedelta(hours=48)


def test_eight_visitors_racing_for_one_vehicle_give_exactly_one_reservation(url, vehicle_id):
    barrier = threading.Barrier(8)
    won, lost, crashed = [], [], []

    def visitor(n):
        barrier.wait()
        try:
            won.append(_reserve(url, vehicle_id, _visitor(n)))
        except resa.ReservationUnavailable:
            lost.append(n)
        except Exception as exc:  # noqa: BLE001 - reported below
            crashed.append(repr(exc))

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert crashed == [] and len(won) == 1 and len(lost) == 7
    with session_scope(url, write=False) as s:
        payments = s.exec(select(EPayment).where(EPayment.vehicle_id == vehicle_id,
                                                 EPayment.kind == "reservation")).all()
        assert [p.id for p in payments] == [won[0].payment_id]
        assert s.get(Vehicle, vehicle_id).reservation_payment_id == won[0].payment_id


def test_visitors_reserving_different_vehicles_at_once_get_distinct_opportunity_numbers(url):
    with session_scope(url) as s:
        ceed = s.exec(select(Vehicle).where(Vehicle.plate == "DF231LM")).one()
        ids = []
        for n in range(4):
            clone = Vehicle(pos_id=ceed.pos_id, make="KIA", model="CEED", version=f"copie {n}",
                            condition="Occasion", price_cents=2_000_000, published=True)
            s.add(clone)
            s.flush()
            ids.append(clone.id)
    barrier = threading.Barrier(4)
    won, crashed = [], []

    def visitor(n):
        barrier.wait()
        try:
            won.append(_reserve(url, ids[n], _visitor(n)))
        except Exception as exc:  # noqa: BLE001 - reported below
            crashed.append(repr(exc))

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert crashed == [] and len(won) == 4
    assert len({r.opportunity_number for r in won}) == 4


def test_reservation_is_not_offered_without_settings_option_or_psp(url, vehicle_id):
    with session_scope(url) as s:
        s.exec(select(DealerGroup)).one().reservation_enabled = False
    with pytest.raises(resa.ReservationUnavailable, match="n'est pas proposée"):
        _reserve(url, vehicle_id)
    with session_scope(url) as s:
        s.exec(select(DealerGroup)).one().reservation_enabled = True
        s.delete(s.exec(select(PspConfig).join(PointOfSale).where(PointOfSale.number == 61)).one())
    with pytest.raises(resa.ReservationUnavailable, match="n'est pas proposée"):
        _reserve(url, vehicle_id)
    with session_scope(url, write=False) as s:
        state = resa.availability(s, s.get(Vehicle, vehicle_id), now=T0)
    assert not state.offered and not state.can_reserve
    assert _vehicle(url, vehicle_id).reserved_until is None


# --- Lapses -------------------------------------------------------------------------------------

def test_an_unpaid_block_lapses_when_its_time_runs_out(url, vehicle_id):
    reservation = _reserve(url, vehicle_id)
    with session_scope(url) as s:
        assert resa.lapse_expired_reservations(s, now=T0 + timedelta(hours=47, minutes=59)) == []
    assert _vehicle(url, vehicle_id).stock_status == "réservé"
    with session_scope(url) as s:
        assert resa.lapse_expired_reservations(s, now=T0 + timedelta(hours=48)) == [vehicle_id]
    vehicle = _vehicle(url, vehicle_id)
    assert (vehicle.reserved_until, vehicle.reservation_payment_id, vehicle.stock_status) == (None, None, "en stock")
    pay = _payment(url, reservation.payment_id)
    assert pay.status == S.ANNULE.value
    with session_scope(url, write=False) as s:
        last = s.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == pay.id)
                      .order_by(EPaymentEvent.id.desc())).first()
    assert (last.from_status, last.to_status, last.source) == ("envoye", "annule", "système")
    second = _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(hours=49))
    assert _vehicle(url, vehicle_id).reservation_payment_id == second.payment_id


def test_an_expired_block_is_taken_over_even_before_the_job_runs(url, vehicle_id):
    first = _reserve(url, vehicle_id)
    second = _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(hours=50))
    assert _payment(url, first.payment_id).status == S.ANNULE.value
    assert _vehicle(url, vehicle_id).reservation_payment_id == second.payment_id


@pytest.mark.parametrize("outcome", [S.ANNULE, S.REJETE, S.ERREUR])
def test_an_unpaid_block_lapses_when_its_payment_fails(url, vehicle_id, outcome):
    reservation = _reserve(url, vehicle_id)
    _set_status(url, reservation.payment_id, outcome)
    vehicle = _vehicle(url, vehicle_id)
    assert (vehicle.reserved_until, vehicle.stock_status) == (None, "en stock")
    _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(minutes=10))


def test_release_if_unpaid_leaves_pending_and_paid_blocks_alone(url, vehicle_id):
    reservation = _reserve(url, vehicle_id)
    with session_scope(url) as s:
        assert resa.release_if_unpaid(s, lock_payment(s, reservation.payment_id)) is False
    _set_status(url, reservation.payment_id, S.AUTORISE)
    with session_scope(url) as s:
        assert resa.release_if_unpaid(s, lock_payment(s, reservation.payment_id)) is False
    assert _vehicle(url, vehicle_id).reservation_payment_id == reservation.payment_id


def test_a_paid_reservation_keeps_the_block_until_the_end_then_lapses_still_paid(url, vehicle_id):
    reservation = _reserve(url, vehicle_id)
    _set_status(url, reservation.payment_id, S.AUTORISE)
    with pytest.raises(resa.ReservationUnavailable):
        _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(hours=24))
    with session_scope(url) as s:
        assert resa.lapse_expired_reservations(s, now=T0 + timedelta(hours=48, seconds=1)) == [vehicle_id]
    assert _payment(url, reservation.payment_id).status == S.AUTORISE.value
    assert _vehicle(url, vehicle_id).stock_status == "en stock"


def test_a_payment_authorised_after_the_vehicle_went_to_someone_else_is_to_be_refunded(url, vehicle_id):
    first = _reserve(url, vehicle_id)
    _set_status(url, first.payment_id, S.REJETE)  # block released
    second = _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(minutes=10))
    _set_status(url, first.payment_id, S.AUTORISE)  # the first visitor retried on the PSP page
    assert _payment(url, first.payment_id).status == S.A_REMBOURSER.value
    assert _vehicle(url, vehicle_id).reservation_payment_id == second.payment_id


# --- The sale does not happen -------------------------------------------------------------------

def test_a_lost_opportunity_turns_the_paid_reservation_into_a_refund(url, vehicle_id):
    reservation = _reserve(url, vehicle_id)
    _set_status(url, reservation.payment_id, S.AUTORISE)
    pay = _payment(url, reservation.payment_id)
    with session_scope(url) as s:
        resa.mark_opportunity_lost(s, pay.opportunity_id, actor="Claire DUBOIS")
    pay = _payment(url, reservation.payment_id)
    assert pay.status == S.A_REMBOURSER.value and pay.refund_requested_at is not None
    with session_scope(url, write=False) as s:
        assert s.get(Opportunity, pay.opportunity_id).status == "perdue"
        last = s.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == pay.id)
                      .order_by(EPaymentEvent.id.desc())).first()
    assert (last.from_status, last.to_status, last.actor) == ("autorise", "a_rembourser", "Claire DUBOIS")
    assert _vehicle(url, vehicle_id).reserved_until is None


def test_a_vehicle_sold_to_someone_else_refunds_the_paid_reservation(url, vehicle_id):
    reservation = _reserve(url, vehicle_id)
    _set_status(url, reservation.payment_id, S.AUTORISE)
    with session_scope(url, write=False) as s:
        buyer = s.exec(select(Customer.id).where(Customer.email == "patrick.pons@example.com")).one()
    with session_scope(url) as s:
        resa.mark_vehicle_sold(s, vehicle_id, buyer_customer_id=buyer, actor="Claire DUBOIS")
    assert _payment(url, reservation.payment_id).status == S.A_REMBOURSER.value
    vehicle = _vehicle(url, vehicle_id)
    assert (vehicle.stock_status, vehicle.reserved_until) == ("vendu", None)
    with pytest.raises(resa.ReservationUnavailable):
        _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(days=5))


def test_a_vehicle_sold_to_the_reserving_customer_keeps_the_payment(url, vehicle_id):
    reservation = _reserve(url, vehicle_id)
    _set_status(url, reservation.payment_id, S.AUTORISE)
    buyer = _payment(url, reservation.payment_id).customer_id
    with session_scope(url) as s:
        assert resa.mark_vehicle_sold(s, vehicle_id, buyer_customer_id=buyer, actor="Claire DUBOIS") == []
    assert _payment(url, reservation.payment_id).status == S.AUTORISE.value


def test_an_authorised_reservation_mails_the_visitor_and_the_point_of_sale_once(url, vehicle_id):
    reservation = _reserve(url, vehicle_id)
    _set_status(url, reservation.payment_id, S.AUTORISE)
    with session_scope(url) as s:  # a replayed hook queues nothing new
        resa.after_status_change(s, lock_payment(s, reservation.payment_id), now=T0 + timedelta(minutes=6))
    with session_scope(url, write=False) as s:
        mails = s.exec(select(OutboxMail).where(OutboxMail.payment_id == reservation.payment_id)
                       .order_by(OutboxMail.id)).all()
    by_kind = {m.kind: m for m in mails}
    assert len(mails) == len(by_kind)  # one of each kind, whatever the replays
    assert {"reservation_confirmation", "reservation_staff_notification"} <= set(by_kind)
    assert by_kind["reservation_confirmation"].to_address == "jean.marie@example.com"
    assert by_kind["reservation_staff_notification"].to_address == "chef@openflex.demo"
    assert f"n°{reservation.opportunity_number}" in by_kind["reservation_confirmation"].body_text


def test_the_visitor_gets_the_payment_link_by_email(url, vehicle_id, monkeypatch):
    monkeypatch.setattr(resa, "_pay_url", lambda payment: f"http://app.test/pay/{payment.id}")
    reservation = _reserve(url, vehicle_id)
    assert reservation.pay_url == f"http://app.test/pay/{reservation.payment_id}"
    with session_scope(url, write=False) as s:
        mail = s.exec(select(OutboxMail).where(OutboxMail.payment_id == reservation.payment_id)).one()
    assert (mail.kind, mail.to_address) == ("reservation_request", "jean.marie@example.com")
    assert reservation.pay_url in mail.body_text
    assert f"Sur l'opportunité n°{reservation.opportunity_number}" in mail.body_text
    assert "18/12/2024 à 16h32" in mail.body_text  # blocked for 48 h
