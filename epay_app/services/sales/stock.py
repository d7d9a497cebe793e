"""Reading the stock for the vehicle pages: the staff list of the viewer's stock scope (with who holds a
reservation, for whom follows that payment), a point of sale's public stock, and one published
vehicle with its availability (F-40). Facts only; the pages word them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from ...models import DealerGroup, Entity, EPayment, Opportunity, PointOfSale, User, Vehicle
from ..access import scope
from ..reservation import reservations


@dataclass(frozen=True)
class StaffVehicle:
    vehicle: Vehicle
    pos: PointOfSale  # where the vehicle stands
    payment: EPayment | None  # the reservation payment, when the viewer follows it
    opportunity_number: int | None  # that payment's opportunity


@dataclass(frozen=True)
class StaffStock:
    pos_number: int  # the viewer's own point of sale (its public stock)
    vehicles: list[StaffVehicle]

    @property
    def several_points_of_sale(self) -> bool:
        return len({v.pos.id for v in self.vehicles}) > 1


def staff_stock(session: Session, user: User) -> StaffStock:
    """The vehicles of the viewer's stock scope (scope.vehicle_clause): their point of sale's, or
    their entity's for a director or an administrator."""
    viewer = scope.viewer_for(session, user)
    own_pos = session.get(PointOfSale, user.pos_id)
    assert own_pos is not None
    rows = session.exec(
        select(Vehicle, PointOfSale)
        .join(PointOfSale, col(PointOfSale.id) == Vehicle.pos_id)
        .where(scope.vehicle_clause(viewer))
        .order_by(col(PointOfSale.number), col(Vehicle.make), col(Vehicle.model), col(Vehicle.id))
    ).all()
    # The block shows to all; who holds it (reference, opportunity) only to whom follows that payment.
    holder_ids = [v.reservation_payment_id for v, _ in rows if v.reservation_payment_id]
    payments = {
        p.id: (p, number)
        for p, number in session.exec(
            select(EPayment, Opportunity.number)
            .join(Opportunity, col(Opportunity.id) == col(EPayment.opportunity_id))
            .where(col(EPayment.id).in_(holder_ids), scope.payment_clause(viewer))
        ).all()
    }
    return StaffStock(
        own_pos.number,
        [StaffVehicle(v, pos, *payments.get(v.reservation_payment_id, (None, None))) for v, pos in rows],
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
