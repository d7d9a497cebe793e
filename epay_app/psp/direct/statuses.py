"""What a Worldline Direct status means for our payment status: the one table, for the webhook,
the customer's return and the reconciliation alike (services.payment.direct_payments.apply_direct_state).

Payment statuses and categories: SDK docstrings and the Magento plugin's fixtures
(notes/worldline-direct.md §3); hosted checkout statuses: SDK GetHostedCheckoutResponse
docstring and the SAP plugin's constants (§2).
"""

from __future__ import annotations

from ...domain.statuses import PaymentStatus

S = PaymentStatus

# A deposit is taken with authorizationMode SALE (captured on approval): CAPTURED is the usual
# outcome; PENDING_CAPTURE is what a FINAL/PRE_AUTHORIZATION merchant account reports.
PAYMENT_STATUS: dict[str, PaymentStatus | None] = {
    "CAPTURED": S.AUTORISE,
    "PENDING_CAPTURE": S.AUTORISE,
    "REJECTED": S.REJETE,
    "CANCELLED": S.ANNULE,
    "CANCELLED_BY_CONSUMER": S.ANNULE,
    "REFUNDED": S.REMBOURSE,
    # On the way: the outcome is not known yet, the payment stays where it is.
    **{
        status: None
        for status in (
            "CREATED",
            "REDIRECTED",
            "PENDING_PAYMENT",
            "AUTHORIZATION_REQUESTED",
            "PENDING_APPROVAL",
            "PENDING_COMPLETION",
            "CAPTURE_REQUESTED",
            "REFUND_REQUESTED",
            "CANCELLATION_REQUESTED",
        )
    },
}

# Statuses after which the customer has their money back (a refund, or a cancelled authorisation).
MONEY_RETURNED = frozenset({"REFUNDED", "CANCELLED"})

CHECKOUT_IN_PROGRESS = "IN_PROGRESS"
CHECKOUT_PAYMENT_CREATED = "PAYMENT_CREATED"
CHECKOUT_CANCELLED = "CANCELLED_BY_CONSUMER"  # cancelled by the customer, or the session expired


def status_for_payment(direct_status: str) -> PaymentStatus | None:
    """Our status for a Direct payment status: None = no change yet; anything unexpected
    (CHARGEBACKED, REJECTED_CAPTURE, a status we do not know) is an Erreur for a human to see."""
    return PAYMENT_STATUS.get((direct_status or "").upper(), S.ERREUR)


def status_for_refund_target(direct_status: str, current: PaymentStatus) -> PaymentStatus | None:
    """A payment "À rembourser" whose money came back at the PSP (refunded, or authorisation
    cancelled before capture) is Remboursé; otherwise the plain mapping."""
    if current is S.A_REMBOURSER and (direct_status or "").upper() in MONEY_RETURNED:
        return S.REMBOURSE
    return status_for_payment(direct_status)


# Every payment status the platform documents, and two it may send that we do not expect: for the
# tests that run them all through each path.
KNOWN_PAYMENT_STATUSES: tuple[str, ...] = (*PAYMENT_STATUS, "CHARGEBACKED", "REJECTED_CAPTURE")


def status_for_checkout(checkout_status: str) -> PaymentStatus | None:
    """A hosted checkout without a payment yet: the customer gave up or the session expired
    (Annulé), is still on the page (no change), or anything else (CLIENT_NOT_ELIGIBLE…, a status
    we do not know: Erreur)."""
    if checkout_status == CHECKOUT_CANCELLED:
        return S.ANNULE
    if checkout_status == CHECKOUT_IN_PROGRESS:
        return None
    return S.ERREUR


def target_status(payment_status: str | None, checkout_status: str, current: PaymentStatus) -> PaymentStatus | None:
    """What Direct says, as our status: the payment's status when there is a payment, otherwise
    the hosted checkout's. None keeps the payment where it is."""
    if payment_status is not None:
        return status_for_refund_target(payment_status, current)
    return status_for_checkout(checkout_status)
