"""What a Sips 2.0 fact means for our payment status: the one table, for the automatic response
and the customer's return (a response code) as for the reconciliation (getTransactionData: a
transaction status and the transaction's own response code).

Response codes: the Sips 2.0 data dictionary (responseCode). 51 (amount too high), 99 (PSP
trouble) and any code not listed are an Erreur for a human to look at.
"""

from __future__ import annotations

from ..domain.statuses import PaymentStatus
from .interface import TransactionState

S = PaymentStatus

RESPONSE_STATUS: dict[str, PaymentStatus | None] = {
    "00": S.AUTORISE,
    "17": S.ANNULE,
    "97": S.ANNULE,
    **{code: S.REJETE for code in ("02", "05", "11", "14", "54", "63", "75")},
    "60": None,  # pending at the PSP: stays Envoyé
}

# Every response code of the data dictionary, for the tests that run them all through each path.
KNOWN_RESPONSE_CODES = (
    "00", "02", "03", "05", "11", "12", "14", "17", "24", "25", "30", "34", "40", "51", "54",
    "60", "63", "75", "90", "94", "97", "99",
)  # fmt: skip

# getTransactionData's transactionStatus values.
AUTHORISED = frozenset({"TO_CAPTURE", "CAPTURED", "TO_VALIDATE", "VALIDATED", "AUTHORISED"})
CANCELLED = frozenset({"ABORTED", "CANCELLED"})
REFUSED = "REFUSED"


def status_for_code(response_code: str) -> PaymentStatus | None:
    """The status a response code gives; None keeps the payment where it is."""
    return RESPONSE_STATUS.get(response_code, S.ERREUR)


def status_for_transaction(state: TransactionState) -> PaymentStatus | None:
    """The status a pending payment moves to after a getTransactionData answer; None keeps it
    Envoyé. A refusal goes through `status_for_code` with the transaction's own response code
    (not the query's "00"), so a code gives the same status here as in a callback."""
    if not state.ok:
        return None
    status = state.transaction_status.upper()
    code = state.transaction_response_code
    if status in AUTHORISED:
        return S.AUTORISE
    if status == REFUSED:
        if not code:
            return S.REJETE  # refused, no code to say more
        target = status_for_code(code)
        # "refused" with an accepting or pending code contradicts itself: for a human
        return target if target in (S.REJETE, S.ERREUR, S.ANNULE) else S.ERREUR
    if status in CANCELLED:
        return S.ANNULE  # the buyer gave up (17), the session expired (97), or cancelled
    return None  # TO_AUTHORIZE (customer still on the page), CREDITED/EXPIRED (for a human), unknown
