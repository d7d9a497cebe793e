"""Worldline Direct payments: the hosted checkout behind a payment link, the customer's return,
webhooks and reconciliation — each ends in the same guarded status change as a Sips response.

No database lock or transaction is held while the platform answers: a read, the call, then a
short write that locks the payment and re-checks it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ...config import Settings, get_settings
from ...domain.dates import as_utc, utcnow
from ...domain.errors import IllegalTransition
from ...domain.events import CallbackOutcome, EventSource
from ...domain.statuses import PaymentStatus
from ...models import Customer, DirectCheckout, EPayment, PspConfig, stored_id
from ...psp.direct.statuses import target_status
from ...psp.interface import (
    CheckoutState,
    DirectProtocol,
    HostedCheckout,
    MerchantCredentials,
    PspEvent,
    PspPayment,
    PspProtocol,
    SealError,
    StartRequest,
    get_direct_gateway,
)
from ..admin.psp_accounts import configs_for_webhook_key, credentials, credentials_for_pos
from ..admin.secrets import decrypt_secret, encrypt_secret
from .callbacks import CallbackResult, after_psp_status_change
from .payments import EventDetails, PaymentNotFound, change_status, event_seen, lock_payment, record_event

log = logging.getLogger(__name__)

RETURN_PATH = "/api/psp/direct/return"
WEBHOOK_PATH = "/api/psp/direct/webhook"
# A checkout this close to its end is not handed out again: the customer needs time to pay.
REUSE_MARGIN = timedelta(minutes=5)

SessionFactory = Callable[..., AbstractContextManager[Session]]


def _sessions(session_factory: SessionFactory | None) -> SessionFactory:
    if session_factory is not None:
        return session_factory
    from ...db import session_scope

    return session_scope


def _gateway(settings: Settings, gateway: DirectProtocol | None) -> DirectProtocol:
    return gateway or get_direct_gateway(settings)


# --- the hosted checkout behind /pay/<token> ------------------------------------------------


@dataclass(frozen=True)
class _CheckoutPlan:
    payment_id: int
    request: StartRequest | None  # None: a live checkout is reused
    reuse_url: str = ""


def _plan(
    session: Session, payment: EPayment, creds: MerchantCredentials, settings: Settings, now: datetime
) -> _CheckoutPlan:
    checkouts = session.exec(
        select(DirectCheckout).where(DirectCheckout.payment_id == payment.id).order_by(col(DirectCheckout.id).desc())
    ).all()
    live = next((c for c in checkouts if as_utc(c.expires_at) > now + REUSE_MARGIN), None)
    if live is not None:
        return _CheckoutPlan(stored_id(payment), None, live.redirect_url)
    customer = session.get(Customer, payment.customer_id)
    base = settings.public_url.rstrip("/")
    return _CheckoutPlan(
        stored_id(payment),
        StartRequest(
            reference=payment.reference,
            psp_reference=payment.psp_reference,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            credentials=creds,
            return_url=base + RETURN_PATH,
            notify_url=base + WEBHOOK_PATH,
            customer_email=customer.email if customer else "",
            # One key per attempt: a repeat of this create (a retry, a double click racing us)
            # gets the same checkout back from the platform [notes §3, idempotent requests].
            idempotence_key=f"{payment.psp_reference}-hc{len(checkouts) + 1}"[:40],
            session_timeout_minutes=settings.direct_checkout_minutes,
        ),
    )


def plan_checkout(
    session: Session,
    payment: EPayment,
    creds: MerchantCredentials,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> _CheckoutPlan:
    return _plan(session, payment, creds, settings or get_settings(), now or utcnow())


def record_checkout(
    session: Session, payment_id: int, checkout: HostedCheckout, idempotence_key: str, settings: Settings, now: datetime
) -> str:
    """Store the new checkout (RETURNMAC encrypted: it proves a return); the redirect URL."""
    lock_payment(session, payment_id)  # one writer per payment: a concurrent click waits here
    existing = session.exec(
        select(DirectCheckout).where(DirectCheckout.hosted_checkout_id == checkout.checkout_id)
    ).first()
    if existing is not None:  # the same idempotent create, recorded by a concurrent click
        return existing.redirect_url
    session.add(
        DirectCheckout(
            payment_id=payment_id,
            hosted_checkout_id=checkout.checkout_id,
            return_mac_ciphertext=encrypt_secret(checkout.return_mac, settings),
            redirect_url=checkout.redirect_url,
            idempotence_key=idempotence_key,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.direct_checkout_minutes),
        )
    )
    session.flush()
    return checkout.redirect_url


def open_checkout(
    payment_id: int,
    plan: _CheckoutPlan,
    *,
    session_factory: SessionFactory | None = None,
    gateway: DirectProtocol | None = None,
    settings: Settings | None = None,
) -> str:
    """The redirect URL of the payment's hosted checkout: the live one, or a new one. Blocking."""
    settings = settings or get_settings()
    if plan.request is None:
        return plan.reuse_url
    checkout = _gateway(settings, gateway).start_payment(plan.request)
    sessions = _sessions(session_factory)
    try:
        with sessions() as session:
            return record_checkout(session, payment_id, checkout, plan.request.idempotence_key, settings, utcnow())
    except IntegrityError:
        with sessions() as session:
            return record_checkout(session, payment_id, checkout, plan.request.idempotence_key, settings, utcnow())


