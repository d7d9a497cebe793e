"""Reconciliation (F-61): pending payments re-checked with the PSP's status query.

The automatic response may never come (network, PSP incident) and the customer may never come
back to our return page: the payment would stay "Envoyé" although the PSP took the money. Once a
payment's first PSP session is surely over (Sips sessions expire after 15 minutes; default 20),
this job asks getTransactionData and applies what it says, as the callback would have:

  TO_CAPTURE, CAPTURED (authorised)          → Autorisé, confirmation e-mail, À rembourser if the
                                                order was cancelled meanwhile (callbacks.after_psp_status_change)
  REFUSED                                    → what the callback would say for the transaction's own
                                                response code (psp.sips_statuses, as the callback: 05 → Rejeté,
                                                51 or 99 → Erreur…); Rejeté when no code came back
  ABORTED (17 buyer, 97 session expired),
  CANCELLED                                  → Annulé
  unknown at the PSP (25), TO_AUTHORIZE,
  anything else, PSP unreachable             → unchanged: the payment stays Envoyé.

Why "unknown at the PSP" keeps Envoyé, even when the link has expired: the customer never
reached the hosted page, nothing happened at the PSP, and Envoyé is what lets the seller use
"Renvoyer le lien" (which gives an expired link a fresh lifetime, F-60). Cancelling it would force
a new attempt and a new reference for no gain.

When: as soon as the payment's PSP session is over, so a lost automatic response is repaired
within about two minutes: a Sips hosted page lives `sips_session_minutes` (15) after the customer
opened it through the link (SipsSession), a Direct hosted checkout until its
`expires_at` (`direct_checkout_minutes`); after that session plus `reconciliation_grace_minutes`,
the next pass (every `payment_jobs_interval_seconds`, 60) asks, once per session. As a safety net
for payments without a known session, and not any more once it
has been asked after its link expired (plus the session time): nothing can happen at the PSP
after that, until a resend extends the link. Changes go through lock_payment + change_status
with source "psp:reconciliation" and an idempotency key, so concurrent runs (several workers)
and late callbacks change nothing twice.

Run once: ``python -m epay_app.services.payment.payment_jobs --once``; periodically: the app's
lifespan task (services.payment.payment_jobs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ...config import Settings, get_settings
from ...domain.dates import as_utc, utcnow
from ...domain.errors import DomainError, IllegalTransition
from ...domain.events import CallbackOutcome, EventSource
from ...domain.statuses import PaymentStatus
from ...models import DirectCheckout, EPayment, PaymentPspCheck, SipsSession
from ...psp.interface import (
    DirectProtocol,
    PspCallError,
    PspProtocol,
    SipsProtocol,
    TransactionState,
    get_sips_gateway,
)
from ...psp.sips_statuses import status_for_transaction
from . import direct_payments
from .callbacks import after_psp_status_change
from .payments import EventDetails, change_status, lock_payment, record_event
from .status_query import query_payment_status

log = logging.getLogger(__name__)

SOURCE = EventSource.PSP_RECONCILIATION.value

SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass
class ReconciliationReport:
    checked: int = 0
    changed: dict[str, str] = field(default_factory=dict)  # reference → new status value
    unreachable: int = 0

    def __str__(self) -> str:
        moves = ", ".join(f"{ref} → {status}" for ref, status in self.changed.items()) or "aucun changement"
        return f"{self.checked} e-Paiement(s) vérifié(s), {self.unreachable} sans réponse du PSP : {moves}"


def _candidates(session: Session, now: datetime, older_than: timedelta, recheck: timedelta) -> list[int]:
    """Pending payments old enough, not asked recently, and not asked since their link died
    (that last test in Python over two columns: date arithmetic on columns is not portable)."""
    stmt = (
        select(EPayment.id, PaymentPspCheck.checked_at, EPayment.link_expires_at)
        .outerjoin(PaymentPspCheck, col(PaymentPspCheck.payment_id) == col(EPayment.id))
        .where(
            EPayment.status == PaymentStatus.ENVOYE.value,
            EPayment.created_at <= now - older_than,
            or_(col(PaymentPspCheck.checked_at).is_(None), col(PaymentPspCheck.checked_at) <= now - recheck),
        )
        .order_by(col(EPayment.id))
    )
    return [
        payment_id
        for payment_id, checked, expires in session.exec(stmt).all()
        if payment_id is not None
        and (checked is None or expires is None or as_utc(checked) < as_utc(expires) + older_than)
    ]


def _sessions_over(session: Session, now: datetime, settings: Settings) -> list[int]:
    """Pending payments whose latest PSP session ended (plus the grace) and that were not asked
    since it ended: a Sips hosted page opened through the link, or a Direct hosted checkout."""
    grace = timedelta(minutes=settings.reconciliation_grace_minutes)
    sips_session = timedelta(minutes=settings.sips_session_minutes)
    sips = session.exec(
        select(EPayment.id, SipsSession.started_at, PaymentPspCheck.checked_at)
        .join(SipsSession, col(SipsSession.payment_id) == col(EPayment.id))
        .outerjoin(PaymentPspCheck, col(PaymentPspCheck.payment_id) == col(EPayment.id))
        .where(EPayment.status == PaymentStatus.ENVOYE.value, SipsSession.started_at <= now - sips_session - grace)
    ).all()
    latest = (
        select(DirectCheckout.payment_id, func.max(DirectCheckout.expires_at).label("ends"))
        .group_by(col(DirectCheckout.payment_id))
        .subquery()
    )
    direct = session.exec(
        select(EPayment.id, latest.c.ends, PaymentPspCheck.checked_at)
        .join(latest, latest.c.payment_id == EPayment.id)
        .outerjoin(PaymentPspCheck, col(PaymentPspCheck.payment_id) == col(EPayment.id))
        .where(EPayment.status == PaymentStatus.ENVOYE.value, latest.c.ends <= now - grace)
    ).all()
    found = [
        pid
        for pid, started, checked in sips
        if pid is not None and (checked is None or as_utc(checked) < as_utc(started) + sips_session)
    ]
    found += [
        pid for pid, ends, checked in direct if pid is not None and (checked is None or as_utc(checked) < as_utc(ends))
    ]
    return found


def apply_transaction_state(session: Session, payment_id: int, state: TransactionState, now: datetime) -> str | None:
    """Under the payment's lock: record the check, apply the answer. The new status, or None."""
    payment = lock_payment(session, payment_id)
    check = session.get(PaymentPspCheck, payment_id) or PaymentPspCheck(payment_id=payment_id, checked_at=now)
    check.checked_at = now
    session.add(check)
    if payment.status != PaymentStatus.ENVOYE.value:
        return None  # a callback got there while we were asking
    target = status_for_transaction(state)
    if target is None:
        return None
    code = state.transaction_response_code
    raw = state.raw
    if target is PaymentStatus.AUTORISE and state.amount_cents != payment.amount_cents:
        problem = f"Montant autorisé {state.amount_cents} ≠ montant attendu {payment.amount_cents}"
        log.error("reconciliation of %s: %s", payment.reference, problem)
        payment.psp_last_error = problem
        target, raw = PaymentStatus.ERREUR, f"{problem}\n{raw}"
    key = f"reconciliation:{state.transaction_status}:{code}"
    event = EventDetails(source=SOURCE, actor="getTransactionData", psp_code=code, raw=raw, idempotency_key=key)
    try:
        changed = change_status(session, payment, target, **event)
    except IllegalTransition:  # cannot happen from Envoyé, kept for safety
        record_event(
            session, payment, PaymentStatus(payment.status), from_status=PaymentStatus(payment.status), **event
        )
        return None
    if not changed:
        return None
    after_psp_status_change(session, payment, target)
    log.info(
        "reconciliation: %s %s → %s (%s)",
        payment.reference,
        PaymentStatus.ENVOYE.value,
        target.value,
        state.transaction_status,
    )
    return target.value


