"""R1 — replay: every signed response delivered 10 times to the automatic-response route, in
shuffled order, by 8 concurrent senders over real HTTP, mixed with browser returns of the same
Data, ends exactly as one delivery of each message does: same status, same events, one
confirmation e-mail, no message lost, never a 500 (SQLite and PostgreSQL).

Messages come from two places: sealed here with the app's codec (every response code and
mismatch, base64 and legacy seals), and captured from the sandbox's hosted page (real card
payments; the sandbox's own automatic response is dropped so the replay decides everything).
"""

from __future__ import annotations

import collections
import queue
import random
import threading

import httpx
import pytest

from epay_app.services.payment.paylinks import pay_url
from tests.support import state
from tests.support.other_merchant import ensure_other_point_of_sale
from tests.support.sips_messages import NOTIFY, RETURN, idempotency_key, signed_response

pytestmark = pytest.mark.usefixtures("sandbox", "api_server")

NOTIFY_COPIES = 10  # every message, 10 times to the automatic-response route
RETURN_COPIES = 3  # and a few browser returns with the same Data
SENDERS = 8
REPLAYED_PAYMENTS = 2  # per scenario, besides the single-delivery control payment


def _sandbox_capture(card: str | None):
    """A response captured from the sandbox's hosted page (card number, or None: "Annulation")."""

    def build(payment, ctx):
        reference = payment.psp_reference
        r = httpx.post(f"{ctx['sandbox']}/_sandbox/faults", json={"transactionReference": reference, "drop": True})
        assert r.status_code == 200, r.text
        browser = ctx["psp_customer"]
        page = browser.open_link(pay_url(payment))
        assert page.status_code == 200, page.text
        psp_page = browser.cancel(page) if card is None else browser.submit_card(page, card)
        [(action, form)] = ctx["parse_forms"](psp_page.text, str(psp_page.url))
        assert action.endswith(RETURN) and form["Seal"]
        return [form]

    return build


def _sealed(*codes: str, **options):
    def build(payment, ctx):
        return [signed_response(payment, code, **options) for code in codes]

    return build


# name → (messages, expected status, expected transitions, confirmation mails)
E, A, R, C, X = "envoye", "autorise", "rejete", "annule", "erreur"
SCENARIOS = {
    "accepted_00": (_sealed("00"), A, [(E, A)], 1),
    "accepted_base64": (_sealed("00", encode=True), A, [(E, A)], 1),
    "accepted_legacy_seal": (_sealed("00", legacy=True), A, [(E, A)], 1),
    "refused_05": (_sealed("05"), R, [(E, R)], 0),
    "cancelled_17": (_sealed("17"), C, [(E, C)], 0),
    "session_expired_97": (_sealed("97"), C, [(E, C)], 0),
    "server_problem_99": (_sealed("99"), X, [(E, X)], 0),
    "fraud_suspicion_34": (_sealed("34"), X, [(E, X)], 0),
    "pending_60": (_sealed("60"), E, [], 0),
    "pending_60_then_00": (_sealed("60", "00"), A, [(E, A)], 1),
    "amount_mismatch": (_sealed("00", amount_cents=49_999), X, [(E, X)], 0),
    "currency_mismatch": (_sealed("00", currency_code="840"), X, [(E, X)], 0),
    "order_id_mismatch": (_sealed("00", order_id="00045_000061_20000099999_1"), X, [(E, X)], 0),
    # Another merchant's sealed message is refused (403), not acknowledged: test_cross_merchant_sips.py
    "sandbox_card_accepted": (_sandbox_capture("4100000000000000"), A, [(E, A)], 1),
    "sandbox_card_refused": (_sandbox_capture("4100000000000005"), R, [(E, R)], 0),
    "sandbox_card_server_problem": (_sandbox_capture("4100000000000099"), X, [(E, X)], 0),
    "sandbox_annulation": (_sandbox_capture(None), C, [(E, C)], 0),
}


@pytest.fixture
def ctx(sandbox, psp_customer, parse_forms, migrated_db_url, demo_point_of_sale):
    return {
        "sandbox": sandbox,
        "psp_customer": psp_customer,
        "parse_forms": parse_forms,
        "other_merchant": ensure_other_point_of_sale(migrated_db_url, demo_point_of_sale["entity_id"]),
    }


def _post(client: httpx.Client, base: str, path: str, form: dict[str, str]) -> tuple[int, str]:
    response = client.post(base + path, data=form)
    return response.status_code, response.text


