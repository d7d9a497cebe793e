"""The order page's use cases: what it shows (typed facts; the words are the page presenters',
pages/sale_views.py), the cheap "version" it polls to refresh itself, cancelling an order (F-26)
and the opportunities list."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from ...documents.facts import PriceFacts, VehicleFacts
from ...domain.dates import as_utc, utcnow
from ...domain.orders import OrderStatus
from ...domain.references import PaymentKind
from ...domain.statuses import RETRYABLE, PaymentStatus
from ...models import (
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
    required_row,
    stored_id,
)
from ..access.scope import opportunity_clause, scoped_order, viewer_for
from ..payment import refunds
from . import checkout, documents
from .sale_facts import customer_label, offer_prices, vehicle_card

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- order page


@dataclass(frozen=True)
class AttemptFacts:
    """One e-payment attempt of the order, as the modal's table lists it."""

    payment_id: int
    reference: str
    amount_cents: int
    created_at: datetime
    status: PaymentStatus
    has_receipt: bool
    has_refund_notice: bool


@dataclass(frozen=True)
class EventFacts:
    """A status change of an attempt (F-62), as stored: codes, the actor, the PSP's code."""

    at: datetime
    reference: str
    from_status: str | None
    to_status: str
    source: str  # a domain.events.EventSource value
    actor: str
    psp_code: str
    seller_name: str  # who sent the link


@dataclass(frozen=True)
class MailFacts:
    """A request, reminder or confirmation e-mail of an attempt, as queued in the outbox."""

    at: datetime
    reference: str
    dedupe_key: str
    subject: str
    to_address: str
    status: str  # the outbox's pending | sending | sent | failed


@dataclass(frozen=True)
class OrderFacts:
    order_id: int
    number: int
    status: OrderStatus
    customer_name: str
    validated_by: str
    validated_at: datetime | None
    delivery_date: date | None
    extreme_delivery_date: date | None
    pos_name: str
    vehicle: VehicleFacts
    prices: PriceFacts
    deposit_amount_cents: int
    deposit_method: str
    balance_method: str
    attempts: tuple[AttemptFacts, ...]
    history: tuple[EventFacts | MailFacts, ...]  # in time order
    can_resend: bool
    can_retry: bool
    version: str

    @property
    def cancelled(self) -> bool:
        return self.status is OrderStatus.CANCELLED

    @property
    def payment_status(self) -> PaymentStatus | None:
        """The latest attempt's status, None without e-payment."""
        return self.attempts[-1].status if self.attempts else None


def payments_version(session: Session, order_id: int) -> str:
    """A cheap fingerprint of everything the page shows that a callback can change."""
    count, last_change, last_event = session.exec(
        select(func.count(col(EPayment.id)), func.max(EPayment.status_changed_at), func.max(EPaymentEvent.id))
        .select_from(EPayment)
        .join(EPaymentEvent, col(EPaymentEvent.payment_id) == col(EPayment.id), isouter=True)
        .where(EPayment.order_id == order_id)
    ).one()
    status = session.exec(select(SalesOrder.status).where(SalesOrder.id == order_id)).one()
    mails = session.exec(
        select(func.count(col(OutboxMail.id)))
        .join(EPayment, col(EPayment.id) == col(OutboxMail.payment_id))
        .where(EPayment.order_id == order_id)
    ).one()
    return f"{status}|{count}|{last_change}|{last_event}|{mails}"


