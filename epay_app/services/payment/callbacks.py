"""Apply a PSP payment response to the stored payment (F-34).

The automatic response and the browser return carry the same Data: whichever comes second
finds its idempotency key already recorded and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from ...config import Settings
from ...domain.errors import DomainError, IllegalTransition
from ...domain.events import CallbackOutcome, EventSource
from ...domain.orders import OrderStatus
from ...domain.references import PaymentKind
from ...domain.statuses import PaymentStatus
from ...models import EPayment, PspConfig, SalesOrder, stored_id
from ...psp.interface import CURRENCY_NUMERIC, PspResponse, SealError, SipsProtocol, get_sips_gateway
from ..admin.psp_accounts import configs_for_merchant, sips_credentials
from ..mail import notifications
from ..reservation import reservations
from .payments import EventDetails, change_status, event_seen, lock_payment_by_psp_reference, record_event

log = logging.getLogger(__name__)
security_log = logging.getLogger("epay_app.security")

# The values of EventSource.PSP_NOTIFY and PSP_RETURN, as the Sips routes name them.
Source = Literal["psp:notify", "psp:return"]


class ForeignMerchant(DomainError):
    """A correctly sealed response from a merchant that is not the payment's point of sale's:
    someone holding another merchant's key (another entity's administrator) is aiming at a
    payment that is not theirs. Refused before anything is written."""


@dataclass(frozen=True)
class CallbackResult:
    payment_id: int
    reference: str
    amount_cents: int
    status: PaymentStatus
    outcome: CallbackOutcome
    response_code: str


def apply_psp_response(
    session: Session,
    fields: Mapping[str, str],
    source: Source,
    *,
    gateway: SipsProtocol | None = None,
    settings: Settings | None = None,
) -> CallbackResult:
    """Verify, check and apply one response. Raises SealError / MalformedResponse /
    PaymentNotFound / ForeignMerchant before writing anything."""
    gateway = gateway or get_sips_gateway(settings)
    merchant_id, key_version = gateway.read_merchant(fields)
    configs = configs_for_merchant(session, merchant_id)
    response = _verified(gateway, fields, merchant_id, key_version, configs, settings)
    # Locked first, then checked: a concurrent delivery of the same Data has either committed
    # its event (seen here) or waits for our commit.
    payment = lock_payment_by_psp_reference(session, response.transaction_reference)
    if payment.pos_id not in {c.pos_id for c in configs}:
        security_log.warning(
            "security: %s refused: sealed by merchant %s, which is not the merchant of payment %s "
            "(point of sale %s); nothing changed",
            source,
            response.merchant_id,
            payment.reference,
            payment.pos_id,
        )
        raise ForeignMerchant(f"Commerçant {response.merchant_id} différent de celui du point de vente du paiement")
    key = hashlib.sha256(response.raw_data.encode()).hexdigest()
    if event_seen(session, stored_id(payment), key):
        return _result(payment, CallbackOutcome.DUPLICATE, response)

    problems = _mismatches(payment, response)
    target = PaymentStatus.ERREUR if problems else gateway.status_for(response.response_code)
    raw = response.raw_data if not problems else f"{'; '.join(problems)}\n{response.raw_data}"
    event = EventDetails(
        source=source, actor=response.merchant_id, psp_code=response.response_code, raw=raw, idempotency_key=key
    )
    if problems:
        log.error("PSP response for %s rejected: %s", payment.reference, "; ".join(problems))
        payment.psp_last_error = "; ".join(problems)
    current = PaymentStatus(payment.status)
    try:
        changed = target is not None and change_status(session, payment, target, **event)
    except IllegalTransition:
        record_event(session, payment, current, from_status=current, **event)
        return _result(payment, CallbackOutcome.REFUSED, response)
    if not changed or target is None:
        record_event(session, payment, current, from_status=current, **event)
        return _result(payment, CallbackOutcome.UNCHANGED, response)
    after_psp_status_change(
        session, payment, target, authorisation_id=response.authorisation_id, masked_pan=response.masked_pan
    )
    return _result(payment, CallbackOutcome.APPLIED, response)


def after_psp_status_change(
    session: Session, payment: EPayment, target: PaymentStatus, *, authorisation_id: str = "", masked_pan: str = ""
) -> None:
    """What follows a status the PSP reported (callback or reconciliation): on authorisation the
    confirmation e-mail and, if the order was cancelled meanwhile, À rembourser; for an
    e-Réservation, the vehicle block released or confirmed. The caller holds the payment's lock
    and has just changed its status to `target`."""
    if target is PaymentStatus.AUTORISE:
        if authorisation_id:
            payment.psp_authorisation_id = authorisation_id
        if masked_pan:
            payment.psp_masked_pan = masked_pan
        if payment.kind != PaymentKind.RESERVATION.value:
            notifications.queue_payment_confirmation(session, payment)
        _refund_if_order_cancelled(session, payment)
    elif target is PaymentStatus.REMBOURSE:
        notifications.queue_refund_notice(session, payment)
    reservations.after_status_change(session, payment)  # e-Réservation: release or confirm the block
    session.add(payment)
    session.flush()


def _refund_if_order_cancelled(session: Session, payment: EPayment) -> None:
    """The customer paid after the order was cancelled (F-26 applies to late payments too)."""
    order = session.get(SalesOrder, payment.order_id) if payment.order_id else None
    if order is not None and order.status == OrderStatus.CANCELLED.value:
        change_status(
            session,
            payment,
            PaymentStatus.A_REMBOURSER,
            source=EventSource.SYSTEM.value,
            raw=f"Commande n°{order.number} annulée avant le paiement",
        )


def _verified(
    gateway: SipsProtocol,
    fields: Mapping[str, str],
    merchant_id: str,
    key_version: int,
    configs: list[PspConfig],
    settings: Settings | None,
) -> PspResponse:
    candidates = [
        creds
        for creds in (sips_credentials(c, settings) for c in configs)
        if creds.merchant_id == merchant_id and creds.key_version == key_version
    ]
    if not candidates:
        raise SealError(f"Commerçant ou version de clé inconnus : {merchant_id} v{key_version}")
    for creds in candidates:
        try:
            return gateway.verify_response(fields, creds.secret_key)
        except SealError:
            continue
    raise SealError(f"Sceau invalide pour le commerçant {merchant_id}")


def _mismatches(payment: EPayment, response: PspResponse) -> list[str]:
    """What a response from the payment's own merchant may get wrong (its merchant was checked
    before: another merchant's response is refused, not turned into Erreur)."""
    problems = []
    if response.amount_cents != payment.amount_cents:
        problems.append(f"Montant reçu {response.amount_cents} ≠ montant attendu {payment.amount_cents}")
    expected_currency = CURRENCY_NUMERIC.get(payment.currency, payment.currency)
    if response.currency_code != expected_currency:
        problems.append(f"Devise reçue {response.currency_code} ≠ {expected_currency}")
    if response.order_id and response.order_id != payment.reference:
        problems.append(f"orderId reçu {response.order_id} ≠ {payment.reference}")
    return problems


def _result(payment: EPayment, outcome: CallbackOutcome, response: PspResponse) -> CallbackResult:
    return CallbackResult(
        stored_id(payment),
        payment.reference,
        payment.amount_cents,
        PaymentStatus(payment.status),
        outcome,
        response.response_code,
    )
