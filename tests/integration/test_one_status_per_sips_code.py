"""One PSP fact, one status: every Sips response code gives the same payment status whether it
arrives in the automatic response (services.payment.callbacks) or in a getTransactionData answer
(services.payment.reconciliation). Both paths run for real on the database; only the PSP's message is
built here (sealed like the PSP's, or the TransactionState the Sips adapter parses)."""

from __future__ import annotations

import pytest

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import EPayment
from epay_app.psp.interface import TransactionState
from epay_app.psp.sips_statuses import KNOWN_RESPONSE_CODES
from epay_app.services.payment import reconciliation
from epay_app.services.payment.callbacks import apply_psp_response
from tests.support.sips_messages import signed_response


def _transaction_status(code: str) -> str:
    """What getTransactionData reports beside the transaction's response code."""
    return {"00": "CAPTURED", "17": "ABORTED", "97": "ABORTED", "60": "TO_AUTHORIZE"}.get(code, "REFUSED")


def _status(db_url: str, payment_id: int) -> S:
    with session_scope(db_url, write=False) as session:
        payment = session.get(EPayment, payment_id)
        assert payment is not None
        return S(payment.status)


def _through_callback(db_url: str, payment: EPayment, code: str) -> S:
    with session_scope(db_url) as session:
        apply_psp_response(session, signed_response(payment, code), "psp:notify")
    return _status(db_url, payment.id)


def _through_reconciliation(db_url: str, payment: EPayment, code: str) -> S:
    state = TransactionState(
        ok=True,
        response_code="00",  # the query worked; the payment's own code is below
        transaction_status=_transaction_status(code),
        transaction_response_code=code,
        amount_cents=payment.amount_cents,
    )
    with session_scope(db_url) as session:
        reconciliation.apply_transaction_state(session, payment.id, state, utcnow())
    return _status(db_url, payment.id)


@pytest.mark.parametrize("code", KNOWN_RESPONSE_CODES)
def test_a_response_code_gives_one_status_through_callback_and_reconciliation(migrated_db_url, make_payment, code):
    by_callback = _through_callback(migrated_db_url, make_payment(), code)
    by_reconciliation = _through_reconciliation(migrated_db_url, make_payment(), code)
    assert by_callback is by_reconciliation


def test_code_51_is_an_error_on_both_paths(migrated_db_url, make_payment):
    assert _through_callback(migrated_db_url, make_payment(), "51") is S.ERREUR
    assert _through_reconciliation(migrated_db_url, make_payment(), "51") is S.ERREUR
