"""R3 — the PSP's Office API fails during a refund: the payment stays "À rembourser" with the
error recorded (psp_last_error and an event), a later try succeeds, and the PSP carries out
exactly one refund or cancellation — even when the first one happened and its answer was lost.

The app talks to tests.support.flaky_office, which forwards to the sandbox or fails on purpose
and counts what reached the sandbox; the sandbox's own `office_lost_response` knob plays the
"done, then 503" answer.
"""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlmodel import select

from epay_app.config import get_settings
from epay_app.db import session_scope
from epay_app.models import EPayment, EPaymentEvent
from epay_app.services.payment.paylinks import pay_url
from epay_app.services.payment.refunds import cancel_order_payment, refund_payment
from tests.support import aio
from tests.support.flaky_office import FlakyOffice

pytestmark = pytest.mark.usefixtures("sandbox", "api_server")

TIMEOUT = 0.5  # the app's Office timeout during the faulty attempt; the office hangs longer


@pytest.fixture(scope="module")
def _running_office(sandbox):
    flaky = FlakyOffice(sandbox)
    with flaky.serve():
        yield flaky


@pytest.fixture
def office(_running_office, sandbox):
    _running_office.reset()
    yield _running_office
    httpx.delete(f"{sandbox}/_sandbox/faults")


@pytest.fixture
def to_refund(make_payment, psp_customer, sandbox):
    """A payment paid on the sandbox's page, its order then cancelled: "À rembourser".
    remitted=True: the sandbox has remitted it (refund); False: still to capture (cancel)."""

    def make(remitted: bool, amount_cents: int = 50_000) -> EPayment:
        payment = make_payment(amount_cents)
        page = psp_customer.open_link(pay_url(payment))
        psp_customer.follow_return(psp_customer.submit_card(page, "4100000000000000"))
        if remitted:
            httpx.post(f"{sandbox}/_sandbox/remit", json={"transactionReference": payment.psp_reference})
        with session_scope() as session:
            assert len(cancel_order_payment(session, payment.order_id, "Directeur Test")) == 1
        return payment

    return make


def _refund(payment_id: int, office_url: str, timeout: float = 5.0):
    settings = get_settings().model_copy(update={"psp_office_url": office_url, "psp_timeout_seconds": timeout})
    with session_scope() as session:
        return aio.run(refund_payment(session, payment_id, "Secrétaire Test", settings=settings))


def _stored(payment_id: int):
    with session_scope(write=False) as session:
        payment = session.get(EPayment, payment_id)
        events = session.exec(
            select(EPaymentEvent).where(EPaymentEvent.payment_id == payment_id).order_by(EPaymentEvent.id)
        ).all()
        return payment, list(events)


def _sandbox_txn(sandbox, payment) -> dict:
    return httpx.get(f"{sandbox}/_sandbox/transactions/{payment.psp_reference}").json()


# fault name → (office behaviours, sandbox knobs, words expected in psp_last_error)
FAULTS = {
    "office_503": ({"refund": "503", "cancel": "503", "getTransactionData": "503"}, {}, "HTTP 503"),
    "office_timeout": ({"refund": "hang", "cancel": "hang", "getTransactionData": "hang"}, {}, "injoignable"),
    "done_then_503": ({"getTransactionData": "503"}, {"office_lost_response": True}, "HTTP 503"),
    "done_then_timeout": (
        {"refund": "forward_hang", "cancel": "forward_hang", "getTransactionData": "hang"},
        {},
        "injoignable",
    ),
}


@pytest.mark.parametrize("remitted", [True, False], ids=["refund", "cancel"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_office_failure_keeps_to_refund_and_the_retry_gives_money_back_once(
    fault, remitted, office, to_refund, sandbox
):
    behaviours, knobs, error_words = FAULTS[fault]
    payment = to_refund(remitted)
    before = _sandbox_txn(sandbox, payment)
    office.set(**behaviours)
    if knobs:
        httpx.post(f"{sandbox}/_sandbox/faults", json={"transactionReference": payment.psp_reference, **knobs})

    failed = _refund(payment.id, office.base, timeout=TIMEOUT)

    assert not failed.ok and "échoué" in failed.message
    stored, events = _stored(payment.id)
    assert stored.status == "a_rembourser"
    assert error_words in stored.psp_last_error
    assert events[-1].source == "psp:office" and events[-1].to_status == "a_rembourser"
    assert error_words in events[-1].raw
    assert [e for e in events if e.source == "psp:office" and e.from_status != e.to_status] == []

    # The PSP is back (and the sandbox answers normally again).
    office.set()
    httpx.delete(f"{sandbox}/_sandbox/faults")
    retried = _refund(payment.id, office.base)
    assert retried.ok and retried.status.value == "rembourse"
    stored, events = _stored(payment.id)
    assert (stored.status, stored.psp_last_error) == ("rembourse", "")
    assert [(e.from_status, e.to_status) for e in events if e.from_status != e.to_status][-1] == (
        "a_rembourser",
        "rembourse",
    )

    # Exactly one operation carried out at the PSP, none asked for after it, the money back once.
    [applied] = office.applied()
    assert applied.operation == ("refund" if remitted else "cancel")
    operations = office.reached_sandbox("refund", "cancel")
    assert operations[-1] is applied, f"asked again after the PSP had done it: {operations}"
    txn = _sandbox_txn(sandbox, payment)
    if remitted:
        assert (txn["transactionStatus"], txn["refunded_amount"]) == ("CREDITED", payment.amount_cents)
    else:
        assert (txn["transactionStatus"], txn["current_amount"], txn["refunded_amount"]) == ("CANCELLED", 0, 0)
    assert txn["amount"] == before["amount"]

    # A third click changes nothing anywhere.
    assert _refund(payment.id, office.base).message == "Cet e-Paiement est déjà remboursé."
    assert len(office.applied()) == 1 and _sandbox_txn(sandbox, payment) == txn


def test_two_retries_at_once_after_a_lost_answer_give_money_back_once(office, to_refund, sandbox):
    payment = to_refund(True)
    office.set(refund="forward_hang", getTransactionData="hang")
    assert not _refund(payment.id, office.base, timeout=TIMEOUT).ok
    office.set()
    results = []
    threads = [threading.Thread(target=lambda: results.append(_refund(payment.id, office.base))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(r.status.value == "rembourse" for r in results) and len(results) == 2
    assert len(office.applied()) == 1
    assert _sandbox_txn(sandbox, payment)["refunded_amount"] == payment.amount_cents
    # Both retries asked the PSP first (the earlier try may have worked): neither refunded again.
    assert len(office.reached_sandbox("refund", "cancel")) == 1
