"""How a sale ends from the staff's screens (issue 14): "Déclarer perdue" on an opportunity,
"Marquer vendu" and "Publier" on a vehicle — scoped, refused in French when they make no sense,
with the e-Réservation consequences (À rembourser, block released) applied and told."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.domain.errors import DomainError
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.domain.tracking import TrackingRefused
from epay_app.models import EPayment, Offer, Opportunity, SalesOrder, User, Vehicle
from epay_app.services.access.scope import OpportunityNotFound, VehicleNotFound, viewer_for
from epay_app.services.payment.payments import change_status, lock_payment
from epay_app.services.reservation import reservations as resa
from epay_app.services.sales import outcomes

_addresses = (f"198.51.100.{n}" for n in itertools.count(1))
VISITOR = {
    "civility": "M.",
    "last_name": "Marie",
    "first_name": "Jean",
    "email": "jm@example.com",
    "phone": "06 12 34 56 78",
}


@pytest.fixture
def url(seeded_db_url):
    return seeded_db_url


@pytest.fixture
def vehicle_id(url):
    with session_scope(url) as s:
        return s.exec(select(Vehicle.id).where(Vehicle.plate == "DF231LM")).one()


def _paid_reservation(url, vehicle_id) -> EPayment:
    now = utcnow()
    with session_scope(url) as s:
        reservation = resa.reserve_vehicle(s, vehicle_id, VISITOR, now=now, client_address=next(_addresses))
    with session_scope(url) as s:
        payment = lock_payment(s, reservation.payment_id)
        change_status(s, payment, S.AUTORISE, source="psp:notify", psp_code="00")
        resa.after_status_change(s, payment, now=now)
    with session_scope(url, write=False) as s:
        return s.get(EPayment, reservation.payment_id)


def _act(url, email, action):
    with session_scope(url) as s:
        viewer = viewer_for(s, s.exec(select(User).where(User.email == email)).one())
        return action(s, viewer)


def _state(url, payment_id, vehicle_id):
    with session_scope(url, write=False) as s:
        payment, vehicle = s.get(EPayment, payment_id), s.get(Vehicle, vehicle_id)
        return payment.status, vehicle.reserved_until, vehicle.stock_status, s.get(Opportunity, payment.opportunity_id)


def test_declaring_the_opportunity_lost_refunds_the_paid_reservation_and_frees_the_vehicle(url, vehicle_id):
    payment = _paid_reservation(url, vehicle_id)
    with session_scope(url, write=False) as s:
        number = s.get(Opportunity, payment.opportunity_id).number
    assert _state(url, payment.id, vehicle_id)[1] is not None  # blocked
    message = _act(url, "chef@openflex.demo", lambda s, v: outcomes.declare_lost(s, v, number))
    assert message == (
        f"Opportunité n°{number} déclarée perdue. e-Réservation {payment.reference} : À rembourser."
        " Le véhicule réservé est de nouveau disponible."
    )
    status, until, stock, opportunity = _state(url, payment.id, vehicle_id)
    assert (status, until, stock, opportunity.status) == ("a_rembourser", None, "in_stock", "perdue")
    with pytest.raises(DomainError, match="n'est plus en cours \\(perdue\\)"):
        _act(url, "chef@openflex.demo", lambda s, v: outcomes.declare_lost(s, v, number))


def test_an_opportunity_with_an_order_or_out_of_scope_cannot_be_declared_lost(url):
    with session_scope(url) as s:  # the guide's offer 26837, ordered
        offer, opportunity = s.exec(
            select(Offer, Opportunity)
            .join(Opportunity, Opportunity.id == Offer.opportunity_id)
            .where(Offer.number == 26837)
        ).one()
        s.add(SalesOrder(number=26837, offer_id=offer.id, pos_id=opportunity.pos_id))
        number = opportunity.number
    with pytest.raises(DomainError, match="a une commande en cours"):
        _act(url, "admin@openflex.demo", lambda s, v: outcomes.declare_lost(s, v, number))
    with pytest.raises(OpportunityNotFound, match=f"^Opportunité n°{number} introuvable.$"):
        _act(url, "audrey.villien@openflex.demo", lambda s, v: outcomes.declare_lost(s, v, number))
    with pytest.raises(TrackingRefused):
        _act(url, "secretaire@openflex.demo", lambda s, v: outcomes.declare_lost(s, v, number))
    with session_scope(url, write=False) as s:
        assert s.exec(select(Opportunity.status).where(Opportunity.number == number)).one() == "en cours"


def test_a_vehicle_sold_to_another_customer_refunds_the_reservation(url, vehicle_id):
    payment = _paid_reservation(url, vehicle_id)
    message = _act(url, "vendeur@openflex.demo", lambda s, v: outcomes.mark_sold(s, v, vehicle_id, "autre"))
    assert message.endswith(f"marqué vendu. e-Réservation {payment.reference} : À rembourser.")
    status, until, stock, _ = _state(url, payment.id, vehicle_id)
    assert (status, until, stock) == ("a_rembourser", None, "sold")
    with pytest.raises(DomainError, match=r"^Un véhicule vendu ne peut pas être publié\.$"):
        _act(url, "vendeur@openflex.demo", lambda s, v: outcomes.set_published(s, v, vehicle_id, True))
    with pytest.raises(DomainError, match=r"^Ce véhicule est déjà vendu\.$"):
        _act(url, "vendeur@openflex.demo", lambda s, v: outcomes.mark_sold(s, v, vehicle_id, "autre"))


def test_a_vehicle_sold_to_the_reserving_customer_keeps_the_payment(url, vehicle_id):
    payment = _paid_reservation(url, vehicle_id)
    message = _act(url, "vendeur@openflex.demo", lambda s, v: outcomes.mark_sold(s, v, vehicle_id, "titulaire"))
    assert message.endswith("marqué vendu.")
    assert _state(url, payment.id, vehicle_id)[:3] == ("autorise", None, "sold")


def test_publishing_is_scoped_to_the_stock_and_refuses_bad_input(url, vehicle_id):
    _act(url, "vendeur@openflex.demo", lambda s, v: outcomes.set_published(s, v, vehicle_id, False))
    with session_scope(url, write=False) as s:
        assert s.get(Vehicle, vehicle_id).published is False
    with pytest.raises(VehicleNotFound, match=r"^Véhicule introuvable\.$"):
        _act(url, "audrey.villien@openflex.demo", lambda s, v: outcomes.set_published(s, v, vehicle_id, True))
    with pytest.raises(DomainError, match="n'est pas réservé"):
        _act(url, "vendeur@openflex.demo", lambda s, v: outcomes.mark_sold(s, v, vehicle_id, "titulaire"))
    with pytest.raises(DomainError, match=r"^Choisissez l'acheteur\.$"):
        _act(url, "vendeur@openflex.demo", lambda s, v: outcomes.mark_sold(s, v, vehicle_id, "x"))
    with session_scope(url, write=False) as s:
        vehicle = s.get(Vehicle, vehicle_id)
        assert (vehicle.published, vehicle.stock_status) == (False, "in_stock")
