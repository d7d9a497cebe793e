"""Worldline Direct over real HTTP: payment link → the sandbox's hosted checkout (created by the
SDK) → the customer's return and the signed webhooks on our routes → status in the database.
Refunds through the SDK, and a Sips-era payment of a point of sale now on Direct refunded
through Sips Office."""

from __future__ import annotations

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from epay_app.models import DirectCheckout, EPayment, EPaymentEvent, OutboxMail
from epay_app.services.demo.demo_data import DEMO_DIRECT
from epay_app.services.payment.paylinks import pay_url
from tests.support.aio import run
from tests.support.direct_messages import WEBHOOK, sign, webhook_body, webhook_headers

pytestmark = pytest.mark.usefixtures("sandbox", "api_server")

APPROVED, DECLINED = "4330264936344675", "5168645305790452"
CHALLENGE = "4874970686672022"


def _payment(db, payment_id) -> EPayment:
    db.rollback()
    return db.get(EPayment, payment_id)


def _events(db, payment_id) -> list[EPaymentEvent]:
    db.rollback()
    return list(
        db.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == payment_id).order_by(EPaymentEvent.id)).all()
    )


def _mails(db, payment_id) -> list[OutboxMail]:
    db.rollback()
    return list(db.exec(select(OutboxMail).where(OutboxMail.payment_id == payment_id)).all())


def _checkouts(db, payment_id) -> list[DirectCheckout]:
    db.rollback()
    return list(db.exec(select(DirectCheckout).where(DirectCheckout.payment_id == payment_id)).all())


def _until(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def _hosted_form(page: httpx.Response, parse_forms):
    forms = [
        (action, fields)
        for action, fields in parse_forms(page.text, str(page.url))
        if "cardNumber" in fields or action.endswith("/pay")
    ]
    assert forms, page.text[:500]
    return forms[0]


def _open(psp_customer, payment) -> httpx.Response:
    page = psp_customer.http.get(pay_url(payment))
    assert page.status_code == 200, page.text[:300]
    assert "Paiement traité par <strong>WORLDLINE</strong>" in page.text
    return page


def _pay(psp_customer, parse_forms, payment, card=APPROVED, action="pay") -> httpx.Response:
    """The customer fills the hosted checkout and is sent back to our return route."""
    page = _open(psp_customer, payment)
    url, fields = _hosted_form(page, parse_forms)
    fields.update(
        cardholderName="PATRICK PONS", cardNumber=card, expiryMonth="12", expiryYear="2030", cvv="123", action=action
    )
    answer = psp_customer.http.post(url, data=fields)
    if "Authentification 3-D Secure" in answer.text:  # the challenge page: the customer confirms
        challenge_url, challenge = parse_forms(answer.text, str(answer.url))[0]
        answer = psp_customer.http.post(challenge_url, data={**challenge, "otp": "123456", "action": "validate"})
    return answer


def _post_webhook(api_server, body: bytes, signature: str | None = None, key_id=DEMO_DIRECT["webhook_key_id"]):
    return httpx.post(
        f"{api_server}{WEBHOOK}", content=body, headers=webhook_headers(body, signature, key_id), timeout=20
    )


def test_pay_link_redirects_to_a_hosted_checkout_and_reuses_it(psp_customer, make_direct_payment, db):
    payment = make_direct_payment(50_000)
    first = psp_customer.http.get(pay_url(payment), follow_redirects=False)
    second = psp_customer.http.get(pay_url(payment), follow_redirects=False)

    assert first.status_code == 303 and second.status_code == 303
    assert first.headers["location"] == second.headers["location"]  # the live checkout, not a new one
    checkouts = _checkouts(db, payment.id)
    assert len(checkouts) == 1
    # RETURNMAC is stored encrypted and never appears in what the browser gets.
    assert checkouts[0].return_mac_ciphertext and "RETURNMAC" not in first.headers["location"]


def test_accepted_card_authorises_once_with_one_confirmation(psp_customer, parse_forms, make_direct_payment, db):
    payment = make_direct_payment(50_000)
    result = _pay(psp_customer, parse_forms, payment)

    assert result.status_code == 200 and "Paiement accepté" in result.text
    assert payment.reference in result.text and "500,00 €" in result.text
    stored = _payment(db, payment.id)
    assert stored.status == "autorise"
    assert stored.psp_masked_pan.endswith("4675")
    # The webhook of the same payment arrives too: recorded, no second transition, no second mail.
    _until(lambda: any(e.source == "psp:webhook" for e in _events(db, payment.id)))
    transitions = [e for e in _events(db, payment.id) if e.from_status != e.to_status]
    assert [(e.from_status, e.to_status) for e in transitions] == [("envoye", "autorise")]
    assert [m.kind for m in _mails(db, payment.id)] == ["payment_confirmation"]
    assert _checkouts(db, payment.id)[0].psp_payment_id


@pytest.mark.parametrize(
    "card, action, status, title",
    [
        (DECLINED, "pay", "rejete", "Paiement refusé"),
        (APPROVED, "cancel", "annule", "Paiement annulé"),
        (CHALLENGE, "pay", "autorise", "Paiement accepté"),
    ],
)
def test_declined_cancelled_and_3ds_checkouts(
    psp_customer, parse_forms, make_direct_payment, db, card, action, status, title
):
    payment = make_direct_payment()
    result = _pay(psp_customer, parse_forms, payment, card, action)

    assert title in result.text
    assert _payment(db, payment.id).status == status


def test_return_before_webhook_is_applied_from_the_platform(
    psp_customer, parse_forms, make_direct_payment, db, sandbox
):
    payment = make_direct_payment()
    r = httpx.post(f"{sandbox}/_sandbox/direct/faults", json={"merchantReference": payment.reference, "drop": True})
    assert r.status_code == 200, r.text
    result = _pay(psp_customer, parse_forms, payment)

    assert "Paiement accepté" in result.text
    assert [e.source for e in _events(db, payment.id)] == ["psp:return"]


def test_forged_returnmac_changes_nothing(psp_customer, make_direct_payment, db, api_server):
    payment = make_direct_payment()
    _open(psp_customer, payment)
    checkout = _checkouts(db, payment.id)[0]
    r = httpx.get(
        f"{api_server}/api/psp/direct/return",
        params={"hostedCheckoutId": checkout.hosted_checkout_id, "RETURNMAC": str(uuid.uuid4())},
    )

    assert r.status_code == 400 and "Réponse de paiement invalide" in r.text
    assert _payment(db, payment.id).status == "envoye" and _events(db, payment.id) == []


@pytest.mark.parametrize(
    "query", [{}, {"hostedCheckoutId": "0", "RETURNMAC": "x"}, {"hostedCheckoutId": "\x00", "RETURNMAC": "é" * 300}]
)
def test_bad_return_queries_are_refused_without_a_500(api_server, query):
    r = httpx.get(f"{api_server}/api/psp/direct/return", params=query)
    assert r.status_code in (400, 404) and "<html" in r.text


def test_webhook_duplicated_and_shuffled_by_eight_senders_applies_once(make_direct_payment, db, api_server):
    payment = make_direct_payment()
    bodies = [webhook_body(payment, event_id="evt-captured")] * 10 + [
        webhook_body(payment, status="PENDING_CAPTURE", code=5, event_id="evt-pending")
    ] * 10
    random.Random(7).shuffle(bodies)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda body: _post_webhook(api_server, body).status_code, bodies))

    assert set(answers) == {200}
    assert _payment(db, payment.id).status == "autorise"
    events = _events(db, payment.id)
    assert len([e for e in events if e.to_status != e.from_status]) == 1
    assert len(events) == 2  # one per event id: the repeats were recognised
    assert [m.kind for m in _mails(db, payment.id)] == ["payment_confirmation"]


