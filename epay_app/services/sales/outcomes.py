"""How a sale ends, from the staff's screens: an opportunity declared lost (Opportunités), a
vehicle marked sold or (un)published (Véhicules) — with their e-Réservation consequences
(services.reservation.reservations: a paid reservation becomes À rembourser, an unpaid one is cancelled, the
vehicle's block ends). Scoped through services.access.scope; the messages say what happened.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from ...domain.errors import DomainError
from ...domain.orders import OrderStatus
from ...domain.roles import GroupType
from ...domain.statuses import PaymentStatus
from ...domain.tracking import TrackingRefused
from ...models import EPayment, Offer, SalesOrder, Vehicle, stored_id
from ..access.scope import Viewer, scoped_opportunity, scoped_vehicle
from ..reservation import reservations

log = logging.getLogger(__name__)

SELLING = frozenset({GroupType.ADMINISTRATEUR, GroupType.DIRECTEUR, GroupType.CHEF_DES_VENTES, GroupType.VENDEUR})
REFUSED = "Accès refusé : votre profil ne permet pas cette action."
OPEN = "en cours"
BUYER_HOLDER, BUYER_OTHER = "titulaire", "autre"


def _check(viewer: Viewer) -> None:
    if viewer.group not in SELLING:
        raise TrackingRefused(REFUSED)


def _consequences(settled: list[EPayment]) -> str:
    parts = [f"e-Réservation {p.reference} : {PaymentStatus(p.status).label}" for p in settled]
    return (" " + " ; ".join(parts) + ".") if parts else ""


def declare_lost(session: Session, viewer: Viewer, number: int) -> str:
    """ "Déclarer perdue": only an opportunity in progress without a validated order."""
    _check(viewer)
    opportunity = scoped_opportunity(session, viewer, number)
    if opportunity.status != OPEN:
        raise DomainError(f"L'opportunité n°{number} n'est plus en cours ({opportunity.status}).")
    ordered = session.exec(
        select(SalesOrder.id)
        .join(Offer, col(Offer.id) == col(SalesOrder.offer_id))
        .where(Offer.opportunity_id == opportunity.id, SalesOrder.status != OrderStatus.CANCELLED.value)
    ).first()
    if ordered is not None:
        raise DomainError(
            f"L'opportunité n°{number} a une commande en cours : annulez la commande avant de la déclarer perdue."
        )
    settled = reservations.mark_opportunity_lost(session, stored_id(opportunity), actor=viewer.display_name)
    log.info("opportunity %s declared lost by user %s", number, viewer.user_id)
    released = " Le véhicule réservé est de nouveau disponible." if settled else ""
    return f"Opportunité n°{number} déclarée perdue.{_consequences(settled)}{released}"


def _holder(session: Session, vehicle: Vehicle) -> EPayment | None:
    if vehicle.reservation_payment_id is None or reservations.blocked_until(vehicle) is None:
        return None
    return session.get(EPayment, vehicle.reservation_payment_id)


def mark_sold(session: Session, viewer: Viewer, vehicle_id: int, buyer: str) -> str:
    """ "Marquer vendu": to the customer holding the reservation (their payment stays), or to
    another customer (every reservation on the vehicle is settled)."""
    _check(viewer)
    vehicle = scoped_vehicle(session, viewer, vehicle_id)
    if vehicle.stock_status == reservations.SOLD:
        raise DomainError("Ce véhicule est déjà vendu.")
    if buyer not in (BUYER_HOLDER, BUYER_OTHER):
        raise DomainError("Choisissez l'acheteur.")
    holder = _holder(session, vehicle)
    if buyer == BUYER_HOLDER and holder is None:
        raise DomainError("Ce véhicule n'est pas réservé : choisissez « Vendu à un autre client ».")
    buyer_id = holder.customer_id if buyer == BUYER_HOLDER and holder is not None else None
    settled = reservations.mark_vehicle_sold(
        session, stored_id(vehicle), buyer_customer_id=buyer_id, actor=viewer.display_name
    )
    log.info("vehicle %s marked sold by user %s", vehicle.id, viewer.user_id)
    return f"{vehicle.make} {vehicle.model} marqué vendu.{_consequences(settled)}"


def set_published(session: Session, viewer: Viewer, vehicle_id: int, published: bool) -> str:
    """ "Publier" / "Retirer du stock en ligne". A sold vehicle is not published."""
    _check(viewer)
    vehicle = scoped_vehicle(session, viewer, vehicle_id)
    if published and vehicle.stock_status == reservations.SOLD:
        raise DomainError("Un véhicule vendu ne peut pas être publié.")
    vehicle.published = bool(published)
    session.add(vehicle)
    session.flush()
    if published:
        return f"{vehicle.make} {vehicle.model} est publié dans le stock en ligne."
    return f"{vehicle.make} {vehicle.model} est retiré du stock en ligne."
