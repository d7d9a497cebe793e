"""F-61 over real HTTP: the sandbox PSP drops its automatic response, the customer never comes
back to our return page, and the reconciliation job repairs the status from getTransactionData."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from epay_app.config import get_settings
from epay_app.db import session_scope
from epay_app.domain.dates import as_utc, utcnow
from epay_app.models import EPayment, EPaymentEvent, OutboxMail, PaymentPspCheck, SalesOrder
from epay_app.psp.sips_statuses import status_for_code
from epay_app.services.payment.paylinks import pay_url
from epay_app.services.payment.reconciliation import reconcile_pending
from tests.support import aio
from tests.support.processes import ROOT
from tests.support.state import snapshot

from .test_sips_callbacks import _signed_response

pytestmark = pytest.mark.usefixtures("sandbox", "api_server")

LATER = timedelta(minutes=21)  # the PSP session (15 min) is surely over


def _drop_automatic_response(sandbox, payment):
    r = httpx.post(f"{sandbox}/_sandbox/faults", json={"transactionReference": payment.psp_reference, "drop": True})
    assert r.status_code == 200, r.text


def _pay_and_leave(psp_customer, payment, card="4100000000000000"):
    """The customer pays on the hosted page and closes the tab: no return to our site."""
    page = psp_customer.open_link(pay_url(payment))
    assert "Oui, je confirme mon paiement" in page.text
    return psp_customer.submit_card(page, card)


def _stored(db, payment_id) -> EPayment:
    db.rollback()
    return db.get(EPayment, payment_id)


def _checked_at(db, payment_id):
    db.rollback()
    check = db.get(PaymentPspCheck, payment_id)
    return None if check is None else as_utc(check.checked_at)


def _events(db, payment_id):
    db.rollback()
    return db.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == payment_id).order_by(EPaymentEvent.id)).all()


def _mails(db, payment_id):
    db.rollback()
    return [m.kind for m in db.exec(select(OutboxMail).where(OutboxMail.payment_id == payment_id))]


def _reconcile(now, **kwargs):
    return aio.run(reconcile_pending(session_scope, now, **kwargs))


def test_lost_automatic_response_is_repaired_once(sandbox, psp_customer, make_payment, db, migrated_db_url):
    payment = make_payment(50_000)
    _drop_automatic_response(sandbox, payment)
    _pay_and_leave(psp_customer, payment)
    assert _stored(db, payment.id).status == "envoye"  # nobody told us

    report = _reconcile(utcnow() + LATER)

    stored = _stored(db, payment.id)
    assert stored.status == "autorise" and stored.authorised_at is not None
    assert report.changed[payment.reference] == "autorise"
    [event] = _events(db, payment.id)
    assert (event.source, event.from_status, event.to_status, event.psp_code) == (
        "psp:reconciliation",
        "envoye",
        "autorise",
        "00",
    )
    assert '"transactionStatus": "TO_CAPTURE"' in event.raw or "TO_CAPTURE" in event.raw
    assert _mails(db, payment.id) == ["payment_confirmation"]

    before = snapshot(migrated_db_url)
    second = _reconcile(utcnow() + LATER)
    assert payment.reference not in second.changed
    assert snapshot(migrated_db_url) == before


def test_a_late_callback_after_reconciliation_changes_nothing(sandbox, api_server, psp_customer, make_payment, db):
    payment = make_payment()
    _drop_automatic_response(sandbox, payment)
    _pay_and_leave(psp_customer, payment)
    _reconcile(utcnow() + LATER)
    answer = httpx.post(f"{api_server}/api/psp/sips/notify", data=_signed_response(payment), timeout=10)
    assert answer.status_code == 200
    assert _stored(db, payment.id).status == "autorise"
    assert [e.to_status for e in _events(db, payment.id) if e.from_status != e.to_status] == ["autorise"]
    assert _mails(db, payment.id) == ["payment_confirmation"]


@pytest.mark.parametrize(
    "card, code, status", [("4100000000000005", "05", "rejete"), ("4100000000000099", "99", "erreur")]
)
def test_refused_payment_whose_response_was_lost(sandbox, psp_customer, make_payment, db, card, code, status):
    payment = make_payment()
    _drop_automatic_response(sandbox, payment)
    _pay_and_leave(psp_customer, payment, card)
    _reconcile(utcnow() + LATER)
    assert _stored(db, payment.id).status == status
    # one PSP fact, one status: the status the callback gives this code, from the transaction's own
    # responseCode (not getTransactionData's getTransDataResponseCode "00")
    assert status_for_code(code).value == status
    [event] = _events(db, payment.id)
    assert (event.source, event.to_status, event.psp_code) == ("psp:reconciliation", status, code)
    assert _mails(db, payment.id) == []


def test_cancelled_on_the_hosted_page_becomes_annule(sandbox, psp_customer, make_payment, db):
    payment = make_payment()
    _drop_automatic_response(sandbox, payment)
    page = psp_customer.open_link(pay_url(payment))
    psp_customer.cancel(page)  # "Annulation", then the tab is closed
    _reconcile(utcnow() + LATER)
    assert _stored(db, payment.id).status == "annule"


def test_a_payment_made_after_its_order_was_cancelled_becomes_a_rembourser(sandbox, psp_customer, make_payment, db):
    payment = make_payment()
    _drop_automatic_response(sandbox, payment)
    _pay_and_leave(psp_customer, payment)
    with session_scope() as s:
        order = s.get(SalesOrder, payment.order_id)
        order.status = "cancelled"
        s.add(order)
    _reconcile(utcnow() + LATER)
    assert _stored(db, payment.id).status == "a_rembourser"


def test_a_recent_payment_is_not_asked(sandbox, psp_customer, make_payment, db):
    payment = make_payment()
    _drop_automatic_response(sandbox, payment)
    _pay_and_leave(psp_customer, payment)
    _reconcile(utcnow() + timedelta(minutes=5))  # the customer may still be on the hosted page
    assert _stored(db, payment.id).status == "envoye" and _checked_at(db, payment.id) is None


def test_unknown_at_the_psp_stays_envoye_and_is_not_asked_again_after_its_link_died(make_payment, db):
    payment = make_payment(link_hours=1)  # the customer never opened the link
    t1 = utcnow() + LATER
    _reconcile(t1)
    assert _stored(db, payment.id).status == "envoye" and _checked_at(db, payment.id) == t1
    assert _events(db, payment.id) == []  # a check is no status change: no audit noise

    _reconcile(t1 + timedelta(minutes=10))  # asked again only after the recheck delay
    assert _checked_at(db, payment.id) == t1

    t2 = utcnow() + timedelta(hours=2)  # link expired 1 h ago: one last question…
    _reconcile(t2)
    assert _checked_at(db, payment.id) == t2
    _reconcile(utcnow() + timedelta(hours=5))  # …and no more: nothing can happen at the PSP now
    assert _checked_at(db, payment.id) == t2 and _stored(db, payment.id).status == "envoye"


def test_psp_unreachable_changes_nothing_and_is_retried(sandbox, psp_customer, make_payment, db):
    payment = make_payment()
    _drop_automatic_response(sandbox, payment)
    _pay_and_leave(psp_customer, payment)
    dead = get_settings().model_copy(update={"psp_office_url": "http://127.0.0.1:9", "psp_timeout_seconds": 1})
    report = _reconcile(utcnow() + LATER, settings=dead)
    assert _stored(db, payment.id).status == "envoye" and _checked_at(db, payment.id) is None
    assert report.unreachable >= 1
    _reconcile(utcnow() + LATER)  # the PSP is back
    assert _stored(db, payment.id).status == "autorise"


def test_command_line_once(sandbox, psp_customer, make_payment, db):
    payment = make_payment()
    _drop_automatic_response(sandbox, payment)
    _pay_and_leave(psp_customer, payment)
    done = subprocess.run(
        [sys.executable, "-m", "epay_app.services.payment.payment_jobs", "--once", "--older-than-minutes", "0"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"{payment.reference} → autorise" in done.stdout
    assert _stored(db, payment.id).status == "autorise"