def test_an_older_event_never_moves_a_payment_back(make_direct_payment, db, api_server):
    payment = make_direct_payment()
    assert _post_webhook(api_server, webhook_body(payment)).status_code == 200
    assert _post_webhook(api_server, webhook_body(payment, status="REJECTED", code=2)).status_code == 200
    assert _post_webhook(api_server, webhook_body(payment, status="CREATED", code=0)).status_code == 200
    assert _payment(db, payment.id).status == "autorise"


@pytest.mark.parametrize(
    "signature, key_id",
    [
        ("AAAA", DEMO_DIRECT["webhook_key_id"]),
        ("", DEMO_DIRECT["webhook_key_id"]),
        (None, "UNKNOWNKEY"),
    ],
)
def test_badly_signed_webhooks_are_refused_and_change_nothing(make_direct_payment, db, api_server, signature, key_id):
    payment = make_direct_payment()
    r = _post_webhook(api_server, webhook_body(payment), signature=signature, key_id=key_id)
    assert 400 <= r.status_code < 500
    assert _payment(db, payment.id).status == "envoye" and _events(db, payment.id) == []


def test_webhook_signed_with_another_secret_is_refused(make_direct_payment, db, api_server):
    payment = make_direct_payment()
    body = webhook_body(payment)
    r = _post_webhook(api_server, body, signature=sign(body, "not-the-secret"))
    assert r.status_code == 400 and _payment(db, payment.id).status == "envoye"


@pytest.mark.parametrize(
    "overrides, problem",
    [
        ({"amount": 1}, "Montant reçu 1"),
        ({"currency": "USD"}, "Devise reçue USD"),
        ({"merchant": "anothershop"}, "Commerçant anothershop"),
    ],
)
def test_amount_currency_or_merchant_mismatch_is_an_error(make_direct_payment, db, api_server, overrides, problem):
    payment = make_direct_payment()
    assert _post_webhook(api_server, webhook_body(payment, **overrides)).status_code == 200
    stored = _payment(db, payment.id)
    assert stored.status == "erreur" and problem in stored.psp_last_error
    assert _mails(db, payment.id) == []