# --- applying what the platform says -----------------------------------------------------------


def _mismatches(payment: EPayment, psp: PspPayment) -> list[str]:
    problems = []
    if psp.amount_cents is not None and psp.amount_cents != payment.amount_cents:
        problems.append(f"Montant reçu {psp.amount_cents} ≠ montant attendu {payment.amount_cents}")
    if psp.currency and psp.currency != payment.currency:
        problems.append(f"Devise reçue {psp.currency} ≠ {payment.currency}")
    if psp.merchant_reference and psp.merchant_reference != payment.reference:
        problems.append(f"merchantReference reçue {psp.merchant_reference} ≠ {payment.reference}")
    return problems


def apply_direct_state(
    session: Session,
    payment: EPayment,
    *,
    psp: PspPayment | None,
    checkout_status: str = "",
    source: str,
    actor: str,
    raw: str,
    idempotency_key: str,
    extra_problems: list[str] | None = None,
    is_refund_event: bool = False,
    checkout_id: str = "",
) -> CallbackResult:
    """Record what Direct says about `payment`, which the caller has locked (lock_payment), and
    change its status through the guarded transition. An older or repeated fact changes nothing
    (the transition table, and the idempotency key)."""
    code = psp.status if psp else checkout_status
    current = PaymentStatus(payment.status)
    if event_seen(session, stored_id(payment), idempotency_key):
        return _result(payment, CallbackOutcome.DUPLICATE, code)
    problems = list(extra_problems or [])
    # Amount, currency and reference matter while the payment is being paid; a later refund
    # event may carry another amount (the refunded one).
    being_paid = current in (PaymentStatus.ENVOYE, PaymentStatus.REJETE, PaymentStatus.ERREUR)
    if psp is not None and being_paid and not is_refund_event:
        problems += _mismatches(payment, psp)
    target = target_status(psp.status if psp else None, checkout_status, current)
    if problems:
        log.error("Direct %s for %s rejected: %s", source, payment.reference, "; ".join(problems))
        payment.psp_last_error = "; ".join(problems)[:500]
        target, raw = PaymentStatus.ERREUR, f"{'; '.join(problems)}\n{raw}"
    if psp is not None and not problems and not is_refund_event:
        _remember_payment_id(session, stored_id(payment), psp.payment_id, checkout_id)
    event = EventDetails(source=source, actor=actor, psp_code=code[:40], raw=raw, idempotency_key=idempotency_key)
    try:
        changed = target is not None and change_status(session, payment, target, **event)
    except IllegalTransition:
        record_event(session, payment, current, from_status=current, **event)
        return _result(payment, CallbackOutcome.REFUSED, code)
    if not changed or target is None:
        record_event(session, payment, current, from_status=current, **event)
        return _result(payment, CallbackOutcome.UNCHANGED, code)
    after_psp_status_change(
        session,
        payment,
        target,
        authorisation_id=psp.authorisation_code if psp else "",
        masked_pan=psp.masked_card if psp else "",
    )
    return _result(payment, CallbackOutcome.APPLIED, code)


