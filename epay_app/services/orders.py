"""The order page's use cases: what it shows (read models of plain strings), the cheap
"version" it polls to refresh itself, and cancelling an order (F-26)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, func, select

from ..domain import history
from ..domain.dates import as_utc, format_day, format_paris, utcnow
from ..domain.money import format_eur, ht_from_ttc
from ..domain.orders import OrderStatus
from ..domain.references import PaymentKind
from ..domain.statuses import CARD_BADGES, RETRYABLE, VEHICLE_BADGES, PaymentStatus
from ..labels import order_status_label
from ..models import (
    Customer,
    EPayment,
    EPaymentEvent,
    Offer,
    Opportunity,
    OutboxMail,
    PointOfSale,
    SalesOrder,
    User,
    Vehicle,
)
from . import checkout, documents, refunds
from .scope import opportunity_clause, scoped_order, viewer_for

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- shared read models


def customer_label(customer: Customer) -> str:
    """ "M. Patrick PONS"."""
    return " ".join(p for p in (customer.civility, customer.first_name, customer.last_name) if p)


def vehicle_fields(vehicle: Vehicle) -> dict[str, str]:
    """The vehicle card of the guide, every value already formatted."""
    return {
        "make": vehicle.make,
        "model": vehicle.model,
        "version": vehicle.version,
        "condition": vehicle.condition,
        "price": f"{format_eur(vehicle.price_cents)} TTC",
        "fuel": vehicle.fuel or "Non renseigné",
        "power": (
            f"{vehicle.fiscal_power} CV / {vehicle.power_hp} ch"
            if vehicle.fiscal_power or vehicle.power_hp
            else "Non renseigné"
        ),
        "doors": f"{vehicle.doors} P" if vehicle.doors else "Non renseigné",
        "colour": vehicle.colour or "Non renseigné",
        "plate": vehicle.plate or "Non renseigné",
        "first_registration": format_day(vehicle.first_registration) or "Non renseigné",
        "mileage": (
            f"{vehicle.mileage_km:,} km".replace(",", " ") if vehicle.mileage_km is not None else "Non renseigné"
        ),
        "vin": vehicle.vin or "Non renseigné",
    }


def recap_fields(offer: Offer) -> dict[str, str]:
    """Récapitulatif amounts, TTC and HT (VAT 20 %), keyed `<name>_ttc` / `<name>_ht`."""
    result = {}
    for name, cents, negative in (
        ("vehicle_price", offer.vehicle_price_cents, False),
        ("advantages", offer.customer_advantage_cents, True),
        ("accessories", offer.accessories_cents, False),
        ("sale_price", offer.sale_price_cents, False),
    ):
        for suffix, value in (("ttc", cents), ("ht", ht_from_ttc(cents))):
            if name == "accessories" and not cents:
                text = "- €"
            else:
                text = ("- " if negative and cents else "") + format_eur(value)
            result[f"{name}_{suffix}"] = text
    return result


def vehicle_title(vehicle: Vehicle) -> str:
    """ "CEED 1.4 T-GDI 140 ch ISG DCT7 Edition #1 - DF231LM", as in the order banner."""
    title = " ".join(p for p in (vehicle.model, vehicle.version) if p)
    return f"{title} - {vehicle.plate}" if vehicle.plate else title


# ---------------------------------------------------------------- order page


@dataclass
class OrderView:
    number: int
    status: str
    cancelled: bool
    breadcrumb: str
    banner: str
    validated_line: str
    delivery_line: str
    extreme_line: str
    vehicle: dict[str, str]
    recap: dict[str, str]
    deposit: dict[str, str]
    payment_status: str  # PaymentStatus value of the latest attempt, "" without e-payment
    payment_badge: str
    can_resend: bool
    can_retry: bool
    attempts: list[dict[str, str]] = field(default_factory=list)
    timeline: list[dict[str, str]] = field(default_factory=list)
    version: str = ""


def payments_version(session: Session, order_id: int) -> str:
    """A cheap fingerprint of everything the page shows that a callback can change."""
    count, last_change, last_event = session.exec(
        select(func.count(EPayment.id), func.max(EPayment.status_changed_at), func.max(EPaymentEvent.id))
        .select_from(EPayment)
        .join(EPaymentEvent, EPaymentEvent.payment_id == EPayment.id, isouter=True)
        .where(EPayment.order_id == order_id)
    ).one()
    status = session.exec(select(SalesOrder.status).where(SalesOrder.id == order_id)).one()
    mails = session.exec(
        select(func.count(OutboxMail.id))
        .join(EPayment, EPayment.id == OutboxMail.payment_id)
        .where(EPayment.order_id == order_id)
    ).one()
    return f"{status}|{count}|{last_change}|{last_event}|{mails}"


def _deposit_card(order: SalesOrder, payments: list[EPayment]) -> dict[str, str]:
    online_total = sum(p.amount_cents for p in payments if p.status == PaymentStatus.AUTORISE.value)
    latest = payments[-1] if payments else None
    return {
        "amount": format_eur(order.deposit_amount_cents),
        "method": order.deposit_method or "Non renseigné",
        # The guide's card shows the online amount; before payment it is the requested one.
        "epay_amount": format_eur(online_total or (latest.amount_cents if latest else 0)),
        "online": "1" if payments else "",
        "balance_method": order.balance_method,
    }


MAIL_STATES = {"pending": "en file d'attente", "sending": "en cours d'envoi", "sent": "remis", "failed": "en échec"}


def _timeline(session: Session, payments: list[EPayment]) -> list[dict[str, str]]:
    """F-62: every status change of every attempt, and every request mail queued."""
    by_id = {p.id: p for p in payments}
    items: list[tuple[datetime, int, dict[str, str]]] = []
    if not payments:
        return []
    events = session.exec(
        select(EPaymentEvent).where(EPaymentEvent.payment_id.in_(by_id)).order_by(EPaymentEvent.id)
    ).all()
    sellers = {
        u.id: u.display_name
        for u in session.exec(select(User).where(User.id.in_({p.seller_id for p in payments if p.seller_id}))).all()
    }
    for ev in events:
        payment = by_id[ev.payment_id]
        who = history.event_actor(
            source=ev.source,
            actor=ev.actor,
            from_status=ev.from_status,
            to_status=ev.to_status,
            psp_code=ev.psp_code,
            seller_name=sellers.get(payment.seller_id, ""),
        )
        items.append(
            (
                ev.at,
                0,
                {
                    "at": format_paris(ev.at),
                    "reference": payment.reference,
                    "what": history.status_change(ev.from_status, ev.to_status),
                    "who": who,
                    "detail": "",
                },
            )
        )
    mails = session.exec(select(OutboxMail).where(OutboxMail.payment_id.in_(by_id)).order_by(OutboxMail.id)).all()
    for mail in mails:
        what, who = history.mail_line(mail.dedupe_key, mail.subject)
        items.append(
            (
                mail.created_at,
                1,
                {
                    "at": format_paris(mail.created_at),
                    "reference": by_id[mail.payment_id].reference,
                    "what": what,
                    "who": who,
                    "detail": f"{mail.to_address} · e-mail {MAIL_STATES.get(mail.status, mail.status)}",
                },
            )
        )
    items.sort(key=lambda item: (as_utc(item[0]), item[1]))
    return [item[2] for item in items]


def load_order_view(session: Session, order_number: int, user: User) -> tuple[OrderView, int]:
    """The order page of the guide, scoped to what the user may see. Returns (view, order id)."""
    order, offer, opportunity = scoped_order(session, viewer_for(session, user), order_number)
    vehicle = session.get(Vehicle, offer.vehicle_id)
    customer = session.get(Customer, opportunity.customer_id)
    pos = session.get(PointOfSale, order.pos_id)
    validator = session.get(User, order.validated_by_id) if order.validated_by_id else None
    by = validator.display_name if validator else ""
    payments = checkout.attempts(session, order.id)
    latest = payments[-1] if payments else None
    status = PaymentStatus(latest.status) if latest else None
    cancelled = order.status == OrderStatus.CANCELLED.value
    view = OrderView(
        number=order.number,
        status=order_status_label(order.status),
        cancelled=cancelled,
        breadcrumb=f"OPPORTUNITÉS > OPPORTUNITÉ DE {customer_label(customer).upper()} > COMMANDE N°{order.number}",
        banner=f"La commande {order.number} pour le véhicule {vehicle_title(vehicle)} a été validée par {by}",
        validated_line=f"La commande a été validée le {format_paris(order.validated_at)} par {by}.",
        delivery_line=f"Le véhicule sera livré le {format_day(order.delivery_date)} dans le point de vente {pos.name}.",
        extreme_line=f"La date de livraison extrême est le {format_day(order.extreme_delivery_date)}.",
        vehicle=vehicle_fields(vehicle),
        recap=recap_fields(offer),
        deposit=_deposit_card(order, payments),
        payment_status=status.value if status else "",
        payment_badge=VEHICLE_BADGES[status] if status else "",
        can_resend=bool(status is PaymentStatus.ENVOYE and not cancelled),
        can_retry=bool(status in RETRYABLE and not cancelled),
        attempts=[
            {
                "reference": p.reference,
                "amount": format_eur(p.amount_cents),
                "created": format_day(p.created_at),
                "state": CARD_BADGES[PaymentStatus(p.status)],
                "status": p.status,
                "id": str(p.id),
                "receipt": "1" if documents.has_receipt(p) else "",
                "refund_notice": "1" if documents.has_refund_notice(p) else "",
            }
            for p in payments
        ],
        timeline=_timeline(session, payments),
        version=payments_version(session, order.id),
    )
    return view, order.id


# ---------------------------------------------------------------- cancelling (F-26)


def cancel_order(session: Session, *, order_number: int, user: User, now: datetime | None = None) -> SalesOrder:
    """ "Annuler la commande": the order becomes Annulée and an Autorisé deposit À rembourser,
    through the one guarded transition (an event is written). Cancelling twice is a no-op."""
    checkout._require_seller(user)
    order, _offer, _opportunity = scoped_order(session, viewer_for(session, user), order_number)
    if order.status == OrderStatus.CANCELLED.value:
        return order
    # F-26, shared with the PSP module: Autorisé → À rembourser through change_status.
    refunds.cancel_order_payment(session, order.id, user.display_name)
    order.status = OrderStatus.CANCELLED.value
    order.cancelled_at = now or utcnow()
    session.add(order)
    log.info("order %s cancelled by %s", order.number, user.email)
    return order


# ---------------------------------------------------------------- opportunities list


def opportunity_rows(session: Session, user: User) -> list[dict[str, str]]:
    """One row per offer the user may see (an opportunity without offer has one row too),
    with its order and the latest e-payment badge. Three queries, whatever the row count."""
    rows = session.exec(
        select(Opportunity, Customer, User, PointOfSale, Offer, Vehicle, SalesOrder)
        .join(Customer, Customer.id == Opportunity.customer_id)
        .join(User, User.id == Opportunity.seller_id)
        .join(PointOfSale, PointOfSale.id == Opportunity.pos_id)
        .join(Offer, Offer.opportunity_id == Opportunity.id, isouter=True)
        .join(Vehicle, Vehicle.id == Offer.vehicle_id, isouter=True)
        .join(SalesOrder, SalesOrder.offer_id == Offer.id, isouter=True)
        .where(opportunity_clause(viewer_for(session, user)))
        .order_by(Opportunity.number.desc(), Offer.number)
    ).all()
    order_ids = [order.id for *_, order in rows if order is not None]
    latest: dict[int, EPayment] = {}
    if order_ids:
        for payment in session.exec(
            select(EPayment).where(EPayment.order_id.in_(order_ids)).order_by(EPayment.attempt)
        ).all():
            latest[payment.order_id] = payment
    # The e-Réservation of each opportunity (its latest attempt): what "Déclarer perdue" settles.
    opportunity_ids = sorted({opp.id for opp, *_ in rows})
    booked: dict[int, EPayment] = {}
    if opportunity_ids:
        for payment in session.exec(
            select(EPayment)
            .where(EPayment.opportunity_id.in_(opportunity_ids), EPayment.kind == PaymentKind.RESERVATION.value)
            .order_by(EPayment.id)
        ).all():
            booked[payment.opportunity_id] = payment
    result = []
    for opp, customer, seller, pos, offer, vehicle, order in rows:
        payment = latest.get(order.id) if order else None
        reservation = booked.get(opp.id)
        result.append(
            {
                "opportunity": str(opp.number),
                "customer": customer_label(customer),
                "seller": seller.display_name,
                "pos": pos.name,
                "vehicle": " ".join(p for p in (vehicle.make, vehicle.model, vehicle.version) if p) if vehicle else "",
                "offer": str(offer.number) if offer else "",
                "offer_status": offer.status if offer else "",
                "order": str(order.number) if order else "",
                "order_status": order_status_label(order.status) if order else "",
                "badge": VEHICLE_BADGES[PaymentStatus(payment.status)] if payment else "",
                "status": opp.status,
                "reservation": (
                    f"e-Réservation : {CARD_BADGES[PaymentStatus(reservation.status)]}" if reservation else ""
                ),
                "reservation_reference": reservation.reference if reservation else "",
                "open": "1"
                if opp.status == "en cours" and not (order and order.status != OrderStatus.CANCELLED.value)
                else "",
            }
        )
    return result
