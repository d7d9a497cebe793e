"""Refund (F-35), order cancellation (F-26) and status query against the sandbox's Office API."""

from __future__ import annotations

import socket

import httpx
import pytest
from sqlmodel import select

from epay_app.config import get_settings
from epay_app.db import session_scope
from epay_app.domain.errors import DomainError
from epay_app.models import EPayment, EPaymentEvent
from epay_app.services.payment.paylinks import pay_url
from epay_app.services.payment.refunds import cancel_order_payment, refund_payment
from epay_app.services.payment.status_query import query_payment_status
from tests.support import aio

pytestmark = pytest.mark.usefixtures("sandbox", "api_server")


@pytest.fixture
def authorised(make_payment, psp_customer):
    """A payment paid with the accepted card, then its order cancelled: "À rembourser"."""

    def make(amount_cents=50_000, cancel_order=True) -> EPayment:
        payment = make_payment(amount_cents)
        page = psp_customer.open_link(pay_url(payment))
        psp_customer.follow_return(psp_customer.submit_card(page, "4100000000000000"))
        if cancel_order:
            with session_scope() as session:
                moved = cancel_order_payment(session, payment.order_id, "Directeur Test")
            assert [p.id for p in moved] == [payment.id]
        return payment

    return make


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _refund(payment_id, **kwargs):
    with session_scope() as session:
        return aio.run(refund_payment(session, payment_id, "Secrétaire Test", **kwargs))


def _sandbox_txn(sandbox, payment):
    return httpx.get(f"{sandbox}/_sandbox/transactions/{payment.psp_reference}").json()


def _stored(payment_id):
    with session_scope(write=False) as session:
        payment = session.get(EPayment, payment_id)
        events = session.exec(
            select(EPaymentEvent).where(EPaymentEvent.payment_id == payment_id).order_by(EPaymentEvent.id)
        ).all()
        return payment, list(events)


def test_order_cancellation_moves_authorised_to_a_rembourser(authorised):
    payment = authorised()
    stored, events = _stored(payment.id)
    assert stored.status == "a_rembourser"
    assert (events[-1].source, events[-1].actor) == ("user", "Directeur Test")


def test_refund_before_remittance_cancels_the_authorisation(sandbox, authorised):
    payment = authorised()
    result = _refund(payment.id)
    assert result.ok and result.status.value == "rembourse"
    assert _stored(payment.id)[0].status == "rembourse"
    txn = _sandbox_txn(sandbox, payment)
    assert (txn["transactionStatus"], txn["current_amount"], txn["refunded_amount"]) == ("CANCELLED", 0, 0)


def test_refund_after_remittance_refunds_the_captured_amount(sandbox, authorised):
    payment = authorised(42_000)
    httpx.post(f"{sandbox}/_sandbox/remit", json={"transactionReference": payment.psp_reference})
    assert _refund(payment.id).ok
    txn = _sandbox_txn(sandbox, payment)
    assert (txn["transactionStatus"], txn["refunded_amount"]) == ("CREDITED", 42_000)
    assert _stored(payment.id)[1][-1].source == "psp:office"


def test_psp_down_keeps_a_rembourser_and_the_retry_refunds_once(sandbox, authorised):
    payment = authorised()
    httpx.post(f"{sandbox}/_sandbox/remit", json={"transactionReference": payment.psp_reference})
    dead = get_settings().model_copy(
        update={"psp_office_url": f"http://127.0.0.1:{_unused_port()}", "psp_timeout_seconds": 2}
    )
    failed = _refund(payment.id, settings=dead)
    assert not failed.ok and "échoué" in failed.message
    stored, events = _stored(payment.id)
    assert stored.status == "a_rembourser" and "injoignable" in stored.psp_last_error
    assert events[-1].source == "psp:office" and "injoignable" in events[-1].raw

    assert _refund(payment.id).ok
    stored, _ = _stored(payment.id)
    assert (stored.status, stored.psp_last_error) == ("rembourse", "")
    assert _sandbox_txn(sandbox, payment)["refunded_amount"] == payment.amount_cents


def test_lost_refund_answer_is_checked_not_repeated(sandbox, authorised):
    payment = authorised()
    httpx.post(f"{sandbox}/_sandbox/remit", json={"transactionReference": payment.psp_reference})
    httpx.post(
        f"{sandbox}/_sandbox/faults", json={"transactionReference": payment.psp_reference, "office_lost_response": True}
    )
    result = _refund(payment.id)  # the PSP refunds, then answers 503
    assert result.ok
    assert _sandbox_txn(sandbox, payment)["refunded_amount"] == payment.amount_cents
    assert _refund(payment.id).message == "Cet e-Paiement est déjà remboursé."


def test_only_a_payment_to_refund_can_be_refunded(authorised):
    payment = authorised(cancel_order=False)
    with pytest.raises(DomainError):
        _refund(payment.id)
    assert _stored(payment.id)[0].status == "autorise"


def test_status_query_reads_the_psp_state(sandbox, authorised):
    payment = authorised(cancel_order=False)
    with session_scope() as session:
        state = aio.run(query_payment_status(session, payment.id))
    assert state.ok and state.transaction_status == "TO_CAPTURE"
    assert (state.amount_cents, state.current_amount_cents) == (payment.amount_cents, payment.amount_cents)
