"""What a getTransactionData answer does to a pending payment (F-61)."""

import pytest

from epay_app.domain.statuses import PaymentStatus as S
from epay_app.psp.interface import TransactionState
from epay_app.psp.sips_statuses import status_for_code
from epay_app.psp.sips_statuses import status_for_transaction as target_for


def state(status: str, txn_code: str = "", ok: bool = True, code: str = "00") -> TransactionState:
    """`code` is the query's own result (getTransDataResponseCode), `txn_code` the transaction's."""
    return TransactionState(ok=ok, response_code=code, transaction_status=status, transaction_response_code=txn_code)


@pytest.mark.parametrize(
    "status, txn_code, target",
    [
        ("TO_CAPTURE", "00", S.AUTORISE),
        ("CAPTURED", "00", S.AUTORISE),
        ("REFUSED", "05", S.REJETE),
        ("REFUSED", "99", S.ERREUR),
        ("REFUSED", "51", S.ERREUR),  # what the callback says for 51, not a guess of its own
        ("REFUSED", "", S.REJETE),  # refused, no code to say more
        ("REFUSED", "00", S.ERREUR),  # contradicts itself: for a human
        ("ABORTED", "17", S.ANNULE),
        ("ABORTED", "97", S.ANNULE),
        ("CANCELLED", "00", S.ANNULE),
        ("TO_AUTHORIZE", "", None),  # the customer is still on the hosted page
        ("CREDITED", "00", None),  # money already given back: for a human, not a guess
        ("SOMETHING_NEW", "", None),
    ],
)
def test_transaction_status_maps_to_a_payment_status(status, txn_code, target):
    assert target_for(state(status, txn_code)) is target


@pytest.mark.parametrize(
    "txn_code", ["02", "03", "05", "11", "12", "14", "24", "30", "34", "51", "54", "63", "75", "90", "94", "99"]
)
def test_a_refusal_gets_the_status_the_callback_gives_its_code(txn_code):
    """One PSP fact, one status: the callback's table decides for the reconciliation too."""
    assert target_for(state("REFUSED", txn_code)) is status_for_code(txn_code)


def test_the_query_code_is_not_the_transaction_code():
    """A query that worked ("00") about a refused payment ("05") is a refusal, not an authorisation."""
    assert target_for(state("REFUSED", "05", code="00")) is S.REJETE


def test_unknown_transaction_or_no_answer_keeps_envoye():
    assert target_for(TransactionState(ok=False, response_code="25")) is None
    assert target_for(TransactionState(ok=False, error="PSP injoignable")) is None
