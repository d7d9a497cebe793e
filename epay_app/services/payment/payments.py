"""The one guarded way to change an e-payment's status (F-36)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TypedDict

from sqlalchemy import bindparam
from sqlmodel import Session, select

from ...domain.dates import utcnow
from ...domain.errors import DomainError, IllegalTransition
from ...domain.statuses import PaymentStatus, check_transition
from ...models import EPayment, EPaymentEvent, stored_id

log = logging.getLogger(__name__)

# The per-status timestamp each status sets when it is reached.
_STATUS_TIMESTAMP = {
    PaymentStatus.ENVOYE: "sent_at",
    PaymentStatus.AUTORISE: "authorised_at",
    PaymentStatus.ANNULE: "cancelled_at",
    PaymentStatus.REJETE: "rejected_at",
    PaymentStatus.ERREUR: "error_at",
    PaymentStatus.A_REMBOURSER: "refund_requested_at",
    PaymentStatus.REMBOURSE: "refunded_at",
}


class PaymentNotFound(DomainError):
    pass


class EventDetails(TypedDict):
    """What a PSP message writes on its event, whether or not the status moves."""

    source: str  # a domain.events.EventSource value
    actor: str
    psp_code: str
    raw: str
    idempotency_key: str | None


# Every PSP callback runs these: they are built once, because building a statement and its cache
# key costs more CPU than PostgreSQL takes to run it (bench/callback_bench.py). populate_existing:
# a copy already in the session is overwritten with the row read under the lock, in the same
# round trip (no refresh() afterwards).
_LOCK_BY_ID = (
    select(EPayment).where(EPayment.id == bindparam("key")).with_for_update().execution_options(populate_existing=True)
)
_LOCK_BY_PSP_REFERENCE = (
    select(EPayment)
    .where(EPayment.psp_reference == bindparam("key"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_EVENT_BY_IDEMPOTENCY_KEY = select(EPaymentEvent.id).where(
    EPaymentEvent.payment_id == bindparam("payment_id"), EPaymentEvent.idempotency_key == bindparam("key")
)


def lock_payment(session: Session, payment_id: int) -> EPayment:
    """Load a payment for update: a row lock on PostgreSQL; on SQLite the write
    transaction (BEGIN IMMEDIATE, see db.py) already serialises writers."""
    payment = session.exec(_LOCK_BY_ID, params={"key": payment_id}).first()
    if payment is None:
        raise PaymentNotFound(f"e-Paiement introuvable (id {payment_id})")
    return payment


def lock_payment_by_psp_reference(session: Session, psp_reference: str) -> EPayment:
    """`lock_payment` for a PSP callback, which knows the payment by its Sips reference."""
    payment = session.exec(_LOCK_BY_PSP_REFERENCE, params={"key": psp_reference}).first()
    if payment is None:
        raise PaymentNotFound(f"Aucun e-Paiement pour {psp_reference!r}")
    return payment


def record_event(
    session: Session,
    payment: EPayment,
    to_status: PaymentStatus,
    *,
    source: str,
    actor: str = "",
    psp_code: str = "",
    raw: str = "",
    from_status: PaymentStatus | None = None,
    idempotency_key: str | None = None,
    at: datetime | None = None,
) -> EPaymentEvent:
    event = EPaymentEvent(
        payment_id=stored_id(payment),
        from_status=from_status.value if from_status else None,
        to_status=to_status.value,
        source=source,
        actor=actor,
        psp_code=psp_code,
        raw=raw,
        idempotency_key=idempotency_key,
        at=at or utcnow(),
    )
    session.add(event)
    return event


def change_status(
    session: Session,
    payment: EPayment,
    target: PaymentStatus,
    *,
    source: str,
    actor: str = "",
    psp_code: str = "",
    raw: str = "",
    idempotency_key: str | None = None,
) -> bool:
    """Move `payment` to `target` if the transition table allows it.

    Returns True when the status changed (an event row is appended), False when the
    payment was already there (a logged no-op). Raises IllegalTransition otherwise,
    after logging it. The caller holds the lock (`lock_payment`) and the transaction.
    """
    current = PaymentStatus(payment.status)
    try:
        changed = check_transition(current, target)
    except IllegalTransition:
        log.warning(
            "refused transition %s -> %s for %s (source %s, code %s)",
            current.value,
            target.value,
            payment.reference,
            source,
            psp_code,
        )
        raise
    if not changed:
        log.info("payment %s already %s: no-op (source %s)", payment.reference, target.value, source)
        return False
    now = utcnow()
    payment.status = target.value
    payment.status_changed_at = now
    setattr(payment, _STATUS_TIMESTAMP[target], now)
    if psp_code:
        payment.psp_response_code = psp_code
    session.add(payment)
    record_event(
        session,
        payment,
        target,
        source=source,
        actor=actor,
        psp_code=psp_code,
        raw=raw,
        from_status=current,
        idempotency_key=idempotency_key,
        at=now,
    )
    return True


def event_seen(session: Session, payment_id: int, key: str) -> bool:
    """Whether the payment already has an event with this idempotency key (a repeated PSP message)."""
    return session.exec(_EVENT_BY_IDEMPOTENCY_KEY, params={"payment_id": payment_id, "key": key}).first() is not None