def test_a_payment_of_a_sips_point_of_sale_is_unknown_to_direct_webhooks(make_payment, db, api_server):
    payment = make_payment()  # point of sale 61: Sips, no Direct webhook key
    r = _post_webhook(api_server, webhook_body(payment))
    assert r.status_code == 404 and _payment(db, payment.id).status == "envoye"


def _to_refund(db, payment_id):
    from epay_app.db import session_scope
    from epay_app.domain.statuses import PaymentStatus
    from epay_app.services.payment.payments import change_status, lock_payment

    with session_scope() as session:
        change_status(
            session, lock_payment(session, payment_id), PaymentStatus.A_REMBOURSER, source="user", actor="test"
        )


def _refund(payment_id):
    from epay_app.db import session_scope
    from epay_app.services.payment.refunds import refund_payment

    async def go():
        with session_scope() as session:
            return await refund_payment(session, payment_id, "Vendeur TEST")

    return run(go())


def test_refund_of_a_direct_payment_goes_through_the_sdk(psp_customer, parse_forms, make_direct_payment, db):
    payment = make_direct_payment()
    assert "Paiement accepté" in _pay(psp_customer, parse_forms, payment).text
    _to_refund(db, payment.id)

    result = _refund(payment.id)

    assert result.ok, result.message
    assert _payment(db, payment.id).status == "rembourse"
    office = [e for e in _events(db, payment.id) if e.source == "psp:office"]
    assert office[-1].to_status == "rembourse" and "refund" in office[-1].raw
    # Asked again, the platform refuses a second refund; ours says it is already done.
    assert _refund(payment.id).message == "Cet e-Paiement est déjà remboursé."


def test_sips_era_payment_of_a_point_of_sale_now_on_direct_is_refunded_through_sips_office(
    psp_customer, parse_forms, make_direct_payment, db, sandbox, api_server
):
    """Paid through Sips before its point of sale moved to Direct (the Sips Paypage posted by
    hand, as the app did then): refunded with the Sips credentials the configuration kept."""
    from epay_app.psp import sips_codec as codec
    from tests.integration.conftest import DEMO_KEY, DEMO_MERCHANT

    payment = make_direct_payment()
    data = codec.encode_data(
        {
            "amount": payment.amount_cents,
            "currencyCode": "978",
            "merchantId": DEMO_MERCHANT,
            "normalReturnUrl": f"{api_server}/api/psp/sips/return",
            "automaticResponseUrl": f"{api_server}/api/psp/sips/notify",
            "transactionReference": payment.psp_reference,
            "orderId": payment.reference,
            "keyVersion": 1,
            "customerLanguage": "fr",
            "orderChannel": "INTERNET",
            "captureMode": "AUTHOR_CAPTURE",
        }
    )
    form = {
        "Data": data,
        "InterfaceVersion": codec.PAYPAGE_INTERFACE,
        "Seal": codec.paypage_seal(data, DEMO_KEY),
        "SealAlgorithm": codec.HMAC_SHA256,
    }
    page = psp_customer.http.post(f"{sandbox}/paymentInit", data=form)
    action, _ = parse_forms(page.text, str(page.url))[0]
    psp_customer.http.post(
        action,
        data={
            "holder": "P PONS",
            "card_number": "4100000000000000",
            "exp_month": "12",
            "exp_year": "2099",
            "cvc": "123",
        },
    )
    _until(lambda: _payment(db, payment.id).status == "autorise")
    _to_refund(db, payment.id)

    result = _refund(payment.id)

    assert result.ok, result.message
    assert _payment(db, payment.id).status == "rembourse"
    assert _checkouts(db, payment.id) == []  # never a Direct payment


def test_reconciliation_applies_a_direct_payment_whose_return_and_webhooks_were_lost(
    psp_customer, parse_forms, make_direct_payment, db, sandbox
):
    from datetime import timedelta

    from epay_app.services.payment.reconciliation import reconcile_pending

    paid, never_opened = make_direct_payment(), make_direct_payment()
    r = httpx.post(f"{sandbox}/_sandbox/direct/faults", json={"merchantReference": paid.reference, "drop": True})
    assert r.status_code == 200, r.text
    url, fields = _hosted_form(_open(psp_customer, paid), parse_forms)
    fields.update(
        cardholderName="P PONS", cardNumber=APPROVED, expiryMonth="12", expiryYear="2030", cvv="123", action="pay"
    )
    lost = psp_customer.http.post(url, data=fields, follow_redirects=False)  # the browser never comes back
    assert lost.status_code == 303 and "RETURNMAC=" in lost.headers["location"]
    assert _payment(db, paid.id).status == "envoye"

    report = run(reconcile_pending(older_than=timedelta(0)))

    assert report.changed.get(paid.reference) == "autorise"
    assert _payment(db, paid.id).status == "autorise"
    assert [e.source for e in _events(db, paid.id)] == ["psp:reconciliation"]
    assert [m.kind for m in _mails(db, paid.id)] == ["payment_confirmation"]
    # A payment whose link was never opened has nothing at the PSP: it stays Envoyé.
    assert never_opened.reference not in report.changed
    assert _payment(db, never_opened.id).status == "envoye"