async def reconcile_pending(
    session_factory: SessionFactory | None = None,
    now: datetime | None = None,
    older_than: timedelta | None = None,
    *,
    gateway: SipsProtocol | None = None,
    direct_gateway: DirectProtocol | None = None,
    settings: Settings | None = None,
) -> ReconciliationReport:
    """Ask the PSP about every pending payment whose PSP session should be over and apply the
    answers (Sips payments through `gateway`, Direct ones through `direct_gateway`; by default the
    configured ones). Database work runs in threads (short transactions, the lock never held across the
    network call); safe to run concurrently with callbacks and with itself."""
    from ...db import session_scope

    settings = settings or get_settings()
    session_factory = session_factory or session_scope
    now = now or utcnow()
    older_than = older_than if older_than is not None else timedelta(minutes=settings.reconciliation_age_minutes)
    recheck = timedelta(minutes=settings.reconciliation_recheck_minutes)
    gateway = gateway or get_sips_gateway(settings)
    report = ReconciliationReport()

    def candidates() -> list[int]:
        with session_factory() as session:
            return sorted(
                set(_candidates(session, now, older_than, recheck)) | set(_sessions_over(session, now, settings))
            )

    def apply(payment_id: int, state: TransactionState) -> tuple[str, str | None]:
        with session_factory() as session:
            new_status = apply_transaction_state(session, payment_id, state, now)
            payment = session.get(EPayment, payment_id)
            return (payment.reference if payment else ""), new_status

    def protocol_of(payment_id: int) -> PspProtocol:
        with session_factory() as session:
            return direct_payments.payment_protocol(session, payment_id)

    for payment_id in await asyncio.to_thread(candidates):
        if await asyncio.to_thread(protocol_of, payment_id) is PspProtocol.DIRECT:
            await _reconcile_direct(session_factory, payment_id, report, settings, direct_gateway)
            continue
        try:
            with session_factory() as session:
                state = await query_payment_status(session, payment_id, gateway=gateway, settings=settings)
        except DomainError as exc:  # no PSP configuration any more, payment gone
            log.warning("reconciliation: payment %s skipped: %s", payment_id, exc)
            continue
        report.checked += 1
        if not state.ok and state.response_code != "25":
            # No trustworthy answer (timeout, 5xx, bad seal): not recorded as checked, next run retries.
            report.unreachable += 1
            log.warning("reconciliation: no answer for payment %s: %s", payment_id, state.error)
            continue
        reference, new_status = await asyncio.to_thread(apply, payment_id, state)
        if new_status:
            report.changed[reference] = new_status
    return report


async def _reconcile_direct(
    session_factory: SessionFactory,
    payment_id: int,
    report: ReconciliationReport,
    settings: Settings,
    gateway: DirectProtocol | None,
) -> None:
    """A Direct payment: the platform's view of its latest hosted checkout, applied as the
    return route would (one code→status table for both)."""
    try:
        result = await asyncio.to_thread(
            direct_payments.reconcile, session_factory, payment_id, gateway=gateway, settings=settings
        )
    except PspCallError as exc:
        report.checked += 1
        report.unreachable += 1
        log.warning("reconciliation: no answer for payment %s: %s", payment_id, exc)
        return
    except DomainError as exc:
        log.warning("reconciliation: payment %s skipped: %s", payment_id, exc)
        return
    report.checked += 1

    def record_check() -> None:
        with session_factory() as session:
            check = session.get(PaymentPspCheck, payment_id) or PaymentPspCheck(
                payment_id=payment_id, checked_at=utcnow()
            )
            check.checked_at = utcnow()
            session.add(check)

    await asyncio.to_thread(record_check)
    if result is not None and result.outcome is CallbackOutcome.APPLIED:
        report.changed[result.reference] = result.status.value
