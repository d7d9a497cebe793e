"""e-Réservation on a real database (SQLite, and PostgreSQL when available): validation, the
block and its race, lapses by time and by payment outcome, refunds when the sale does not happen."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from epay_app.config import get_settings
from epay_app.db import session_scope
from epay_app.domain.dates import as_utc
from epay_app.domain.errors import ValidationError
from epay_app.domain.references import TransactionReference
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import (
    Customer,
    DealerGroup,
    Entity,
    EPayment,
    EPaymentEvent,
    Offer,
    Opportunity,
    OutboxMail,
    PointOfSale,
    PspConfig,
    ReservationAttempt,
    SalesOrder,
    User,
    Vehicle,
)
from epay_app.services.payment.payments import change_status, lock_payment
from epay_app.services.reservation import reservations as resa

T0 = datetime(2024, 12, 16, 15, 32, tzinfo=UTC)  # 16/12/2024 à 16h32 in Paris
HOLD = timedelta(minutes=30)  # EPAY_RESERVATION_HOLD_MINUTES: an unpaid reservation holds the vehicle this long
_ADDRESSES = (f"198.51.100.{n}" for n in itertools.count(1))  # a new client address per reservation
VISITOR = {
    "civility": "M.",
    "last_name": "Marie",
    "first_name": "Jean",
    "email": "Jean.Marie@Example.com",
    "phone": "06 12 34 56 78",
}
OTHER = {
    "civility": "Mme.",
    "last_name": "Durand",
    "first_name": "Léa",
    "email": "lea.durand@example.com",
    "phone": "+33 7 11 22 33 44",
}


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


def _reserve(url, vehicle_id, form=VISITOR, now=T0, client=None):
    with session_scope(url) as s:
        return resa.reserve_vehicle(s, vehicle_id, form, now=now, client_address=client or next(_ADDRESSES))


def _counts(url):
    with session_scope(url, write=False) as s:
        return tuple(
            s.exec(select(func.count()).select_from(m)).one() for m in (Customer, Opportunity, EPayment, EPaymentEvent)
        )


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
        _reserve(
            url,
            vehicle_id,
            {"civility": "Dr", "last_name": "", "first_name": "Jean3", "email": "jean.marie@", "phone": "12"},
        )
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
    assert vehicle.reserved_until is None and vehicle.stock_status == "in_stock"


# --- Reserving ----------------------------------------------------------------------------------


def test_reservation_creates_a_complete_payment_and_blocks_the_vehicle(url, vehicle_id):
    before_customers = _counts(url)[0]
    reservation = _reserve(url, vehicle_id)
    assert reservation.blocked_until == T0 + HOLD  # unpaid: held for the PSP session only
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
        "M.",
        "Jean",
        "MARIE",
        "jean.marie@example.com",
        "0612345678",
    )
    assert as_utc(pay.link_expires_at) == T0 + HOLD
    assert [(e.from_status, e.to_status, e.source) for e in events] == [(None, "envoye", "e_reservation")]
    vehicle = _vehicle(url, vehicle_id)
    assert vehicle.stock_status == "reserved" and vehicle.reservation_payment_id == pay.id
    assert as_utc(vehicle.reserved_until) == T0 + HOLD
    # jean.marie@example.com is a demo customer without a phone: the e-mail alone does not attach
    # the visitor to him, a new prospect record is made.
    assert _counts(url)[0] == before_customers + 1


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
        _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(minutes=29, seconds=59))
    assert _counts(url) == before
    with session_scope(url, write=False) as s:
        state = resa.availability(s, s.get(Vehicle, vehicle_id), now=T0 + timedelta(minutes=10))
    assert not state.can_reserve and state.blocked_until == T0 + HOLD


def test_eight_visitors_racing_for_one_vehicle_give_exactly_one_reservation(url, vehicle_id):
    barrier = threading.Barrier(8)
    won, lost, crashed = [], [], []

    def visitor(n):
        barrier.wait()
        try:
            won.append(_reserve(url, vehicle_id, _visitor(n)))
        except resa.ReservationUnavailable:
            lost.append(n)
        except Exception as exc:
            crashed.append(repr(exc))

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert crashed == [] and len(won) == 1 and len(lost) == 7
    with session_scope(url, write=False) as s:
        payments = s.exec(
            select(EPayment).where(EPayment.vehicle_id == vehicle_id, EPayment.kind == "reservation")
        ).all()
        assert [p.id for p in payments] == [won[0].payment_id]
        assert s.get(Vehicle, vehicle_id).reservation_payment_id == won[0].payment_id


def test_visitors_reserving_different_vehicles_at_once_get_distinct_opportunity_numbers(url):
    with session_scope(url) as s:
        ceed = s.exec(select(Vehicle).where(Vehicle.plate == "DF231LM")).one()
        ids = []
        for n in range(4):
            clone = Vehicle(
                pos_id=ceed.pos_id,
                make="KIA",
                model="CEED",
                version=f"copie {n}",
                condition="Occasion",
                price_cents=2_000_000,
                published=True,
            )
            s.add(clone)
            s.flush()
            ids.append(clone.id)
    barrier = threading.Barrier(4)
    won, crashed = [], []

    def visitor(n):
        barrier.wait()
        try:
            won.append(_reserve(url, ids[n], _visitor(n)))
        except Exception as exc:
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
        assert resa.lapse_expired_reservations(s, now=T0 + timedelta(minutes=29, seconds=59)) == []
    assert _vehicle(url, vehicle_id).stock_status == "reserved"
    with session_scope(url) as s:
        assert resa.lapse_expired_reservations(s, now=T0 + HOLD) == [vehicle_id]
    vehicle = _vehicle(url, vehicle_id)
    assert (vehicle.reserved_until, vehicle.reservation_payment_id, vehicle.stock_status) == (None, None, "in_stock")
    pay = _payment(url, reservation.payment_id)
    assert pay.status == S.ANNULE.value
    with session_scope(url, write=False) as s:
        last = s.exec(
            select(EPaymentEvent).where(EPaymentEvent.payment_id == pay.id).order_by(EPaymentEvent.id.desc())
        ).first()
    assert (last.from_status, last.to_status, last.source) == ("envoye", "annule", "system")
    second = _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(minutes=31))
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
    assert (vehicle.reserved_until, vehicle.stock_status) == (None, "in_stock")
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
    _set_status(url, reservation.payment_id, S.AUTORISE)  # authorised at T0 + 5 min
    paid_at = T0 + timedelta(minutes=5)
    # The group's 48 h start when the payment is authorised, not when the form was sent.
    assert as_utc(_vehicle(url, vehicle_id).reserved_until) == paid_at + timedelta(hours=48)
    with pytest.raises(resa.ReservationUnavailable):
        _reserve(url, vehicle_id, OTHER, now=T0 + timedelta(hours=24))
    with session_scope(url) as s:
        assert resa.lapse_expired_reservations(s, now=T0 + timedelta(hours=48, seconds=1)) == []
        assert resa.lapse_expired_reservations(s, now=paid_at + timedelta(hours=48)) == [vehicle_id]
    assert _payment(url, reservation.payment_id).status == S.AUTORISE.value
    assert _vehicle(url, vehicle_id).stock_status == "in_stock"


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
        last = s.exec(
            select(EPaymentEvent).where(EPaymentEvent.payment_id == pay.id).order_by(EPaymentEvent.id.desc())
        ).first()
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
    assert (vehicle.stock_status, vehicle.reserved_until) == ("sold", None)
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
        mails = s.exec(
            select(OutboxMail).where(OutboxMail.payment_id == reservation.payment_id).order_by(OutboxMail.id)
        ).all()
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
    assert "16/12/2024 à 17h02" in mail.body_text  # held 30 min for the payment


def test_a_payment_authorised_after_its_hold_lapsed_takes_the_vehicle_if_still_free(url, vehicle_id):
    reservation = _reserve(url, vehicle_id)
    with session_scope(url) as s:  # the hold ends without the lapse job cancelling anything yet
        s.exec(select(Vehicle).where(Vehicle.id == vehicle_id)).one().reservation_payment_id = None
    with session_scope(url) as s:
        payment = lock_payment(s, reservation.payment_id)
        change_status(s, payment, S.AUTORISE, source="psp:notify", psp_code="test")
        resa.after_status_change(s, payment, now=T0 + timedelta(minutes=40))
    vehicle = _vehicle(url, vehicle_id)
    assert vehicle.reservation_payment_id == reservation.payment_id
    assert as_utc(vehicle.reserved_until) == T0 + timedelta(minutes=40, hours=48)
    assert _payment(url, reservation.payment_id).status == S.AUTORISE.value


# --- Limits of the public form (issue 12) -------------------------------------------------------


def _published_clones(url, count: int) -> list[int]:
    with session_scope(url) as s:
        ceed = s.exec(select(Vehicle).where(Vehicle.plate == "DF231LM")).one()
        clones = [
            Vehicle(
                pos_id=ceed.pos_id,
                make="KIA",
                model="CEED",
                version=f"copie {n}",
                condition="Occasion",
                price_cents=2_000_000,
                published=True,
            )
            for n in range(count)
        ]
        s.add_all(clones)
        s.flush()
        return [v.id for v in clones]


def _attempts(url) -> int:
    with session_scope(url, write=False) as s:
        return s.exec(select(func.count()).select_from(ReservationAttempt)).one()


@pytest.fixture
def limits(monkeypatch):
    """Set the form limits through the environment, as in production."""

    def apply(**values):
        for name, value in values.items():
            monkeypatch.setenv(f"EPAY_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def test_twenty_anonymous_reservations_in_a_minute_are_limited_then_the_vehicles_are_free_again(url):
    """The finding: one anonymous visitor blocked every published vehicle in 11 s."""
    vehicle_ids = _published_clones(url, 20)
    won, refused = [], []
    for n, vid in enumerate(vehicle_ids):
        try:
            won.append(_reserve(url, vid, _visitor(n), now=T0 + timedelta(seconds=3 * n), client="203.0.113.7"))
        except resa.ReservationLimitReached as exc:
            refused.append(str(exc))
    assert len(won) == get_settings().reservation_max_per_client == 3
    assert refused == [resa.MSG_TOO_MANY_FROM_CLIENT] * 17
    assert "Trop de réservations" in refused[0] and "point de vente" in refused[0]
    with session_scope(url, write=False) as s:
        held = s.exec(select(Vehicle.id).where(Vehicle.id.in_(vehicle_ids), Vehicle.reserved_until.is_not(None))).all()
        mails = s.exec(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.kind == "reservation_request")
        ).one()
    assert sorted(held) == sorted(vehicle_ids[:3]) and mails == 3 and _attempts(url) == 3
    # Another connection is not affected.
    _reserve(url, vehicle_ids[3], _visitor(99), now=T0 + timedelta(minutes=1), client="203.0.113.8")
    # Unpaid, the three held vehicles are free again once the PSP session is over.
    with session_scope(url) as s:
        released = resa.lapse_expired_reservations(s, now=T0 + timedelta(minutes=32))
    assert sorted(released) == sorted(vehicle_ids[:4])
    with session_scope(url, write=False) as s:
        for vid in vehicle_ids:
            assert resa.availability(s, s.get(Vehicle, vid), now=T0 + timedelta(minutes=32)).can_reserve
    # The window slides: an hour later the same connection may reserve again.
    _reserve(url, vehicle_ids[5], _visitor(5), now=T0 + timedelta(minutes=61), client="203.0.113.7")


def test_concurrent_reservations_from_one_address_cannot_pass_the_limit_together(url):
    """Ten visitors' requests from one address at the same instant (ten threads, ten
    transactions): the limit still holds — on PostgreSQL too, where each count would otherwise
    miss the others' uncommitted attempts."""
    vehicle_ids = _published_clones(url, 10)
    barrier = threading.Barrier(len(vehicle_ids))
    outcomes: list[str] = []

    def attempt(n: int, vid: int) -> None:
        barrier.wait()
        try:
            _reserve(url, vid, _visitor(100 + n), now=T0, client="203.0.113.77")
            outcomes.append("won")
        except resa.ReservationLimitReached:
            outcomes.append("limited")
        except resa.ReservationUnavailable:
            outcomes.append("unavailable")

    threads = [threading.Thread(target=attempt, args=(n, vid)) for n, vid in enumerate(vehicle_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["limited"] * 7 + ["won"] * 3
    with session_scope(url, write=False) as s:
        attempts = s.exec(
            select(func.count())
            .select_from(ReservationAttempt)
            .where(ReservationAttempt.client_address == "203.0.113.77")
        ).one()
    assert attempts == 3


def test_reserve_cancel_reserve_mails_an_address_only_a_few_times_a_day(url, vehicle_id):
    """The finding: reserve → cancel → reserve sent e-mails to an arbitrary address, unbounded."""
    victim = {**OTHER, "email": "quelquun@example.org"}
    for n in range(3):
        reservation = _reserve(url, vehicle_id, victim, now=T0 + timedelta(minutes=n))
        _set_status(url, reservation.payment_id, S.ANNULE)  # "Annulation" on the PSP page: released
    with pytest.raises(resa.ReservationLimitReached) as caught:
        _reserve(url, vehicle_id, victim, now=T0 + timedelta(minutes=4))
    assert str(caught.value) == resa.MSG_TOO_MANY_FOR_EMAIL
    with pytest.raises(resa.ReservationLimitReached):  # the address, whatever its case
        _reserve(url, vehicle_id, {**victim, "email": "QuelquUn@Example.org"}, now=T0 + timedelta(hours=23))
    with session_scope(url, write=False) as s:
        mails = s.exec(select(OutboxMail).where(OutboxMail.to_address == "quelquun@example.org")).all()
    assert [m.kind for m in mails] == ["reservation_request"] * 3
    assert _vehicle(url, vehicle_id).reserved_until is None  # the refused ones held nothing
    _reserve(url, vehicle_id, victim, now=T0 + timedelta(hours=24, minutes=1))  # a day later


def test_limits_are_settings(url, limits):
    limits(reservation_max_per_client=1, reservation_limit_window_minutes=5)
    first, second = _published_clones(url, 2)
    _reserve(url, first, _visitor(1), client="203.0.113.9")
    with pytest.raises(resa.ReservationLimitReached):
        _reserve(url, second, _visitor(2), now=T0 + timedelta(minutes=4), client="203.0.113.9")
    _reserve(url, second, _visitor(2), now=T0 + timedelta(minutes=6), client="203.0.113.9")


def test_the_hold_is_a_setting_and_never_longer_than_the_groups_block(url, vehicle_id, limits):
    limits(reservation_hold_minutes=10)
    assert _reserve(url, vehicle_id).blocked_until == T0 + timedelta(minutes=10)
    with session_scope(url, write=False) as s:
        group = s.exec(select(DealerGroup)).one()
    group.reservation_hours = 1  # on the detached row only: a read writes nothing
    assert resa.hold_duration(group) == timedelta(minutes=10)
    limits(reservation_hold_minutes=31)
    with pytest.raises(Exception, match="EPAY_RESERVATION_HOLD_MINUTES"):
        get_settings()


# --- Who the visitor is (issue 12) --------------------------------------------------------------


def _customer_of(url, reservation):
    with session_scope(url, write=False) as s:
        return s.get(Customer, _payment(url, reservation.payment_id).customer_id)


def test_an_existing_customers_email_alone_makes_a_new_prospect_and_leaves_the_customer_alone(url, vehicle_id):
    with session_scope(url, write=False) as s:
        pons = s.exec(select(Customer).where(Customer.email == "patrick.pons@example.com")).one()
        pons_before = pons.model_dump()
        pons_opportunities = s.exec(
            select(func.count()).select_from(Opportunity).where(Opportunity.customer_id == pons.id)
        ).one()
    stranger = {
        "civility": "M.",
        "last_name": "Intrus",
        "first_name": "Marc",
        "email": "Patrick.Pons@example.com",
        "phone": "06 99 99 99 99",
    }
    reservation = _reserve(url, vehicle_id, stranger)
    customer = _customer_of(url, reservation)
    assert customer.id != pons_before["id"]
    assert (customer.last_name, customer.first_name, customer.phone) == ("INTRUS", "Marc", "0699999999")
    with session_scope(url, write=False) as s:
        assert s.get(Customer, pons_before["id"]).model_dump() == pons_before
        assert (
            s.exec(
                select(func.count()).select_from(Opportunity).where(Opportunity.customer_id == pons_before["id"])
            ).one()
            == pons_opportunities
        )


@pytest.mark.parametrize("change", [{"phone": "06 12 34 56 79"}, {"last_name": "Ponsard"}, {"first_name": "Paul"}])
def test_the_same_email_with_another_name_or_phone_is_not_the_customer(url, vehicle_id, change):
    form = {
        "civility": "M.",
        "last_name": "Pons",
        "first_name": "Patrick",
        "email": "patrick.pons@example.com",
        "phone": "06 12 34 56 78",
        **change,
    }
    customer = _customer_of(url, _reserve(url, vehicle_id, form))
    assert customer.phone != "+33 6 12 34 56 78"  # not the demo record
    with session_scope(url, write=False) as s:
        assert (
            s.exec(select(func.count()).select_from(Customer).where(Customer.email == "patrick.pons@example.com")).one()
            == 2
        )


def test_the_same_email_name_and_phone_is_the_customer_whatever_the_spelling(url, vehicle_id):
    form = {
        "civility": "M.",
        "last_name": " pons ",
        "first_name": "PATRICK",
        "email": "PATRICK.PONS@example.com",
        "phone": "0612345678",
    }
    customer = _customer_of(url, _reserve(url, vehicle_id, form))
    assert (customer.email, customer.last_name, customer.phone) == (
        "patrick.pons@example.com",
        "PONS",
        "+33 6 12 34 56 78",
    )


# --- What is offered (issue 12) -----------------------------------------------------------------


def _order_the_ceed(url, status="placed"):
    with session_scope(url) as s:
        offer = s.exec(select(Offer).where(Offer.number == 26837)).one()
        pos_id = s.exec(select(PointOfSale.id).where(PointOfSale.number == 61)).one()
        s.add(SalesOrder(number=26837, offer_id=offer.id, pos_id=pos_id, status=status, validated_at=T0))


def _stock_ids(url) -> set[int]:
    with session_scope(url, write=False) as s:
        return set(s.exec(select(Vehicle.id).where(*resa.offered_in_stock())).all())


def test_a_vehicle_with_a_validated_order_is_not_offered(url, vehicle_id):
    assert vehicle_id in _stock_ids(url)
    _order_the_ceed(url)
    assert vehicle_id not in _stock_ids(url)
    with session_scope(url, write=False) as s:
        state = resa.availability(s, s.get(Vehicle, vehicle_id), now=T0)
    assert (state.offered, state.can_reserve, state.reason) == (False, False, resa.MSG_ORDERED)
    with pytest.raises(resa.ReservationUnavailable, match="commande"):
        _reserve(url, vehicle_id)
    assert _vehicle(url, vehicle_id).reserved_until is None


def test_a_vehicle_whose_order_was_cancelled_is_offered_again(url, vehicle_id):
    _order_the_ceed(url, status="cancelled")
    assert vehicle_id in _stock_ids(url)
    _reserve(url, vehicle_id)


@pytest.mark.parametrize("change", [{"published": False}, {"stock_status": "sold"}])
def test_an_unpublished_or_sold_vehicle_is_not_offered(url, vehicle_id, change):
    with session_scope(url) as s:
        vehicle = s.get(Vehicle, vehicle_id)
        for key, value in change.items():
            setattr(vehicle, key, value)
    assert vehicle_id not in _stock_ids(url)
    with session_scope(url, write=False) as s:
        assert not resa.availability(s, s.get(Vehicle, vehicle_id), now=T0).offered
    with pytest.raises(resa.ReservationUnavailable):
        _reserve(url, vehicle_id)


def test_the_block_itself_is_refused_on_an_ordered_vehicle(url, vehicle_id):
    """The conditional UPDATE checks the order too: an order validated between the page's check
    and the claim still wins."""
    _order_the_ceed(url)
    with session_scope(url) as s:
        assert resa._claim(s, vehicle_id, T0 + HOLD, T0) is False
    assert _vehicle(url, vehicle_id).reserved_until is None


def test_a_late_authorisation_on_a_vehicle_ordered_meanwhile_is_to_be_refunded(url, vehicle_id):
    reservation = _reserve(url, vehicle_id)
    with session_scope(url) as s:  # the hold ended, then the dealer validated an order on the vehicle
        vehicle = s.get(Vehicle, vehicle_id)
        vehicle.reservation_payment_id, vehicle.reserved_until = None, None
    _order_the_ceed(url)
    with session_scope(url) as s:
        payment = lock_payment(s, reservation.payment_id)
        change_status(s, payment, S.AUTORISE, source="psp:notify", psp_code="test")
        resa.after_status_change(s, payment, now=T0 + timedelta(minutes=35))
    assert _payment(url, reservation.payment_id).status == S.A_REMBOURSER.value
    assert _vehicle(url, vehicle_id).reserved_until is None
