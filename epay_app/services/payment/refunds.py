"""Refunds (F-35) and order cancellation (F-26).

A refund never runs twice: once an Office call has been tried for a payment, or when an answer
is uncertain (timeout, 5xx, 90–99, bad seal), the PSP's own status decides before anything else.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlmodel import Session, select

from ...config import Settings
from ...domain.errors import DomainError
from ...domain.events import EventSource
from ...domain.statuses import PaymentStatus
from ...models import EPayment, EPaymentEvent
from ...psp.interface import Gateway, MerchantCredentials, MoneyBack, PspProtocol, get_gateway
from ..admin.psp_accounts import credentials_for_pos
from ..mail import notifications
from . import direct_payments
from .payments import PaymentNotFound, change_status, lock_payment, record_event

log = logging.getLogger(__name__)

OFFICE_SOURCE = EventSource.PSP_OFFICE.value


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    status: PaymentStatus
    message: str  # French, for the user


@dataclass(frozen=True)
class RefundPlan:
    """What the PSP call needs, prepared (and the "request sent" event flushed) in a first unit of
    work; the call itself runs with no transaction open."""

    payment_id: int
    actor: str
    protocol: PspProtocol
    creds: MerchantCredentials
    reference: str
    amount_cents: int
    currency: str
    tried_before: bool


def prepare_refund(
    session: Session, payment_id: int, actor: str, *, settings: Settings | None = None
) -> RefundPlan | RefundResult:
    """Checks the payment and records the request: a RefundResult when there is nothing to ask
    (already refunded), else the plan of the PSP call. Flushes; the caller's unit of work commits
    before the call, so a crash before the answer is recorded makes the next try check first."""
    payment = session.get(EPayment, payment_id)
    if payment is None:
        raise PaymentNotFound(f"e-Paiement introuvable (id {payment_id})")
    session.refresh(payment)
    status = PaymentStatus(payment.status)
    if status is PaymentStatus.REMBOURSE:
        return RefundResult(True, status, "Cet e-Paiement est déjà remboursé.")
    if status is not PaymentStatus.A_REMBOURSER:
        raise DomainError(f"Seul un e-Paiement « À rembourser » peut être remboursé ({status.label}).")
    protocol = direct_payments.payment_protocol(session, payment_id)
    # The payment's own protocol and merchant: a Sips-era payment is refunded through Sips
    # Office even when its point of sale has moved to Worldline Direct since.
    creds = credentials_for_pos(session, payment.pos_id, settings, protocol=protocol)
    tried_before = (
        session.exec(
            select(EPaymentEvent.id).where(
                EPaymentEvent.payment_id == payment_id, EPaymentEvent.source == OFFICE_SOURCE
            )
        ).first()
        is not None
    )
    reference = (
        direct_payments.direct_payment_id(session, payment_id)
        if protocol is PspProtocol.DIRECT
        else payment.psp_reference
    )
    record_event(
        session,
        payment,
        status,
        from_status=status,
        source=OFFICE_SOURCE,
        actor=actor,
        raw="Demande de remboursement envoyée au PSP",
    )
    session.flush()
    return RefundPlan(
        payment_id, actor, protocol, creds, reference, payment.amount_cents, payment.currency, tried_before
    )


async def ask_psp(plan: RefundPlan, *, gateway: Gateway | None = None, settings: Settings | None = None) -> MoneyBack:
    """The PSP call alone: no session, no transaction."""
    gateway = gateway or get_gateway(plan.protocol.value, settings)
    return await gateway.return_money(plan.creds, plan.reference, plan.amount_cents, plan.currency, plan.tried_before)


def record_refund(session: Session, plan: RefundPlan, outcome: MoneyBack) -> RefundResult:
    """The PSP's answer, under the payment's lock (flushes; the caller's unit of work commits)."""
    return _record(session, plan.payment_id, outcome, plan.actor)


async def refund_payment(
    session: Session, payment_id: int, actor: str, *, gateway: Gateway | None = None, settings: Settings | None = None
) -> RefundResult:
    """Refund an "À rembourser" payment with one session the caller holds (scripts, tests): the
    three steps above, the session's transaction ended before the PSP call and after the answer,
    so no database lock is held while the PSP answers. Pages go through AppState._run instead.
    The database steps run in a worker thread: the event loop only waits."""

    def prepare() -> RefundPlan | RefundResult:
        plan = prepare_refund(session, payment_id, actor, settings=settings)
        session.commit()
        return plan

    def record(ready: RefundPlan, outcome: MoneyBack) -> RefundResult:
        result = record_refund(session, ready, outcome)
        session.commit()
        return result

    plan = await asyncio.to_thread(prepare)
    if isinstance(plan, RefundResult):
        return plan
    return await asyncio.to_thread(record, plan, await ask_psp(plan, gateway=gateway, settings=settings))


def _record(session: Session, payment_id: int, outcome: MoneyBack, actor: str) -> RefundResult:
    payment = lock_payment(session, payment_id)
    status = PaymentStatus(payment.status)
    raw = f"{outcome.operation}: {outcome.error or 'OK'}\n{outcome.raw}".strip()
    if status is not PaymentStatus.A_REMBOURSER:  # someone else finished it meanwhile
        return RefundResult(status is PaymentStatus.REMBOURSE, status, f"e-Paiement {status.label}.")
    if outcome.done:
        payment.psp_last_error = ""
        change_status(
            session, payment, PaymentStatus.REMBOURSE, source=OFFICE_SOURCE, actor=actor, psp_code=outcome.code, raw=raw
        )
        notifications.queue_refund_notice(session, payment)
        session.flush()
        return RefundResult(True, PaymentStatus.REMBOURSE, "Le remboursement a été effectué.")
    log.warning("refund of %s failed: %s", payment.reference, outcome.error)
    payment.psp_last_error = f"{outcome.operation} : {outcome.error}"[:500]
    session.add(payment)
    record_event(
        session, payment, status, from_status=status, source=OFFICE_SOURCE, actor=actor, psp_code=outcome.code, raw=raw
    )
    session.flush()
    return RefundResult(
        False, status, f"Le remboursement a échoué ({outcome.error}). Vous pourrez réessayer plus tard."
    )


def cancel_order_payment(session: Session, order_id: int, actor: str) -> list[EPayment]:
    """F-26: cancelling an order turns its authorised e-payments into "À rembourser"."""
    ids = session.exec(
        select(EPayment.id).where(EPayment.order_id == order_id, EPayment.status == PaymentStatus.AUTORISE.value)
    ).all()
    moved = []
    for payment_id in filter(None, ids):  # stored rows: their ids are set
        payment = lock_payment(session, payment_id)
        if change_status(session, payment, PaymentStatus.A_REMBOURSER, source=EventSource.USER.value, actor=actor):
            moved.append(payment)
    return moved
