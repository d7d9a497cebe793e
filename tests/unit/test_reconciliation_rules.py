"""What a getTransactionData answer does to a pending payment (F-61)."""
import json

import pytest

from epay_app.domain.statuses import PaymentStatus as S
from epay_app.psp.interface import TransactionState
from epay_app.services.reconciliation import target_for


def state(status: str, last_code: str = "", ok: bool = True, code: str = "00") -> TransactionState:
    raw = json.dumps({"transactionStatus": status, "lastResponseCode": last_code})
    return TransactionState(ok=ok, response_code=code, transaction_status=status, raw=raw)


@pytest.mark.parametrize("status, last_code, target", [
    ("TO_CAPTURE", "00", S.AUTORISE),
    ("CAPTURED", "00", S.AUTORISE),
    ("REFUSED", "05", S.REJETE),
    ("REFUSED", "99", S.ERREUR),
    ("ABORTED", "17", S.ANNULE),
    ("ABORTED", "97", S.ANNULE),
    ("CANCELLED", "00", S.ANNULE),
    ("TO_AUTHORIZE", "", None),  # the customer is still on the hosted page
    ("CREDITED", "00", None),  # money already given back: for a human, not a guess
    ("SOMETHING_NEW", "", None),
])
def test_transaction_status_maps_to_a_payment_status(status, last_code, target):
    assert target_for(state(status, last_code)) is target


def test_unknown_transaction_or_no_answer_keeps_envoye():
    assert target_for(TransactionState(ok=False, response_code="25")) is None
    assert target_for(TransactionState(ok=False, error="PSP injoignable")) is None
