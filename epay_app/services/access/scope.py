"""Who may see which record (issue 12): one scoping function per kind of record.

Ownership follows the opportunity, as the e-Paiements list always did (domain.tracking.SCOPES):
a seller (vendeur) sees what they sell — the opportunities whose seller they are, and every
offer, order, document, customer and e-payment hanging from them; a sales manager and a
secretary see their point of sale's; a director and an administrator their entity's.

Every page, handler, route and export reads a record through the function of its kind below.
A `scoped_*` lookup raises the kind's NotFound with the very words used when the record does
not exist at all: whether an order outside the viewer's scope exists is not visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, inspect
from sqlmodel import Session, col, select

from ...domain.errors import DomainError
from ...domain.roles import GroupType
from ...domain.tracking import SCOPES, Scope, TrackingRefused
from ...models import Customer, Entity, EPayment, Offer, Opportunity, PointOfSale, SalesOrder, User, Vehicle


@dataclass(frozen=True)
class Viewer:
    """Who is looking: what the server scopes every query on."""

    user_id: int
    group: GroupType
    entity_id: int
    pos_id: int
    display_name: str = ""
    epay_option: bool = True

    @property
    def scope(self) -> Scope:
        return SCOPES[self.group]

    @property
    def scope_value(self) -> int:
        return {Scope.SELLER: self.user_id, Scope.POINT_OF_SALE: self.pos_id, Scope.ENTITY: self.entity_id}[self.scope]


def viewer_for(session: Session, user: User) -> Viewer:
    entity = session.get(Entity, user.entity_id)
    return viewer_of(user, epay_option=bool(entity and entity.epay_option))


def viewer_of(user: User, epay_option: bool) -> Viewer:
    """The viewer of a user whose entity's e-payment option was read with them (a guarded
    event's viewer: one query fewer in a click's read)."""
    assert user.id is not None  # read from the database
    return Viewer(
        user_id=user.id,
        group=GroupType(user.group_type),
        entity_id=user.entity_id,
        pos_id=user.pos_id,
        display_name=user.display_name,
        epay_option=epay_option,
    )


class RecordNotFound(DomainError):
    """Missing or outside the viewer's scope: the same words either way."""


class OfferNotFound(RecordNotFound):
    pass


class OrderNotFound(RecordNotFound):
    pass


class CustomerNotFound(RecordNotFound):
    pass


class OpportunityNotFound(RecordNotFound):
    pass


class VehicleNotFound(RecordNotFound):
    pass


class PaymentNotInScope(RecordNotFound, TrackingRefused):
    """Also a TrackingRefused: what the e-Paiements actions have always raised."""


PAYMENT_NOT_FOUND = "e-Paiement introuvable dans votre périmètre."


def _entity_pos_ids(viewer: Viewer):
    return select(PointOfSale.id).where(PointOfSale.entity_id == viewer.entity_id)


# ---------------------------------------------------------------- opportunities and what hangs from them


def opportunity_clause(viewer: Viewer) -> ColumnElement[bool]:
    """The opportunities the viewer may see; offers, orders, their PDFs and customers follow."""
    if viewer.scope is Scope.SELLER:
        return col(Opportunity.seller_id) == viewer.user_id
    if viewer.scope is Scope.POINT_OF_SALE:
        return col(Opportunity.pos_id) == viewer.pos_id
    return col(Opportunity.pos_id).in_(_entity_pos_ids(viewer))


def scoped_opportunity(session: Session, viewer: Viewer, number: int) -> Opportunity:
    opportunity = session.exec(
        select(Opportunity).where(Opportunity.number == number, opportunity_clause(viewer))
    ).first()
    if opportunity is None:
        raise OpportunityNotFound(f"Opportunité n°{number} introuvable.")
    return opportunity


def scoped_offer(session: Session, viewer: Viewer, number: int) -> tuple[Offer, Opportunity, PointOfSale]:
    row = session.exec(
        select(Offer, Opportunity, PointOfSale)
        .join(Opportunity, col(Opportunity.id) == col(Offer.opportunity_id))
        .join(PointOfSale, col(PointOfSale.id) == col(Opportunity.pos_id))
        .where(Offer.number == number, opportunity_clause(viewer))
    ).first()
    if row is None:
        raise OfferNotFound(f"Offre n°{number} introuvable.")
    return row[0], row[1], row[2]


def scoped_order(session: Session, viewer: Viewer, number: int) -> tuple[SalesOrder, Offer, Opportunity]:
    row = session.exec(
        select(SalesOrder, Offer, Opportunity)
        .join(Offer, col(Offer.id) == col(SalesOrder.offer_id))
        .join(Opportunity, col(Opportunity.id) == col(Offer.opportunity_id))
        .where(SalesOrder.number == number, opportunity_clause(viewer))
    ).first()
    if row is None:
        raise OrderNotFound(f"Commande n°{number} introuvable.")
    return row[0], row[1], row[2]


def customer_clause(viewer: Viewer) -> ColumnElement[bool]:
    """A customer is seen through an opportunity the viewer may see."""
    return exists().where(col(Opportunity.customer_id) == col(Customer.id), opportunity_clause(viewer))


def scoped_customer(session: Session, viewer: Viewer, customer_id: int) -> Customer:
    customer = session.exec(select(Customer).where(Customer.id == customer_id, customer_clause(viewer))).first()
    if customer is None:
        raise CustomerNotFound("Client introuvable.")
    return customer


# ---------------------------------------------------------------- e-payments


def payment_clause(viewer: Viewer) -> ColumnElement[bool]:
    """The e-payments the viewer follows: the columns the payment copies from its opportunity
    (seller, point of sale, entity), each served by its tracking index."""
    return payment_scope_is(viewer.scope, viewer.scope_value)


def payment_scope_is(scope: Scope, value: Any) -> ColumnElement[bool]:
    """The payment's copy of the scope's column (Scope values name it) equals `value`: an id,
    or a bound parameter in a statement shared by every viewer of that scope."""
    return inspect(EPayment).local_table.c[scope.value] == value


def scoped_payment(session: Session, viewer: Viewer, payment_id: int) -> EPayment:
    payment = session.exec(select(EPayment).where(EPayment.id == payment_id, payment_clause(viewer))).first()
    if payment is None:
        raise PaymentNotInScope(PAYMENT_NOT_FOUND)
    return payment


# ---------------------------------------------------------------- vehicles (stock)


def vehicle_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Stock belongs to a point of sale, not to a seller: a seller, a sales manager and a
    secretary see their point of sale's vehicles, a director and an administrator their
    entity's. A vehicle on an offer is seen through the offer (scoped_offer)."""
    if viewer.scope is Scope.ENTITY:
        return col(Vehicle.pos_id).in_(_entity_pos_ids(viewer))
    return col(Vehicle.pos_id) == viewer.pos_id


def scoped_vehicle(session: Session, viewer: Viewer, vehicle_id: int) -> Vehicle:
    vehicle = session.exec(select(Vehicle).where(Vehicle.id == vehicle_id, vehicle_clause(viewer))).first()
    if vehicle is None:
        raise VehicleNotFound("Véhicule introuvable.")
    return vehicle