# Every webhook runs these: built once, as services.payment.payments explains.
_LATEST_CHECKOUT = (
    select(DirectCheckout)
    .where(DirectCheckout.payment_id == bindparam("payment_id"))
    .order_by(col(DirectCheckout.id).desc())
)
_CHECKOUT_BY_ID = _LATEST_CHECKOUT.where(DirectCheckout.hosted_checkout_id == bindparam("checkout_id"))
_LOCK_BY_REFERENCE = (
    select(EPayment)
    .where(EPayment.reference == bindparam("reference"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _remember_payment_id(session: Session, payment_id: int, psp_payment_id: str, checkout_id: str) -> None:
    """The platform's payment id, on the checkout it was made in (the latest when a webhook does
    not say which): refunds and webhooks of refunds find the payment by it."""
    if not psp_payment_id:
        return
    if checkout_id:
        found = session.exec(_CHECKOUT_BY_ID, params={"payment_id": payment_id, "checkout_id": checkout_id})
    else:
        found = session.exec(_LATEST_CHECKOUT, params={"payment_id": payment_id})
    checkout = found.first()
    if checkout is not None and checkout.psp_payment_id != psp_payment_id:
        checkout.psp_payment_id = psp_payment_id
        session.add(checkout)


def payment_protocol(session: Session, payment_id: int) -> PspProtocol:
    """The protocol a payment was taken with: Direct once a hosted checkout was opened for it."""
    opened = session.exec(select(DirectCheckout.id).where(DirectCheckout.payment_id == payment_id)).first()
    return PspProtocol.DIRECT if opened is not None else PspProtocol.SIPS2


def direct_payment_id(session: Session, payment_id: int) -> str:
    """The platform's id of the payment made for this e-payment ("" when none is known)."""
    return (
        session.exec(
            select(DirectCheckout.psp_payment_id)
            .where(DirectCheckout.payment_id == payment_id, DirectCheckout.psp_payment_id != "")
            .order_by(col(DirectCheckout.id).desc())
        ).first()
        or ""
    )


def _result(payment: EPayment, outcome: CallbackOutcome, code: str) -> CallbackResult:
    return CallbackResult(
        stored_id(payment), payment.reference, payment.amount_cents, PaymentStatus(payment.status), outcome, code
    )


# --- the customer's return ---------------------------------------------------------------------


def _checkout_for_return(
    session: Session, checkout_id: str, return_mac: str, settings: Settings
) -> tuple[int, MerchantCredentials]:
    checkout = (
        session.exec(select(DirectCheckout).where(DirectCheckout.hosted_checkout_id == checkout_id)).first()
        if checkout_id
        else None
    )
    if checkout is None:
        raise PaymentNotFound("Paiement inconnu")
    expected = decrypt_secret(checkout.return_mac_ciphertext, settings)
    if not hmac.compare_digest(expected.encode(), (return_mac or "").encode()):
        raise SealError("RETURNMAC invalide")
    payment = session.get(EPayment, checkout.payment_id)
    if payment is None:
        raise PaymentNotFound("Paiement inconnu")
    return stored_id(payment), credentials_for_pos(session, payment.pos_id, settings, protocol=PspProtocol.DIRECT)


def apply_return(
    checkout_id: str,
    return_mac: str,
    *,
    session_factory: SessionFactory | None = None,
    gateway: DirectProtocol | None = None,
    settings: Settings | None = None,
) -> CallbackResult:
    """GET /api/psp/direct/return: the browser only says "I am back"; the platform says what
    happened. Raises SealError / PaymentNotFound / PspCallError before changing anything."""
    settings = settings or get_settings()
    sessions = _sessions(session_factory)
    with sessions(write=False) as session:
        payment_id, creds = _checkout_for_return(session, checkout_id, return_mac, settings)
    state = _gateway(settings, gateway).get_checkout(creds, checkout_id)
    with sessions() as session:
        return apply_checkout_state(session, payment_id, state, checkout_id, EventSource.PSP_RETURN.value)


def apply_checkout_state(
    session: Session, payment_id: int, state: CheckoutState, checkout_id: str, source: str
) -> CallbackResult:
    """What getHostedCheckout said (the customer's return, the reconciliation), applied."""
    psp = state.payment
    fact = psp.status if psp else state.status
    # The same fact read twice (return, then reconciliation) is one event.
    key = f"direct:{checkout_id}:{psp.payment_id if psp else ''}:{fact}"
    return apply_direct_state(
        session,
        lock_payment(session, payment_id),
        psp=psp,
        checkout_status=state.status,
        source=source,
        actor="getHostedCheckout",
        raw=state.raw,
        idempotency_key=key,
        checkout_id=checkout_id,
    )


# --- webhooks ----------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def _verified_event(
    session: Session, body: bytes, headers: Mapping[str, str], gateway: DirectProtocol, settings: Settings | None
) -> tuple[PspEvent, list[PspConfig]]:
    key_id = _header(headers, "X-GCS-KeyId")
    configs = configs_for_webhook_key(session, key_id)
    signers: list[PspConfig] = []
    event = None
    for config in configs:  # several points of sale may share one webhook key
        secret = credentials(config, settings).webhook_secret
        try:
            event = gateway.read_webhook(body, headers, {key_id: secret})
        except SealError:
            continue
        signers.append(config)
    if event is None:
        raise SealError(f"Webhook non signé par une clé connue ({key_id or 'sans X-GCS-KeyId'})")
    return event, signers


def _locked_payment_for_event(session: Session, event: PspEvent, signers: list[PspConfig]) -> EPayment:
    """The payment a verified event is about, locked (as lock_payment does) in the same round trip."""
    psp = event.payment
    payment = None
    if psp is not None and psp.merchant_reference:
        payment = session.exec(_LOCK_BY_REFERENCE, params={"reference": psp.merchant_reference}).first()
    if payment is None and psp is not None and psp.payment_id:
        # Operation ids are "<payment>_<operation>" [notes §3]: a refund event names the
        # payment by its first part.
        base = psp.payment_id.rsplit("_", 1)[0]
        payment = session.exec(
            select(EPayment)
            .join(DirectCheckout, col(DirectCheckout.payment_id) == col(EPayment.id))
            .where(col(DirectCheckout.psp_payment_id).in_([psp.payment_id, f"{base}_0"]))
            .with_for_update(of=EPayment)
            .execution_options(populate_existing=True)
        ).first()
    # A key that does not sign for this payment's point of sale proves nothing about it:
    # out of scope looks like unknown.
    if payment is None or payment.pos_id not in {c.pos_id for c in signers}:
        raise PaymentNotFound("Paiement inconnu pour ce webhook")
    return payment


def apply_webhook(
    body: bytes,
    headers: Mapping[str, str],
    *,
    session_factory: SessionFactory | None = None,
    gateway: DirectProtocol | None = None,
    settings: Settings | None = None,
) -> CallbackResult:
    """POST /api/psp/direct/webhook. Raises SealError (bad or missing signature) or
    PaymentNotFound before writing anything; a repeated event id changes nothing."""
    settings_ = settings or get_settings()
    direct = _gateway(settings_, gateway)
    with _sessions(session_factory)() as session:
        event, signers = _verified_event(session, body, headers, direct, settings)
        payment = _locked_payment_for_event(session, event, signers)
        config = next(c for c in signers if c.pos_id == payment.pos_id)
        problems = []
        if event.merchant_id != config.merchant_id:
            problems.append(f"Commerçant {event.merchant_id} différent de celui du point de vente")
        return apply_direct_state(
            session,
            payment,
            psp=event.payment,
            source=EventSource.PSP_WEBHOOK.value,
            actor=event.merchant_id[:60],
            raw=event.raw,
            idempotency_key=f"direct:event:{event.event_id}"[:200],
            extra_problems=problems,
            is_refund_event=event.is_refund,
        )


# --- reconciliation ------------------------------------------------------------------------------


def reconcile(
    session_factory: SessionFactory,
    payment_id: int,
    *,
    gateway: DirectProtocol | None = None,
    settings: Settings | None = None,
) -> CallbackResult | None:
    """F-61 for a Direct payment still Envoyé: ask the platform about its latest checkout.
    None when no checkout was ever opened (nothing can have happened at the PSP)."""
    settings = settings or get_settings()
    with session_factory() as session:
        payment = session.get(EPayment, payment_id)
        if payment is None:
            return None
        checkout = session.exec(
            select(DirectCheckout)
            .where(DirectCheckout.payment_id == payment_id)
            .order_by(col(DirectCheckout.id).desc())
        ).first()
        if checkout is None:
            return None
        checkout_id = checkout.hosted_checkout_id
        creds = credentials_for_pos(session, payment.pos_id, settings, protocol=PspProtocol.DIRECT)
    state = _gateway(settings, gateway).get_checkout(creds, checkout_id)
    with session_factory() as session:
        return apply_checkout_state(session, payment_id, state, checkout_id, EventSource.PSP_RECONCILIATION.value)
