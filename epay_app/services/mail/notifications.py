"""Which e-mail each payment event sends. Bodies come from emails/templates.

Every mail is a row in the outbox, written in the caller's transaction (F-64); the dedupe key
makes a repeated call (a replayed PSP notification, a double click) queue nothing new.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from ... import routes
from ...config import get_settings
from ...domain.dates import format_paris
from ...domain.money import format_eur
from ...emails.render import render
from ...models import Customer, EPayment, Opportunity, OutboxMail, PointOfSale, User, Vehicle
from . import outbox


def customer_name(customer: Customer) -> str:
    """ "M. Patrick PONS", as the guide greets the customer."""
    return " ".join(p for p in (customer.civility, customer.first_name, customer.last_name.upper()) if p)


def vehicle_label(vehicle: Vehicle) -> str:
    return " ".join(p for p in (vehicle.make, vehicle.model, vehicle.version) if p)


# One round trip for the four rows (a mail is written inside the callback's transaction), built
# once as the callbacks' other statements (services.payment.payments).
_PAYMENT_PARTIES = (
    select(Customer, Vehicle, User, PointOfSale)
    .select_from(EPayment)
    .join(Customer, col(Customer.id) == EPayment.customer_id)
    .join(Vehicle, col(Vehicle.id) == EPayment.vehicle_id)
    .join(User, col(User.id) == EPayment.seller_id)
    .join(PointOfSale, col(PointOfSale.id) == EPayment.pos_id)
    .where(EPayment.id == bindparam("payment_id"))
)


def _payment_context(session: Session, payment: EPayment) -> tuple[dict, Customer, User, PointOfSale]:
    # No autoflush: the caller's pending changes (a status, its event) do not touch these rows,
    # and the mail's own flush writes them with it, in one unit of work instead of two.
    with session.no_autoflush:
        customer, vehicle, seller, pos = session.exec(_PAYMENT_PARTIES, params={"payment_id": payment.id}).one()
    context = {
        "customer_name": customer_name(customer),
        "vehicle": vehicle_label(vehicle),
        "vehicle_details": ", ".join(
            p
            for p in (
                vehicle.condition,
                f"immatriculation {vehicle.plate}" if vehicle.plate else "",
                f"châssis {vehicle.vin}" if vehicle.vin else "",
            )
            if p
        ),
        "amount": format_eur(payment.amount_cents),
        "reference": payment.reference,
        "contact": {
            "pos_name": pos.name,
            "person": f"{seller.last_name.upper()} {seller.first_name}",
            # The seller first, so the customer reaches the person who sold the car.
            "phone": seller.phone or pos.phone,
            "email": seller.email or pos.email,
            "address": pos.address,
        },
        "privacy_url": get_settings().privacy_policy_url,
    }
    return context, customer, seller, pos


def _opportunity_number(session: Session, payment: EPayment) -> int:
    opportunity = session.get(Opportunity, payment.opportunity_id)
    assert opportunity is not None  # the payment's foreign key
    return opportunity.number


def _queue(
    session: Session, payment: EPayment, template: str, to_address: str, dedupe_key: str, context: dict
) -> OutboxMail:
    subject, text, html = render(template, **context)
    return outbox.enqueue(
        session,
        dedupe_key=dedupe_key,
        kind=template,
        to_address=to_address,
        subject=subject,
        body_text=text,
        body_html=html,
        payment_id=payment.id,
    )


def queue_payment_request(session: Session, payment: EPayment, pay_url: str, *, resend: int = 0) -> OutboxMail:
    """PAIEMENT DE L'ACOMPTE, with the "Payer l'acompte en ligne" link. `resend` > 0 for
    "Renvoyer le lien" (each resend is its own mail)."""
    context, customer, _, _ = _payment_context(session, payment)
    return _queue(
        session,
        payment,
        "payment_request",
        customer.email,
        f"request:{payment.id}:{resend}",
        {**context, "pay_url": pay_url},
    )


def queue_payment_confirmation(session: Session, payment: EPayment) -> OutboxMail:
    """CONFIRMATION DE PAIEMENT DE L'ACOMPTE: exactly one per payment (dedupe key)."""
    context, customer, _, _ = _payment_context(session, payment)
    return _queue(session, payment, "payment_confirmation", customer.email, f"confirmation:{payment.id}", context)


def queue_refund_notice(session: Session, payment: EPayment) -> OutboxMail:
    """AVIS DE REMBOURSEMENT, with the notice attached when sent (services.mail.mail_attachments):
    exactly one per payment, whichever path refunded it (Office call or PSP webhook)."""
    context, customer, _, _ = _payment_context(session, payment)
    return _queue(session, payment, "refund_notice", customer.email, f"refund_notice:{payment.id}", context)


def queue_payment_reminder(session: Session, payment: EPayment, pay_url: str, expires_at: datetime) -> OutboxMail:
    """ "Rappel : paiement de l'acompte" (F-60): once per link, i.e. per expiry (a resent, renewed
    link gets its own reminder)."""
    context, customer, _, _ = _payment_context(session, payment)
    return _queue(
        session,
        payment,
        "payment_reminder",
        customer.email,
        f"reminder:{payment.id}:{int(expires_at.timestamp())}",
        {**context, "pay_url": pay_url, "expires_at": format_paris(expires_at)},
    )


def queue_reservation_request(
    session: Session, payment: EPayment, pay_url: str, *, resend: int = 0, blocked_until: datetime | None = None
) -> OutboxMail:
    """e-Réservation payment link ("Sur l'opportunité n°…"); `blocked_until` defaults to the
    link's expiry."""
    context, customer, _, _ = _payment_context(session, payment)
    context.update(
        pay_url=pay_url,
        opportunity_number=_opportunity_number(session, payment),
        blocked_until=format_paris(blocked_until or payment.link_expires_at),
    )
    return _queue(
        session, payment, "reservation_request", customer.email, f"reservation_request:{payment.id}:{resend}", context
    )


def queue_reservation_confirmation(session: Session, payment: EPayment) -> OutboxMail:
    context, customer, _, _ = _payment_context(session, payment)
    context.update(opportunity_number=_opportunity_number(session, payment))
    return _queue(
        session, payment, "reservation_confirmation", customer.email, f"reservation_confirmation:{payment.id}", context
    )


def queue_reservation_staff_notification(
    session: Session, payment: EPayment, *, blocked_until: datetime | None = None
) -> OutboxMail:
    """ "Nouvelle e-réservation" to the seller (the point of sale's address if the seller has none)."""
    context, customer, seller, pos = _payment_context(session, payment)
    context.update(
        opportunity_number=_opportunity_number(session, payment),
        staff_name=seller.display_name,
        customer_phone=customer.phone,
        customer_email=customer.email,
        blocked_until=format_paris(blocked_until or payment.link_expires_at),
        app_url=get_settings().public_url.rstrip("/") + routes.EPAYMENTS,
    )
    return _queue(
        session,
        payment,
        "reservation_staff_notification",
        seller.email or pos.email,
        f"reservation_staff:{payment.id}",
        context,
    )
