"""Which e-mail each payment event sends. Bodies come from emails/templates.

Every mail is a row in the outbox, written in the caller's transaction (F-64); the dedupe key
makes a repeated call (a replayed PSP notification, a double click) queue nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from ... import routes
from ...config import get_settings
from ...domain.dates import format_paris
from ...domain.money import format_eur
from ...emails.render import render
from ...models import Customer, EPayment, Opportunity, OutboxMail, PointOfSale, User, Vehicle
from . import outbox


def customer_name(civility: str, first_name: str, last_name: str) -> str:
    """ "M. Patrick PONS", as the guide greets the customer."""
    return " ".join(p for p in (civility, first_name, last_name.upper()) if p)


@dataclass(frozen=True)
class _Recipients:
    """Who a payment's mails go to, read with their context."""

    customer_email: str
    customer_phone: str
    seller_name: str
    staff_email: str  # the seller's, or the point of sale's when the seller has none
    opportunity_number: int


# The columns a payment's mails need, in one round trip (a mail is written inside the
# callback's transaction: loading the five rows as ORM objects cost more than the query).
_CONTEXT_COLUMNS = tuple(
    col(c)
    for c in (
        Customer.civility,
        Customer.first_name,
        Customer.last_name,
        Customer.email,
        Customer.phone,
        Vehicle.make,
        Vehicle.model,
        Vehicle.version,
        Vehicle.condition,
        Vehicle.plate,
        Vehicle.vin,
        User.first_name,
        User.last_name,
        User.phone,
        User.email,
        PointOfSale.name,
        PointOfSale.phone,
        PointOfSale.email,
        PointOfSale.address,
        Opportunity.number,
    )
)


def _payment_context(session: Session, payment: EPayment) -> tuple[dict, _Recipients]:
    row = session.execute(
        sa_select(*_CONTEXT_COLUMNS)
        .select_from(EPayment)
        .join(Customer, col(Customer.id) == EPayment.customer_id)
        .join(Vehicle, col(Vehicle.id) == EPayment.vehicle_id)
        .join(User, col(User.id) == EPayment.seller_id)
        .join(PointOfSale, col(PointOfSale.id) == EPayment.pos_id)
        .join(Opportunity, col(Opportunity.id) == EPayment.opportunity_id)
        .where(col(EPayment.id) == payment.id)
    ).one()
    (civility, first_name, last_name, customer_email, customer_phone) = row[:5]
    (make, model, version, condition, plate, vin) = row[5:11]
    (seller_first, seller_last, seller_phone, seller_email) = row[11:15]
    (pos_name, pos_phone, pos_email, pos_address, opportunity_number) = row[15:]
    context = {
        "customer_name": customer_name(civility, first_name, last_name),
        "vehicle": " ".join(p for p in (make, model, version) if p),
        "vehicle_details": ", ".join(
            p
            for p in (
                condition,
                f"immatriculation {plate}" if plate else "",
                f"châssis {vin}" if vin else "",
            )
            if p
        ),
        "amount": format_eur(payment.amount_cents),
        "reference": payment.reference,
        "contact": {
            "pos_name": pos_name,
            "person": f"{seller_last.upper()} {seller_first}",
            # The seller first, so the customer reaches the person who sold the car.
            "phone": seller_phone or pos_phone,
            "email": seller_email or pos_email,
            "address": pos_address,
        },
        "privacy_url": get_settings().privacy_policy_url,
    }
    recipients = _Recipients(
        customer_email=customer_email,
        customer_phone=customer_phone,
        seller_name=f"{seller_first} {seller_last}",  # User.display_name
        staff_email=seller_email or pos_email,
        opportunity_number=opportunity_number,
    )
    return context, recipients


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
    context, to = _payment_context(session, payment)
    return _queue(
        session,
        payment,
        "payment_request",
        to.customer_email,
        f"request:{payment.id}:{resend}",
        {**context, "pay_url": pay_url},
    )


def queue_payment_confirmation(session: Session, payment: EPayment) -> OutboxMail:
    """CONFIRMATION DE PAIEMENT DE L'ACOMPTE: exactly one per payment (dedupe key)."""
    context, to = _payment_context(session, payment)
    return _queue(session, payment, "payment_confirmation", to.customer_email, f"confirmation:{payment.id}", context)


def queue_refund_notice(session: Session, payment: EPayment) -> OutboxMail:
    """AVIS DE REMBOURSEMENT, with the notice attached when sent (services.mail.mail_attachments):
    exactly one per payment, whichever path refunded it (Office call or PSP webhook)."""
    context, to = _payment_context(session, payment)
    return _queue(session, payment, "refund_notice", to.customer_email, f"refund_notice:{payment.id}", context)


def queue_payment_reminder(session: Session, payment: EPayment, pay_url: str, expires_at: datetime) -> OutboxMail:
    """ "Rappel : paiement de l'acompte" (F-60): once per link, i.e. per expiry (a resent, renewed
    link gets its own reminder)."""
    context, to = _payment_context(session, payment)
    return _queue(
        session,
        payment,
        "payment_reminder",
        to.customer_email,
        f"reminder:{payment.id}:{int(expires_at.timestamp())}",
        {**context, "pay_url": pay_url, "expires_at": format_paris(expires_at)},
    )


def queue_reservation_request(
    session: Session, payment: EPayment, pay_url: str, *, resend: int = 0, blocked_until: datetime | None = None
) -> OutboxMail:
    """e-Réservation payment link ("Sur l'opportunité n°…"); `blocked_until` defaults to the
    link's expiry."""
    context, to = _payment_context(session, payment)
    context.update(
        pay_url=pay_url,
        opportunity_number=to.opportunity_number,
        blocked_until=format_paris(blocked_until or payment.link_expires_at),
    )
    return _queue(
        session,
        payment,
        "reservation_request",
        to.customer_email,
        f"reservation_request:{payment.id}:{resend}",
        context,
    )


def queue_reservation_confirmation(session: Session, payment: EPayment) -> OutboxMail:
    context, to = _payment_context(session, payment)
    context.update(opportunity_number=to.opportunity_number)
    return _queue(
        session,
        payment,
        "reservation_confirmation",
        to.customer_email,
        f"reservation_confirmation:{payment.id}",
        context,
    )


def queue_reservation_staff_notification(
    session: Session, payment: EPayment, *, blocked_until: datetime | None = None
) -> OutboxMail:
    """ "Nouvelle e-réservation" to the seller (the point of sale's address if the seller has none)."""
    context, to = _payment_context(session, payment)
    context.update(
        opportunity_number=to.opportunity_number,
        staff_name=to.seller_name,
        customer_phone=to.customer_phone,
        customer_email=to.customer_email,
        blocked_until=format_paris(blocked_until or payment.link_expires_at),
        app_url=get_settings().public_url.rstrip("/") + routes.EPAYMENTS,
    )
    return _queue(
        session,
        payment,
        "reservation_staff_notification",
        to.staff_email,
        f"reservation_staff:{payment.id}",
        context,
    )
