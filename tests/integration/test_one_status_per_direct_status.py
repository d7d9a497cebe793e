"""One PSP fact, one status, on Worldline Direct: every payment status the platform may report
gives the same payment status whether it arrives in a signed webhook (services.payment.direct_payments.
apply_webhook, the SDK verifying the signature) or in a getHostedCheckout answer (the customer's
return and the reconciliation: apply_checkout_state). Both paths run for real on the database;
only the platform's message is built here, and read by the adapter's own parser."""

from __future__ import annotations

import json
import uuid

import pytest

from epay_app.db import session_scope
from epay_app.domain.events import EventSource
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import EPayment
from epay_app.psp.direct.gateway import payment_from_dict
from epay_app.psp.direct.statuses import KNOWN_PAYMENT_STATUSES
from epay_app.psp.interface import CheckoutState
from epay_app.services.payment import direct_payments
from tests.support.direct_messages import webhook_body, webhook_headers


def _status(db_url: str, payment_id: int) -> S:
    with session_scope(db_url, write=False) as session:
        payment = session.get(EPayment, payment_id)
        assert payment is not None
        return S(payment.status)


def _body(payment: EPayment, direct_status: str) -> bytes:
    code = 9 if direct_status in ("CAPTURED", "PENDING_CAPTURE") else 2
    return webhook_body(payment, status=direct_status, code=code, payment_id=f"{uuid.uuid4().int % 10**10}_0")


def _through_webhook(db_url: str, payment: EPayment, direct_status: str) -> S:
    body = _body(payment, direct_status)
    direct_payments.apply_webhook(body, webhook_headers(body))
    return _status(db_url, payment.id)


def _through_checkout(db_url: str, payment: EPayment, direct_status: str) -> S:
    state = CheckoutState(
        status="PAYMENT_CREATED", payment=payment_from_dict(json.loads(_body(payment, direct_status))["payment"])
    )
    with session_scope(db_url) as session:
        direct_payments.apply_checkout_state(
            session, payment.id, state, "checkout-1", EventSource.PSP_RECONCILIATION.value
        )
    return _status(db_url, payment.id)


@pytest.mark.parametrize("direct_status", KNOWN_PAYMENT_STATUSES)
def test_a_direct_status_gives_one_status_through_webhook_and_checkout_query(
    migrated_db_url, make_direct_payment, direct_status
):
    by_webhook = _through_webhook(migrated_db_url, make_direct_payment(), direct_status)
    by_query = _through_checkout(migrated_db_url, make_direct_payment(), direct_status)
    assert by_webhook is by_query


@pytest.mark.parametrize(
    ("direct_status", "expected"),
    [("CAPTURED", S.AUTORISE), ("REJECTED", S.REJETE), ("PENDING_PAYMENT", S.ENVOYE), ("CHARGEBACKED", S.ERREUR)],
)
def test_known_direct_statuses_give_the_tables_status_on_both_paths(
    migrated_db_url, make_direct_payment, direct_status, expected
):
    assert _through_webhook(migrated_db_url, make_direct_payment(), direct_status) is expected
    assert _through_checkout(migrated_db_url, make_direct_payment(), direct_status) is expected