def _storm(base: str, deliveries: list[tuple[str, dict[str, str]]]) -> list[tuple[str, int, str]]:
    """Deliver everything with SENDERS concurrent senders, each with its own connection pool."""
    work: queue.Queue = queue.Queue()
    for item in deliveries:
        work.put(item)
    answers: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def sender():
        with httpx.Client(timeout=60) as client:
            while True:
                try:
                    path, form = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    code, body = _post(client, base, path, form)
                except httpx.HTTPError as exc:  # a dropped connection counts as a failure
                    code, body = -1, repr(exc)
                with lock:
                    answers.append((path, code, body))

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a sender is stuck"
    return answers


def test_every_outcome_replayed_concurrently_ends_as_a_single_delivery(api_server, make_payment, migrated_db_url, ctx):
    rng = random.Random(20250314)
    controls, replayed = {}, {}
    deliveries = []
    for name, (build, *_expected) in SCENARIOS.items():
        # Control: each distinct message delivered once, in order, one after the other.
        control = make_payment(50_000)
        with httpx.Client(timeout=30) as client:
            for form in build(control, ctx):
                assert _post(client, api_server, NOTIFY, form)[0] == 200
        controls[name] = control
        for _ in range(REPLAYED_PAYMENTS):
            payment = make_payment(50_000)
            messages = build(payment, ctx)
            replayed.setdefault(name, []).append((payment, messages))
            for form in messages:
                deliveries += [(NOTIFY, form)] * NOTIFY_COPIES + [(RETURN, form)] * RETURN_COPIES
    rng.shuffle(deliveries)

    answers = _storm(api_server, deliveries)

    assert len(answers) == len(deliveries), "a delivery got no answer"
    codes = collections.Counter(code for _, code, _ in answers)
    assert codes == {200: len(deliveries)}, f"every delivery must be acknowledged, got {dict(codes)}"
    unreadable = [body for path, _, body in answers if path == RETURN and "Réponse de paiement invalide" in body]
    assert unreadable == []

    for name, (_build, status, transitions, mails) in SCENARIOS.items():
        expected = state.outcome(migrated_db_url, controls[name].id)
        assert expected.status == status, name
        assert expected.transitions == transitions, name
        assert len([m for m in expected.mails if m[0] == "payment_confirmation"]) == mails, name
        for payment, messages in replayed[name]:
            seen = state.outcome(migrated_db_url, payment.id)
            assert seen.status == status, f"{name}: {seen.status} after replay, {status} after one delivery"
            assert len(seen.events) == len(expected.events), f"{name}: {seen.events} vs {expected.events}"
            assert seen.transitions == transitions, name
            # Nothing lost, nothing doubled: one event per distinct message, whatever the order.
            assert sorted(seen.keys) == sorted(idempotency_key(form) for form in messages), name
            confirmations = [key for kind, key in seen.mails if kind == "payment_confirmation"]
            assert confirmations == [f"confirmation:{payment.id}"] * mails, name
            assert seen.mails == tuple(m for m in seen.mails if m[0] == "payment_confirmation")


def test_replay_after_a_refund_request_changes_nothing(api_server, make_payment, migrated_db_url):
    """Old notifications keep arriving after the order was cancelled: the payment stays
    "À rembourser" and no second confirmation is queued."""
    from epay_app.db import session_scope
    from epay_app.services.payment.refunds import cancel_order_payment

    payment = make_payment(50_000)
    accepted, late_cancel = signed_response(payment, "00"), signed_response(payment, "17")
    with httpx.Client(timeout=30) as client:
        assert _post(client, api_server, NOTIFY, accepted)[0] == 200
    with session_scope(migrated_db_url) as session:
        assert len(cancel_order_payment(session, payment.order_id, "Directeur Test")) == 1
    before = state.outcome(migrated_db_url, payment.id)

    deliveries = [(NOTIFY, accepted)] * NOTIFY_COPIES + [(RETURN, accepted)] * RETURN_COPIES
    answers = _storm(api_server, deliveries)
    assert collections.Counter(code for _, code, _ in answers) == {200: len(deliveries)}
    assert state.outcome(migrated_db_url, payment.id) == before

    # A late "17" is a new message: recorded once, refused as a transition.
    answers = _storm(api_server, [(NOTIFY, late_cancel)] * NOTIFY_COPIES)
    assert collections.Counter(code for _, code, _ in answers) == {200: NOTIFY_COPIES}
    after = state.outcome(migrated_db_url, payment.id)
    assert after.status == "a_rembourser"
    assert len(after.events) == len(before.events) + 1 and after.mails == before.mails