def _history(session: Session, payments: list[EPayment]) -> tuple[EventFacts | MailFacts, ...]:
    """F-62: every status change of every attempt, and every mail queued, in time order."""
    if not payments:
        return ()
    by_id = {stored_id(p): p for p in payments}
    events = session.exec(
        select(EPaymentEvent).where(col(EPaymentEvent.payment_id).in_(by_id)).order_by(col(EPaymentEvent.id))
    ).all()
    seller_ids = {p.seller_id for p in payments if p.seller_id}
    sellers = {u.id: u.display_name for u in session.exec(select(User).where(col(User.id).in_(seller_ids))).all()}
    items: list[tuple[datetime, int, EventFacts | MailFacts]] = [
        (
            ev.at,
            0,
            EventFacts(
                at=ev.at,
                reference=by_id[ev.payment_id].reference,
                from_status=ev.from_status,
                to_status=ev.to_status,
                source=ev.source,
                actor=ev.actor,
                psp_code=ev.psp_code,
                seller_name=sellers.get(by_id[ev.payment_id].seller_id, ""),
            ),
        )
        for ev in events
    ]
    mails = session.exec(
        select(OutboxMail).where(col(OutboxMail.payment_id).in_(by_id)).order_by(col(OutboxMail.id))
    ).all()
    items += [
        (
            mail.created_at,
            1,
            MailFacts(
                at=mail.created_at,
                reference=by_id[mail.payment_id].reference if mail.payment_id in by_id else "",
                dedupe_key=mail.dedupe_key,
                subject=mail.subject,
                to_address=mail.to_address,
                status=mail.status,
            ),
        )
        for mail in mails
    ]
    items.sort(key=lambda item: (as_utc(item[0]), item[1]))
    return tuple(item[2] for item in items)


def load_order_facts(session: Session, order_number: int, user: User) -> OrderFacts:
    """The order page of the guide, scoped to what the user may see."""
    order, offer, opportunity = scoped_order(session, viewer_for(session, user), order_number)
    vehicle = required_row(session, Vehicle, offer.vehicle_id)
    customer = required_row(session, Customer, opportunity.customer_id)
    pos = required_row(session, PointOfSale, order.pos_id)
    validator = session.get(User, order.validated_by_id) if order.validated_by_id else None
    payments = checkout.attempts(session, stored_id(order))
    status = PaymentStatus(payments[-1].status) if payments else None
    cancelled = order.status == OrderStatus.CANCELLED.value
    return OrderFacts(
        order_id=stored_id(order),
        number=order.number,
        status=OrderStatus(order.status),
        customer_name=customer_label(customer),
        validated_by=validator.display_name if validator else "",
        validated_at=order.validated_at,
        delivery_date=order.delivery_date,
        extreme_delivery_date=order.extreme_delivery_date,
        pos_name=pos.name,
        vehicle=vehicle_card(vehicle),
        prices=offer_prices(offer),
        deposit_amount_cents=order.deposit_amount_cents,
        deposit_method=order.deposit_method,
        balance_method=order.balance_method,
        attempts=tuple(
            AttemptFacts(
                payment_id=stored_id(p),
                reference=p.reference,
                amount_cents=p.amount_cents,
                created_at=p.created_at,
                status=PaymentStatus(p.status),
                has_receipt=documents.has_receipt(p),
                has_refund_notice=documents.has_refund_notice(p),
            )
            for p in payments
        ),
        history=_history(session, payments),
        can_resend=status is PaymentStatus.ENVOYE and not cancelled,
        can_retry=status in RETRYABLE and not cancelled,
        version=payments_version(session, stored_id(order)),
    )


# ---------------------------------------------------------------- cancelling (F-26)


def cancel_order(session: Session, *, order_number: int, user: User, now: datetime | None = None) -> SalesOrder:
    """ "Annuler la commande": the order becomes Annulée and an Autorisé deposit À rembourser,
    through the one guarded transition (an event is written). Cancelling twice is a no-op."""
    checkout.require_seller(user)
    order, _offer, _opportunity = scoped_order(session, viewer_for(session, user), order_number)
    if order.status == OrderStatus.CANCELLED.value:
        return order
    # F-26, shared with the PSP module: Autorisé → À rembourser through change_status.
    refunds.cancel_order_payment(session, stored_id(order), user.display_name)
    order.status = OrderStatus.CANCELLED.value
    order.cancelled_at = now or utcnow()
    session.add(order)
    log.info("order %s cancelled by %s", order.number, user.email)
    return order


