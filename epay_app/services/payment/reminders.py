"""Reminder e-mail before a payment link expires (F-60): "Rappel : paiement de l'acompte".

A deposit still Envoyé whose link expires within `link_reminder_hours` gets one reminder per
link (outbox dedupe key "reminder:<payment id>:<expiry>"), with the same link. Not for a paid,
cancelled or refused payment, not once the link has expired, not for an e-Réservation (its
short block is the reminder), and not when the customer received the link inside the reminder
window already (a link resent a few hours before expiry needs no reminder on top).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from ...config import Settings, get_settings
from ...domain.dates import as_utc, utcnow
from ...domain.references import PaymentKind
from ...domain.statuses import PaymentStatus
from ...models import EPayment, OutboxMail
from ..mail import notifications
from .paylinks import pay_url
from .payments import lock_payment

log = logging.getLogger(__name__)


def _due(session: Session, now: datetime, window: timedelta) -> list[tuple[int, datetime]]:
    """(payment id, link expiry) of the deposits whose link ends within `window`, with no
    reminder for that expiry yet and no payment-request mail inside the window. Two queries."""
    last_request = (
        select(func.max(OutboxMail.created_at))
        .where(OutboxMail.payment_id == EPayment.id, OutboxMail.kind == "payment_request")
        .correlate(EPayment)
        .scalar_subquery()
    )
    stmt = (
        select(EPayment.id, EPayment.link_expires_at, EPayment.created_at, last_request)
        .where(
            EPayment.status == PaymentStatus.ENVOYE.value,
            EPayment.kind == PaymentKind.DEPOSIT.value,
            col(EPayment.link_expires_at) > now,
            col(EPayment.link_expires_at) <= now + window,
        )
        .order_by(col(EPayment.link_expires_at))
    )
    candidates = {
        f"reminder:{payment_id}:{int(as_utc(expires).timestamp())}": (payment_id, as_utc(expires))
        for payment_id, expires, created, sent in session.exec(stmt).all()
        if payment_id is not None and expires is not None and as_utc(sent or created) <= as_utc(expires) - window
    }
    if not candidates:
        return []
    already = set(
        session.exec(select(OutboxMail.dedupe_key).where(col(OutboxMail.dedupe_key).in_(list(candidates)))).all()
    )
    return [due for key, due in candidates.items() if key not in already]


def queue_link_reminders(
    session_factory=None, now: datetime | None = None, *, settings: Settings | None = None
) -> list[str]:
    """Queue the reminders that are due; returns the references reminded. Each one in its own
    short transaction, under the payment's lock (two workers cannot both queue it)."""
    from ...db import session_scope

    settings = settings or get_settings()
    if settings.link_reminder_hours <= 0:
        return []
    session_factory = session_factory or session_scope
    now = now or utcnow()
    window = timedelta(hours=settings.link_reminder_hours)
    with session_factory() as session:
        due = _due(session, now, window)
    reminded = []
    for payment_id, expires in due:
        with session_factory() as session:
            payment = lock_payment(session, payment_id)
            if (
                payment.status != PaymentStatus.ENVOYE.value
                or payment.link_expires_at is None
                or as_utc(payment.link_expires_at) != expires
            ):
                continue  # paid, cancelled or renewed meanwhile
            notifications.queue_payment_reminder(session, payment, pay_url(payment, settings), expires)
            reminded.append(payment.reference)
    if reminded:
        log.info("link reminders queued: %s", ", ".join(reminded))
    return reminded
