"""Reading the stock for the vehicle pages: the staff list of a point of sale (with who holds a
reservation, for whom follows that payment), a point of sale's public stock, and one published
vehicle with its availability (F-40). Facts only; the pages word them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from ..models import DealerGroup, Entity, EPayment, Opportunity, PointOfSale, User, Vehicle
from . import reservations, scope


@dataclass(frozen=True)
class StaffStock:
    pos_number: int
    # (vehicle, the reservation payment the viewer follows or None, its opportunity number or None)
    vehicles: list[tuple[Vehicle, EPayment | None, int | None]]


def staff_stock(session: Session, user: User) -> StaffStock:
    viewer = scope.viewer_for(session, user)
    pos = session.get(PointOfSale, user.pos_id)
    assert pos is not None
    vehicles = session.exec(
        select(Vehicle)
        .where(scope.vehicle_clause(viewer), Vehicle.pos_id == pos.id)
        .order_by(col(Vehicle.make), col(Vehicle.model), col(Vehicle.id))
    ).all()
    # The block shows to all; who holds it (reference, opportunity) only to whom follows that payment.
    holder_ids = [v.reservation_payment_id for v in vehicles if v.reservation_payment_id]
    payments = {
        p.id: (p, number)
        for p, number in session.exec(
            select(EPayment, Opportunity.number)
            .join(Opportunity, col(Opportunity.id) == col(EPayment.opportunity_id))
            .where(col(EPayment.id).in_(holder_ids), scope.payment_clause(viewer))
        ).all()
    }
    return StaffStock(
        pos.number,
        [(v, *payments.get(v.reservation_payment_id, (None, None))) for v in vehicles],
    )


@dataclass(frozen=True)
class PublicStock:
    pos: PointOfSale
    vehicles: list[Vehicle]


def public_stock(session: Session, pos_number: int) -> PublicStock | None:
    """A point of sale's vehicles offered to web visitors, or None for an unknown number."""
    pos = session.exec(select(PointOfSale).where(PointOfSale.number == pos_number)).first()
    if pos is None:
        return None
    rows = session.exec(
        select(Vehicle)
        .where(Vehicle.pos_id == pos.id, *reservations.offered_in_stock())
        .order_by(col(Vehicle.make), col(Vehicle.model), col(Vehicle.id))
    ).all()
    return PublicStock(pos, list(rows))


@dataclass(frozen=True)
class PublicVehicle:
    vehicle: Vehicle
    pos: PointOfSale
    group: DealerGroup
    availability: reservations.Availability


def public_vehicle(session: Session, pos_number: int, vehicle_id: int) -> PublicVehicle | None:
    """A published vehicle, its point of sale and group (the reservation terms), or None."""
    vehicle = reservations.published_vehicle(session, pos_number, vehicle_id)
    if vehicle is None:
        return None
    pos = session.get(PointOfSale, vehicle.pos_id)
    assert pos is not None
    entity = session.get(Entity, pos.entity_id)
    assert entity is not None
    group = session.get(DealerGroup, entity.group_id)
    assert group is not None
    return PublicVehicle(vehicle, pos, group, reservations.availability(session, vehicle))