# ---------------------------------------------------------------- opportunities list


@dataclass(frozen=True)
class OpportunityLine:
    """One line of the opportunities list: an offer of an opportunity (or the opportunity alone),
    its order and the latest e-payment of each kind."""

    opportunity_number: int
    customer_name: str
    seller_name: str
    pos_name: str
    vehicle: str  # make, model and version
    offer_number: int | None
    offer_status: str
    order_number: int | None
    order_status: OrderStatus | None
    payment_status: PaymentStatus | None  # the order's latest deposit attempt
    status: str  # the opportunity's
    reservation_status: PaymentStatus | None  # its latest e-Réservation
    reservation_reference: str
    open: bool  # in progress and without a live order: "Déclarer perdue" applies


def opportunity_lines(session: Session, user: User) -> list[OpportunityLine]:
    """One line per offer the user may see (an opportunity without offer has one line too),
    with its order and the latest e-payment status. Three queries, whatever the line count."""
    rows = session.exec(
        # sqlmodel types select() for at most four entities; the rows are unpacked below.
        select(Opportunity, Customer, User, PointOfSale, Offer, Vehicle, SalesOrder)  # type: ignore[call-overload]
        .join(Customer, col(Customer.id) == col(Opportunity.customer_id))
        .join(User, col(User.id) == col(Opportunity.seller_id))
        .join(PointOfSale, col(PointOfSale.id) == col(Opportunity.pos_id))
        .join(Offer, col(Offer.opportunity_id) == col(Opportunity.id), isouter=True)
        .join(Vehicle, col(Vehicle.id) == col(Offer.vehicle_id), isouter=True)
        .join(SalesOrder, col(SalesOrder.offer_id) == col(Offer.id), isouter=True)
        .where(opportunity_clause(viewer_for(session, user)))
        .order_by(col(Opportunity.number).desc(), col(Offer.number))
    ).all()
    order_ids = [order.id for *_, order in rows if order is not None]
    latest: dict[int | None, EPayment] = {}
    if order_ids:
        for payment in session.exec(
            select(EPayment).where(col(EPayment.order_id).in_(order_ids)).order_by(col(EPayment.attempt))
        ).all():
            latest[payment.order_id] = payment
    # The e-Réservation of each opportunity (its latest attempt): what "Déclarer perdue" settles.
    opportunity_ids = sorted({stored_id(opp) for opp, *_ in rows})
    booked: dict[int | None, EPayment] = {}
    if opportunity_ids:
        for payment in session.exec(
            select(EPayment)
            .where(col(EPayment.opportunity_id).in_(opportunity_ids), EPayment.kind == PaymentKind.RESERVATION.value)
            .order_by(col(EPayment.id))
        ).all():
            booked[payment.opportunity_id] = payment
    lines = []
    for opp, customer, seller, pos, offer, vehicle, order in rows:
        deposit = latest.get(order.id) if order else None
        reservation = booked.get(opp.id)
        live_order = order is not None and order.status != OrderStatus.CANCELLED.value
        lines.append(
            OpportunityLine(
                opportunity_number=opp.number,
                customer_name=customer_label(customer),
                seller_name=seller.display_name,
                pos_name=pos.name,
                vehicle=" ".join(p for p in (vehicle.make, vehicle.model, vehicle.version) if p) if vehicle else "",
                offer_number=offer.number if offer else None,
                offer_status=offer.status if offer else "",
                order_number=order.number if order else None,
                order_status=OrderStatus(order.status) if order else None,
                payment_status=PaymentStatus(deposit.status) if deposit else None,
                status=opp.status,
                reservation_status=PaymentStatus(reservation.status) if reservation else None,
                reservation_reference=reservation.reference if reservation else "",
                open=opp.status == "en cours" and not live_order,
            )
        )
    return lines
