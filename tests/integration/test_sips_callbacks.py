"""The whole payment path over real HTTP: payment link → sandbox hosted page → automatic
response and psp_customer return to our routes → status in the database."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlmodel import select

from epay_app.models import EPayment, EPaymentEvent, OutboxMail
from epay_app.psp import sips_codec as codec
from epay_app.services.payment.paylinks import pay_url

pytestmark = pytest.mark.usefixtures("sandbox", "api_server")

DEMO_MERCHANT, DEMO_KEY = "002001000000002", "002001000000002_KEY1"


def _payment(db, payment_id) -> EPayment:
    db.rollback()
    return db.get(EPayment, payment_id)


def _events(db, payment_id) -> list[EPaymentEvent]:
    db.rollback()
    return list(
        db.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == payment_id).order_by(EPaymentEvent.id)).all()
    )


def _faults(sandbox, payment, **knobs):
    r = httpx.post(f"{sandbox}/_sandbox/faults", json={"transactionReference": payment.psp_reference, **knobs})
    assert r.status_code == 200, r.text


def _pay(psp_customer, payment, card="4100000000000000"):
    page = psp_customer.open_link(pay_url(payment))
    assert page.status_code == 200 and "Oui, je confirme mon paiement" in page.text
    return psp_customer.submit_card(page, card)


def _signed_response(payment, **overrides) -> dict[str, str]:
    """A response as Worldline would seal it for the demo merchant."""
    fields = {
        "merchantId": DEMO_MERCHANT,
        "keyVersion": "1",
        "transactionReference": payment.psp_reference,
        "orderId": payment.reference,
        "amount": str(payment.amount_cents),
        "currencyCode": "978",
        "responseCode": "00",
        "authorisationId": "654321",
    }
    fields.update(overrides)
    data = codec.encode_data(fields)
    return {"Data": data, "Seal": codec.paypage_seal(data, DEMO_KEY), "InterfaceVersion": "HP_2.31"}


def test_accepted_card_authorises_once_and_queues_the_confirmation(psp_customer, make_payment, db):
    payment = make_payment(50_000)
    psp_page = _pay(psp_customer, payment)
    result = psp_customer.follow_return(psp_page)

    assert result.status_code == 200
    assert "Paiement accepté" in result.text
    assert payment.reference in result.text and "500,00 €" in result.text
    stored = _payment(db, payment.id)
    assert stored.status == "autorise"
    assert stored.psp_response_code == "00" and stored.psp_masked_pan.startswith("4100")
    events = _events(db, payment.id)
    assert [(e.source, e.to_status, e.psp_code) for e in events] == [("psp:notify", "autorise", "00")]
    assert "responseCode=00" in events[0].raw
    db.rollback()
    mails = db.exec(select(OutboxMail).where(OutboxMail.payment_id == payment.id)).all()
    assert [m.kind for m in mails] == ["payment_confirmation"]


@pytest.mark.parametrize(
    "card, status, title",
    [
        ("4100000000000005", "rejete", "Paiement refusé"),
        ("4100000000000099", "erreur", "Paiement en erreur"),
    ],
)
def test_refused_and_error_cards(psp_customer, make_payment, db, card, status, title):
    payment = make_payment()
    result = psp_customer.follow_return(_pay(psp_customer, payment, card))
    assert title in result.text
    assert _payment(db, payment.id).status == status
    assert db.exec(select(OutboxMail).where(OutboxMail.payment_id == payment.id)).all() == []


def test_annulation_cancels_the_payment(psp_customer, make_payment, db):
    payment = make_payment()
    page = psp_customer.open_link(pay_url(payment))
    result = psp_customer.follow_return(psp_customer.cancel(page))
    assert "Paiement annulé" in result.text
    assert _payment(db, payment.id).status == "annule"
    assert _events(db, payment.id)[0].psp_code == "17"


def test_bad_seal_is_refused_and_changes_nothing(api_server, make_payment, db):
    payment = make_payment()
    form = _signed_response(payment)
    form["Data"] = form["Data"].replace("amount=50000", "amount=1")  # tampered after sealing
    for path in ("/api/psp/sips/notify", "/api/psp/sips/return"):
        assert httpx.post(api_server + path, data=form).status_code == 400
    forged = _signed_response(payment)
    forged["Seal"] = codec.paypage_seal(forged["Data"], "not the merchant key")
    assert httpx.post(api_server + "/api/psp/sips/notify", data=forged).status_code == 400
    assert httpx.post(api_server + "/api/psp/sips/notify", data={"Data": "garbage"}).status_code == 400
    assert _payment(db, payment.id).status == "envoye"
    assert _events(db, payment.id) == []


def test_routes_accept_only_bounded_posts(api_server):
    assert httpx.get(api_server + "/api/psp/sips/notify").status_code == 405
    big = {"Data": "x" * 70_000}
    assert httpx.post(api_server + "/api/psp/sips/notify", data=big).status_code == 413


def test_amount_mismatch_puts_the_payment_in_error(api_server, make_payment, db):
    payment = make_payment(50_000)
    r = httpx.post(api_server + "/api/psp/sips/notify", data=_signed_response(payment, amount="40000"))
    assert r.status_code == 200
    stored = _payment(db, payment.id)
    assert stored.status == "erreur" and "Montant" in stored.psp_last_error
    [event] = _events(db, payment.id)
    assert event.to_status == "erreur" and "Montant reçu 40000" in event.raw


def test_duplicate_notifications_change_nothing(sandbox, api_server, psp_customer, make_payment, db, parse_forms):
    payment = make_payment()
    _faults(sandbox, payment, duplicate=2)
    psp_page = _pay(psp_customer, payment)
    info = httpx.get(f"{sandbox}/_sandbox/transactions/{payment.psp_reference}").json()
    assert info["notificationsDelivered"] == 3
    # …and once more by hand, then the psp_customer's return with the same Data.
    form = parse_forms(psp_page.text)[0][1]
    assert httpx.post(api_server + "/api/psp/sips/notify", data=form).status_code == 200
    assert "Paiement accepté" in psp_customer.follow_return(psp_page).text
    assert len(_events(db, payment.id)) == 1
    assert len(db.exec(select(OutboxMail).where(OutboxMail.payment_id == payment.id)).all()) == 1


def test_return_before_notification_is_verified_and_applied_once(sandbox, psp_customer, make_payment, db):
    payment = make_payment()
    _faults(sandbox, payment, return_first=True, delay=0.5)
    result = psp_customer.follow_return(_pay(psp_customer, payment))
    assert "Paiement accepté" in result.text
    assert [e.source for e in _events(db, payment.id)] == ["psp:return"]
    deadline = time.monotonic() + 10
    url = f"{sandbox}/_sandbox/transactions/{payment.psp_reference}"
    while httpx.get(url).json()["notificationsDelivered"] < 1:
        assert time.monotonic() < deadline, "the automatic response never arrived"
        time.sleep(0.1)
    assert len(_events(db, payment.id)) == 1
    assert _payment(db, payment.id).status == "autorise"


def test_dropped_notification_leaves_the_signed_return_to_apply(sandbox, psp_customer, make_payment, db):
    payment = make_payment()
    _faults(sandbox, payment, drop=True)
    psp_page = _pay(psp_customer, payment, "4100000000000005")
    assert _payment(db, payment.id).status == "envoye"
    assert "Paiement refusé" in psp_customer.follow_return(psp_page).text
    assert _payment(db, payment.id).status == "rejete"


def test_late_cancellation_after_authorisation_is_recorded_not_applied(api_server, make_payment, db):
    payment = make_payment()
    notify = api_server + "/api/psp/sips/notify"
    assert httpx.post(notify, data=_signed_response(payment)).status_code == 200
    assert httpx.post(notify, data=_signed_response(payment, responseCode="17")).status_code == 200
    assert _payment(db, payment.id).status == "autorise"
    assert [(e.to_status, e.psp_code) for e in _events(db, payment.id)] == [("autorise", "00"), ("autorise", "17")]


def test_concurrent_deliveries_apply_once(api_server, make_payment, db):
    payment = make_payment()
    form = _signed_response(payment)
    codes: list[int] = []

    def deliver(path):
        codes.append(httpx.post(api_server + path, data=form, timeout=30).status_code)

    threads = [
        threading.Thread(target=deliver, args=(p,)) for p in ["/api/psp/sips/notify", "/api/psp/sips/return"] * 4
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 8
    assert len(_events(db, payment.id)) == 1


def test_pending_code_60_keeps_the_payment_sent(api_server, make_payment, db):
    payment = make_payment()
    r = httpx.post(api_server + "/api/psp/sips/return", data=_signed_response(payment, responseCode="60"))
    assert "Paiement en cours de traitement" in r.text
    assert _payment(db, payment.id).status == "envoye"
