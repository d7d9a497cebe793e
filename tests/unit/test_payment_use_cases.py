"""The payment use cases on an in-memory unit of work and fake gateways: checkout, what the PSP
says (Sips automatic response, Worldline Direct webhook and return), refunds and reconciliation.
No HTTP, no Reflex, no server: the use-case functions themselves, on the app's migrated schema
(payment_world.py) and fakes of the typed gateway interface (fake_gateways.py). The integration
suites run the same use cases through the routes, the sandbox PSP and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from epay_app.domain.dates import utcnow
from epay_app.domain.errors import DomainError, ValidationError
from epay_app.domain.events import EventSource
from epay_app.domain.orders import OrderStatus
from epay_app.domain.references import PaymentKind, TransactionReference
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import DirectCheckout, EPayment, EPaymentEvent, OutboxMail, SalesOrder
from epay_app.psp.interface import (
    CheckoutState,
    DirectProtocol,
    MoneyBack,
    PspCallError,
    PspProtocol,
    SealError,
    SipsProtocol,
    TransactionState,
)
from epay_app.psp.sips_statuses import status_for_code
from epay_app.services.admin.secrets import decrypt_secret
from epay_app.services.payment import reconciliation, refunds
from epay_app.services.payment.callbacks import ForeignMerchant, apply_psp_response
from epay_app.services.payment.direct_payments import apply_return, apply_webhook
from epay_app.services.payment.paylink_checkout import start_link_checkout
from epay_app.services.payment.paylinks import make_token
from epay_app.services.payment.payments import PaymentNotFound
from epay_app.services.sales import checkout, orders
from tests.unit.fake_gateways import (
    Call,
    FakeDirectGateway,
    FakeSipsGateway,
    direct_payment,
    direct_webhook,
    sips_response,
)
from tests.unit.payment_world import (
    Dealer,
    MemoryDatabase,
    Merchant,
    Move,
    add_offer,
    add_point_of_sale,
    card_deposit,
    count,
    dealer_world,
    fresh_database,
    mails,
    moves,
    payment,
)

OFFER = 26837
# Stored codes, named once.
ORDER_PLACED = OrderStatus.PLACED.value
BY_USER = EventSource.USER.value
BY_NOTIFY, BY_RETURN, BY_WEBHOOK = (
    s.value for s in (EventSource.PSP_NOTIFY, EventSource.PSP_RETURN, EventSource.PSP_WEBHOOK)
)
BY_OFFICE = refunds.OFFICE_SOURCE
BY_RECONCILIATION = reconciliation.SOURCE
REQUEST, CONFIRMATION, REFUND_NOTICE = "payment_request", "payment_confirmation", "refund_notice"
SENT = Move(None, S.ENVOYE.value, BY_USER)  # the first event of every payment the checkout creates


# SQLAlchemy will pick QueuePool instead for a `mode=memory` URL one day: as good here, since the
# shared-cache database lives as long as payment_world's anchor connection.
pytestmark = pytest.mark.filterwarnings("ignore:Selection of the SingletonThreadPool:DeprecationWarning")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """No HTTP: a use case that reached for a real PSP fails the test instead of hanging on it."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("a use-case test opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def database() -> MemoryDatabase:
    return fresh_database()


@pytest.fixture
def now() -> datetime:
    return utcnow()


@pytest.fixture
def sips() -> FakeSipsGateway:
    return FakeSipsGateway()


@pytest.fixture
def direct() -> FakeDirectGateway:
    return FakeDirectGateway()


@pytest.fixture
def sips_dealer(database: MemoryDatabase) -> Dealer:
    return dealer_world(PspProtocol.SIPS2, OFFER)[1]


@pytest.fixture
def direct_dealer(database: MemoryDatabase) -> Dealer:
    return dealer_world(PspProtocol.DIRECT, OFFER)[1]


def _order(database: MemoryDatabase, dealer: Dealer, now: datetime, offer: int = OFFER) -> EPayment:
    """Through the checkout use case: order n°`offer`, a 500 € card deposit paid online."""
    with database() as s:
        validated = checkout.validate_order(
            s, offer_number=offer, form=card_deposit(now), user=dealer.seller(s), now=now
        )
        assert validated.payment is not None
        return validated.payment


@pytest.fixture
def sips_payment(database, sips_dealer, now) -> EPayment:
    return _order(database, sips_dealer, now)


@pytest.fixture
def direct_payment_sent(database, direct_dealer, now) -> EPayment:
    return _order(database, direct_dealer, now)


# ---------------------------------------------------------------- checkout


def test_validating_an_order_writes_the_order_its_payment_its_event_and_one_request_mail(
    database, sips_dealer, sips_payment
):
    stored = payment(database, sips_payment.id)
    assert (stored.status, stored.amount_cents, stored.attempt, stored.kind) == (
        S.ENVOYE.value,
        50_000,
        1,
        PaymentKind.DEPOSIT.value,
    )
    assert stored.reference == str(TransactionReference(45, 61, PaymentKind.DEPOSIT, OFFER, 1))
    with database(write=False) as s:
        order = s.exec(select(SalesOrder)).one()
        assert (order.number, order.status, order.deposit_online) == (OFFER, ORDER_PLACED, True)
        assert stored.order_id == order.id
    assert moves(database, sips_payment.id) == [SENT]
    assert mails(database) == [(REQUEST, sips_payment.id)]


def test_a_refused_form_writes_nothing(database, sips_dealer, now):
    with pytest.raises(ValidationError) as refused, database() as s:
        checkout.validate_order(
            s, offer_number=OFFER, form=card_deposit(now, amount="0"), user=sips_dealer.seller(s), now=now
        )
    assert "deposit_amount" in refused.value.errors
    assert [count(database, m) for m in (SalesOrder, EPayment, EPaymentEvent, OutboxMail)] == [0, 0, 0, 0]


def test_a_domain_error_after_the_order_was_written_rolls_the_whole_checkout_back(database, sips_dealer, now):
    # A payment already holds the reference the order's deposit would get: the order row is
    # flushed first, then the payment fails — nothing of the checkout may remain.
    with database() as s:
        add_offer(s, sips_dealer, 26838)
    squatter = _order(database, sips_dealer, now, offer=26838)
    with database() as s:
        row = s.get(EPayment, squatter.id)
        ref = TransactionReference(45, 61, PaymentKind.DEPOSIT, OFFER, 1)
        row.reference, row.psp_reference = str(ref), ref.psp_reference
        s.add(row)
    with pytest.raises(DomainError), database() as s:
        checkout.validate_order(s, offer_number=OFFER, form=card_deposit(now), user=sips_dealer.seller(s), now=now)
    with database(write=False) as s:
        assert s.exec(select(SalesOrder.number)).all() == [26838]
    assert count(database, EPayment) == 1 and count(database, EPaymentEvent) == 1
    assert mails(database) == [(REQUEST, squatter.id)]


def test_a_second_validation_of_the_same_offer_is_refused_and_changes_nothing(database, sips_dealer, sips_payment, now):
    with pytest.raises(checkout.OrderAlreadyExists), database() as s:
        checkout.validate_order(s, offer_number=OFFER, form=card_deposit(now), user=sips_dealer.seller(s), now=now)
    assert [count(database, m) for m in (SalesOrder, EPayment, EPaymentEvent, OutboxMail)] == [1, 1, 1, 1]


def test_a_new_attempt_after_a_refusal_is_a_new_payment_with_its_own_mail(database, sips, sips_dealer, sips_payment):
    _notify(database, sips, _sips_fields(sips_dealer.merchant, sips_payment, "05"))
    with database() as s:
        retry = checkout.new_attempt(s, order_number=OFFER, user=sips_dealer.seller(s))

    assert (retry.attempt, retry.reference) == (2, str(TransactionReference(45, 61, PaymentKind.DEPOSIT, OFFER, 2)))
    assert payment(database, retry.id).status == S.ENVOYE.value
    assert payment(database, sips_payment.id).status == S.REJETE.value  # the first attempt stays as it was
    assert moves(database, retry.id) == [SENT]
    assert mails(database) == [(REQUEST, sips_payment.id), (REQUEST, retry.id)]


def test_no_new_attempt_while_a_payment_is_pending(database, sips_dealer, sips_payment):
    with pytest.raises(DomainError), database() as s:
        checkout.new_attempt(s, order_number=OFFER, user=sips_dealer.seller(s))
    assert count(database, EPayment) == 1 and count(database, OutboxMail) == 1


# ---------------------------------------------------------------- Sips automatic response


def _notify(database, sips, fields, source=BY_NOTIFY):
    with database() as s:
        return apply_psp_response(s, fields, source, gateway=sips)


def _sips_fields(merchant: Merchant, p: EPayment, code: str = "00", **overrides: str) -> dict[str, str]:
    return sips_response(p, code, merchant_id=merchant.merchant_id, secret_key=merchant.secret_key, **overrides)


def test_a_sips_authorisation_moves_the_payment_once_and_its_replays_change_nothing(
    database, sips, sips_dealer, sips_payment
):
    fields = _sips_fields(sips_dealer.merchant, sips_payment)
    first = _notify(database, sips, fields)
    again = _notify(database, sips, fields)
    returned = _notify(database, sips, fields, BY_RETURN)  # the browser's return carries the same Data

    assert (first.outcome, first.status) == ("applied", S.AUTORISE)
    assert [again.outcome, returned.outcome] == ["duplicate", "duplicate"]
    stored = payment(database, sips_payment.id)
    assert (stored.status, stored.psp_response_code, stored.psp_authorisation_id) == (S.AUTORISE.value, "00", "A12345")
    assert moves(database, sips_payment.id) == [SENT, Move(S.ENVOYE.value, S.AUTORISE.value, BY_NOTIFY, "00")]
    assert mails(database) == [(REQUEST, sips_payment.id), (CONFIRMATION, sips_payment.id)]


def test_a_sips_refusal_rejects_the_payment_with_an_event_and_no_confirmation(
    database, sips, sips_dealer, sips_payment
):
    result = _notify(database, sips, _sips_fields(sips_dealer.merchant, sips_payment, "05"))

    assert (result.outcome, result.status) == ("applied", S.REJETE)
    assert payment(database, sips_payment.id).status == S.REJETE.value
    assert moves(database, sips_payment.id)[-1] == Move(S.ENVOYE.value, S.REJETE.value, BY_NOTIFY, "05")
    assert mails(database) == [(REQUEST, sips_payment.id)]


def test_a_sips_response_with_another_amount_puts_the_payment_in_error(database, sips, sips_dealer, sips_payment):
    result = _notify(database, sips, _sips_fields(sips_dealer.merchant, sips_payment, amount="100"))

    assert result.status is S.ERREUR
    stored = payment(database, sips_payment.id)
    assert stored.status == S.ERREUR.value and "Montant reçu 100" in stored.psp_last_error
    assert [m.to_status for m in moves(database, sips_payment.id)] == [S.ENVOYE.value, S.ERREUR.value]
    assert mails(database) == [(REQUEST, sips_payment.id)]


def test_a_sips_response_for_an_unknown_payment_changes_nothing(database, sips, sips_dealer, sips_payment):
    fields = _sips_fields(sips_dealer.merchant, sips_payment, transactionReference="000450000612000009999901")
    with pytest.raises(PaymentNotFound):
        _notify(database, sips, fields)
    assert payment(database, sips_payment.id).status == S.ENVOYE.value
    assert count(database, EPaymentEvent) == 1


def test_a_sips_response_sealed_by_another_of_our_merchants_is_refused(database, sips, sips_dealer, sips_payment):
    with database() as s:
        other = add_point_of_sale(s, sips_dealer.entity_id, 62, PspProtocol.SIPS2)
    with pytest.raises(ForeignMerchant):
        _notify(database, sips, _sips_fields(other, sips_payment))
    assert payment(database, sips_payment.id).status == S.ENVOYE.value
    assert moves(database, sips_payment.id) == [SENT]


def test_a_sips_response_sealed_with_a_wrong_key_is_refused(database, sips, sips_dealer, sips_payment):
    forged = sips_response(sips_payment, merchant_id=sips_dealer.merchant.merchant_id, secret_key="guessed")
    with pytest.raises(SealError):
        _notify(database, sips, forged)
    assert moves(database, sips_payment.id) == [SENT]


def test_a_sips_authorisation_after_the_order_was_cancelled_leaves_the_payment_to_refund(
    database, sips, sips_dealer, sips_payment
):
    with database() as s:
        orders.cancel_order(s, order_number=OFFER, user=sips_dealer.seller(s))
    _notify(database, sips, _sips_fields(sips_dealer.merchant, sips_payment))

    assert payment(database, sips_payment.id).status == S.A_REMBOURSER.value
    assert [m.to_status for m in moves(database, sips_payment.id)] == [
        S.ENVOYE.value,
        S.AUTORISE.value,
        S.A_REMBOURSER.value,
    ]


# ---------------------------------------------------------------- Worldline Direct


def _open_checkout(database, direct, p: EPayment) -> str:
    """The customer clicks the payment link: the hosted checkout's redirect URL."""
    return start_link_checkout(make_token(p), session_factory=database, gateway=direct).redirect_url


def _webhook(
    database, direct, merchant: Merchant, psp, *, event_id="evt-1", signer: Merchant | None = None, is_refund=False
):
    signer = signer or merchant
    body, headers = direct_webhook(
        psp,
        merchant_id=merchant.merchant_id,
        key_id=signer.webhook_key_id,
        secret=signer.webhook_secret,
        event_id=event_id,
        is_refund=is_refund,
    )
    return apply_webhook(body, headers, session_factory=database, gateway=direct)


def _checkouts(database, payment_id: int) -> list[DirectCheckout]:
    with database(write=False) as s:
        return list(s.exec(select(DirectCheckout).where(DirectCheckout.payment_id == payment_id)).all())


def test_a_direct_payment_link_opens_one_hosted_checkout_and_reuses_it(database, direct, direct_payment_sent):
    first = _open_checkout(database, direct, direct_payment_sent)
    second = _open_checkout(database, direct, direct_payment_sent)

    assert first == second == "https://checkout.invalid/hc-1"
    [request] = direct.opened
    assert (request.reference, request.amount_cents, request.currency) == (
        direct_payment_sent.reference,
        50_000,
        "EUR",
    )
    assert request.notify_url.endswith("/api/psp/direct/webhook") and request.idempotence_key
    [stored] = _checkouts(database, direct_payment_sent.id)
    assert stored.hosted_checkout_id == "hc-1" and stored.return_mac_ciphertext != "returnmac-1"
    assert decrypt_secret(stored.return_mac_ciphertext) == "returnmac-1"


def test_a_direct_capture_webhook_moves_the_payment_once_and_its_replay_changes_nothing(
    database, direct, direct_dealer, direct_payment_sent
):
    _open_checkout(database, direct, direct_payment_sent)
    psp = direct_payment(direct_payment_sent)
    first = _webhook(database, direct, direct_dealer.merchant, psp)
    again = _webhook(database, direct, direct_dealer.merchant, psp)
    other_event = _webhook(database, direct, direct_dealer.merchant, psp, event_id="evt-2")

    assert (first.outcome, first.status) == ("applied", S.AUTORISE)
    assert again.outcome == "duplicate"
    assert (other_event.outcome, other_event.status) == ("unchanged", S.AUTORISE)
    stored = payment(database, direct_payment_sent.id)
    assert (stored.status, stored.psp_masked_pan) == (S.AUTORISE.value, "************4675")
    assert moves(database, direct_payment_sent.id) == [
        SENT,
        Move(S.ENVOYE.value, S.AUTORISE.value, BY_WEBHOOK, "CAPTURED"),
        Move(S.AUTORISE.value, S.AUTORISE.value, BY_WEBHOOK, "CAPTURED"),  # recorded, no move
    ]
    assert mails(database) == [(REQUEST, direct_payment_sent.id), (CONFIRMATION, direct_payment_sent.id)]
    # Refunds will need the platform's payment id: kept on the checkout it was made in.
    assert [c.psp_payment_id for c in _checkouts(database, direct_payment_sent.id)] == [psp.payment_id]


def test_a_direct_rejection_webhook_rejects_the_payment(database, direct, direct_dealer, direct_payment_sent):
    result = _webhook(database, direct, direct_dealer.merchant, direct_payment(direct_payment_sent, "REJECTED"))

    assert (result.outcome, result.status) == ("applied", S.REJETE)
    assert moves(database, direct_payment_sent.id)[-1] == Move(S.ENVOYE.value, S.REJETE.value, BY_WEBHOOK, "REJECTED")
    assert mails(database) == [(REQUEST, direct_payment_sent.id)]


def test_a_direct_webhook_for_an_unknown_payment_changes_nothing(database, direct, direct_dealer, direct_payment_sent):
    unknown = direct_payment(direct_payment_sent, merchant_reference="00045_000061_20000099999_1", payment_id="x_0")
    with pytest.raises(PaymentNotFound):
        _webhook(database, direct, direct_dealer.merchant, unknown)
    assert moves(database, direct_payment_sent.id) == [SENT]


def test_a_direct_webhook_signed_by_another_point_of_sales_key_is_refused(
    database, direct, direct_dealer, direct_payment_sent
):
    with database() as s:
        other = add_point_of_sale(s, direct_dealer.entity_id, 62, PspProtocol.DIRECT)
    with pytest.raises(PaymentNotFound):  # out of its scope looks like unknown
        _webhook(database, direct, other, direct_payment(direct_payment_sent))
    assert payment(database, direct_payment_sent.id).status == S.ENVOYE.value
    assert moves(database, direct_payment_sent.id) == [SENT]


def test_a_direct_webhook_with_a_forged_signature_is_refused(database, direct, direct_dealer, direct_payment_sent):
    merchant = direct_dealer.merchant
    forger = Merchant(merchant.pos_id, merchant.protocol, merchant.merchant_id, "", merchant.webhook_key_id, "guessed")
    with pytest.raises(SealError):
        _webhook(database, direct, merchant, direct_payment(direct_payment_sent), signer=forger)
    assert moves(database, direct_payment_sent.id) == [SENT]


def test_a_direct_webhook_naming_another_merchant_puts_the_payment_in_error(
    database, direct, direct_dealer, direct_payment_sent
):
    merchant = direct_dealer.merchant
    impostor = Merchant(merchant.pos_id, merchant.protocol, "PSPID-OTHER", "", "", "")
    result = _webhook(database, direct, impostor, direct_payment(direct_payment_sent), signer=merchant)

    assert result.status is S.ERREUR
    assert "PSPID-OTHER" in payment(database, direct_payment_sent.id).psp_last_error
    assert mails(database) == [(REQUEST, direct_payment_sent.id)]


def test_the_direct_return_asks_the_platform_and_applies_its_answer(database, direct, direct_payment_sent):
    _open_checkout(database, direct, direct_payment_sent)
    direct.checkouts["hc-1"] = CheckoutState(status="PAYMENT_CREATED", payment=direct_payment(direct_payment_sent))

    with pytest.raises(SealError):  # a return without the checkout's RETURNMAC proves nothing
        apply_return("hc-1", "returnmac-forged", session_factory=database, gateway=direct)
    assert direct.asked("get_checkout") == []
    result = apply_return("hc-1", "returnmac-1", session_factory=database, gateway=direct)

    assert (result.outcome, result.status) == ("applied", S.AUTORISE)
    assert direct.asked("get_checkout") == ["hc-1"]
    assert moves(database, direct_payment_sent.id)[-1] == Move(S.ENVOYE.value, S.AUTORISE.value, BY_RETURN, "CAPTURED")


def test_a_customer_who_gives_up_on_the_hosted_checkout_cancels_the_payment(database, direct, direct_payment_sent):
    _open_checkout(database, direct, direct_payment_sent)
    direct.checkouts["hc-1"] = CheckoutState(status="CANCELLED_BY_CONSUMER")

    result = apply_return("hc-1", "returnmac-1", session_factory=database, gateway=direct)

    assert (result.outcome, result.status) == ("applied", S.ANNULE)
    assert moves(database, direct_payment_sent.id)[-1].to_status == S.ANNULE.value
    assert mails(database) == [(REQUEST, direct_payment_sent.id)]


# ---------------------------------------------------------------- refunds


def _to_refund_sips(database, sips, dealer: Dealer, p: EPayment) -> None:
    """Paid, then the order cancelled: À rembourser."""
    _notify(database, sips, _sips_fields(dealer.merchant, p))
    with database() as s:
        orders.cancel_order(s, order_number=OFFER, user=dealer.seller(s))
    assert payment(database, p.id).status == S.A_REMBOURSER.value


def _refund(database, p: EPayment, gateway) -> refunds.RefundResult:
    """The page's way: prepare in one unit of work, ask the PSP with none open, record in another."""
    with database() as s:
        plan = refunds.prepare_refund(s, p.id, "Directeur Test")
    if isinstance(plan, refunds.RefundResult):
        return plan
    outcome = asyncio.run(refunds.ask_psp(plan, gateway=gateway))
    with database() as s:
        return refunds.record_refund(s, plan, outcome)


def test_a_sips_refund_the_psp_accepts_makes_the_payment_refunded(database, sips, sips_dealer, sips_payment):
    _to_refund_sips(database, sips, sips_dealer, sips_payment)
    result = _refund(database, sips_payment, sips)

    assert (result.ok, result.status) == (True, S.REMBOURSE)
    assert sips.calls == [Call("return_money", sips_payment.psp_reference, 50_000, check_first=False)]
    assert payment(database, sips_payment.id).status == S.REMBOURSE.value
    assert moves(database, sips_payment.id)[-2:] == [
        Move(S.A_REMBOURSER.value, S.A_REMBOURSER.value, BY_OFFICE),  # the request, before the call
        Move(S.A_REMBOURSER.value, S.REMBOURSE.value, BY_OFFICE),
    ]
    assert mails(database)[-1] == (REFUND_NOTICE, sips_payment.id)


def test_a_direct_refund_goes_to_the_platforms_payment_id(database, direct, direct_dealer, direct_payment_sent):
    psp_id = _to_refund_direct(database, direct, direct_dealer, direct_payment_sent)
    direct.money_back = MoneyBack(done=True, operation="refund", code="REFUND_REQUESTED")

    result = _refund(database, direct_payment_sent, direct)

    assert (result.ok, result.status) == (True, S.REMBOURSE)
    assert direct.calls[-1] == Call("return_money", psp_id, 50_000, check_first=False)
    assert mails(database)[-1] == (REFUND_NOTICE, direct_payment_sent.id)


def _to_refund_direct(database, direct, dealer: Dealer, p: EPayment) -> str:
    """Paid through a hosted checkout, then the order cancelled: À rembourser. The platform's payment id."""
    _open_checkout(database, direct, p)
    psp = direct_payment(p)
    _webhook(database, direct, dealer.merchant, psp)
    with database() as s:
        orders.cancel_order(s, order_number=OFFER, user=dealer.seller(s))
    assert payment(database, p.id).status == S.A_REMBOURSER.value
    return psp.payment_id


def test_a_refund_made_at_the_platform_is_recorded_from_its_webhook_with_one_notice(
    database, direct, direct_dealer, direct_payment_sent
):
    psp_id = _to_refund_direct(database, direct, direct_dealer, direct_payment_sent)
    refunded = direct_payment(direct_payment_sent, "REFUNDED", payment_id=psp_id.replace("_0", "_1"))

    result = _webhook(database, direct, direct_dealer.merchant, refunded, event_id="evt-refund", is_refund=True)

    assert (result.outcome, result.status) == ("applied", S.REMBOURSE)
    assert moves(database, direct_payment_sent.id)[-1] == Move(
        S.A_REMBOURSER.value, S.REMBOURSE.value, BY_WEBHOOK, "REFUNDED"
    )
    assert _refund(database, direct_payment_sent, direct).status is S.REMBOURSE  # nothing left to ask
    assert direct.asked("return_money") == []
    assert [kind for kind, _ in mails(database)].count(REFUND_NOTICE) == 1


def test_the_platforms_refund_webhook_after_our_refund_changes_nothing(
    database, direct, direct_dealer, direct_payment_sent
):
    psp_id = _to_refund_direct(database, direct, direct_dealer, direct_payment_sent)
    _refund(database, direct_payment_sent, direct)
    refunded = direct_payment(direct_payment_sent, "REFUNDED", payment_id=psp_id.replace("_0", "_1"))

    result = _webhook(database, direct, direct_dealer.merchant, refunded, event_id="evt-refund", is_refund=True)

    assert (result.outcome, result.status) == ("unchanged", S.REMBOURSE)
    assert [m.to_status for m in moves(database, direct_payment_sent.id)].count(S.REMBOURSE.value) == 2  # move + record
    assert [kind for kind, _ in mails(database)].count(REFUND_NOTICE) == 1


def test_a_refund_the_psp_refuses_leaves_the_payment_to_refund_and_the_next_try_checks_first(
    database, sips, sips_dealer, sips_payment
):
    _to_refund_sips(database, sips, sips_dealer, sips_payment)
    sips.money_back = MoneyBack(done=False, operation="refund", code="05", error="Code PSP 05")

    refused = _refund(database, sips_payment, sips)

    assert (refused.ok, refused.status) == (False, S.A_REMBOURSER)
    stored = payment(database, sips_payment.id)
    assert stored.status == S.A_REMBOURSER.value and "Code PSP 05" in stored.psp_last_error
    assert moves(database, sips_payment.id)[-1] == Move(S.A_REMBOURSER.value, S.A_REMBOURSER.value, BY_OFFICE, "05")
    assert REFUND_NOTICE not in [kind for kind, _ in mails(database)]

    sips.money_back = MoneyBack(done=True, operation="refund", code="00")
    assert _refund(database, sips_payment, sips).status is S.REMBOURSE
    assert [c.check_first for c in sips.calls] == [False, True]


def test_a_psp_call_that_fails_records_no_refund_and_keeps_the_payment_refundable(
    database, sips, sips_dealer, sips_payment
):
    _to_refund_sips(database, sips, sips_dealer, sips_payment)
    sips.money_back = PspCallError("PSP injoignable", uncertain=True)

    with pytest.raises(PspCallError), database() as s:  # refund_payment: the scripts' one-session way
        asyncio.run(refunds.refund_payment(s, sips_payment.id, "Directeur Test", gateway=sips))

    assert payment(database, sips_payment.id).status == S.A_REMBOURSER.value
    assert S.REMBOURSE.value not in [m.to_status for m in moves(database, sips_payment.id)]
    sips.money_back = MoneyBack(done=True, operation="refund (vérifié)", code="CREDITED")
    assert _refund(database, sips_payment, sips).status is S.REMBOURSE
    assert [c.check_first for c in sips.calls] == [False, True]  # the request was recorded: ask first


@pytest.mark.parametrize(
    ("code", "status"),
    [(None, S.ENVOYE), ("00", S.AUTORISE), ("17", S.ANNULE), ("05", S.REJETE), ("51", S.ERREUR)],
)
def test_a_payment_that_is_not_to_refund_cannot_be_refunded(database, sips, sips_dealer, sips_payment, code, status):
    if code is not None:
        _notify(database, sips, _sips_fields(sips_dealer.merchant, sips_payment, code))
    assert payment(database, sips_payment.id).status == status.value
    events = count(database, EPaymentEvent)

    with pytest.raises(DomainError):
        _refund(database, sips_payment, sips)

    assert sips.calls == [] and count(database, EPaymentEvent) == events
    assert payment(database, sips_payment.id).status == status.value


def test_refunding_a_refunded_payment_does_not_call_the_psp(database, sips, sips_dealer, sips_payment):
    _to_refund_sips(database, sips, sips_dealer, sips_payment)
    _refund(database, sips_payment, sips)
    events = count(database, EPaymentEvent)

    again = _refund(database, sips_payment, sips)

    assert (again.ok, again.status) == (True, S.REMBOURSE)
    assert len(sips.calls) == 1 and count(database, EPaymentEvent) == events


# ---------------------------------------------------------------- reconciliation


def _reconcile(database, now, sips=None, direct=None) -> reconciliation.ReconciliationReport:
    return asyncio.run(
        reconciliation.reconcile_pending(
            database, now + timedelta(hours=2), timedelta(minutes=20), gateway=sips, direct_gateway=direct
        )
    )


def test_reconciliation_authorises_a_sips_payment_whose_response_was_lost(database, sips, sips_payment, now):
    sips.transactions[sips_payment.psp_reference] = TransactionState(
        ok=True, response_code="00", transaction_status="CAPTURED", transaction_response_code="00", amount_cents=50_000
    )
    report = _reconcile(database, now, sips)

    assert report.changed == {sips_payment.reference: S.AUTORISE.value}
    assert sips.asked("get_transaction") == [sips_payment.psp_reference]
    assert payment(database, sips_payment.id).status == S.AUTORISE.value
    assert moves(database, sips_payment.id)[-1] == Move(S.ENVOYE.value, S.AUTORISE.value, BY_RECONCILIATION, "00")
    assert mails(database) == [(REQUEST, sips_payment.id), (CONFIRMATION, sips_payment.id)]


def test_reconciliation_puts_an_authorisation_of_another_amount_in_error(database, sips, sips_payment, now):
    sips.transactions[sips_payment.psp_reference] = TransactionState(
        ok=True, response_code="00", transaction_status="CAPTURED", transaction_response_code="00", amount_cents=100
    )
    _reconcile(database, now, sips)

    stored = payment(database, sips_payment.id)
    assert stored.status == S.ERREUR.value and "Montant autorisé 100" in stored.psp_last_error
    assert mails(database) == [(REQUEST, sips_payment.id)]


@pytest.mark.parametrize("code", ["05", "51"])
def test_reconciliation_gives_a_sips_refusal_the_status_the_callback_gives_its_code(
    database, sips, sips_payment, now, code
):
    sips.transactions[sips_payment.psp_reference] = TransactionState(
        ok=True, response_code="00", transaction_status="REFUSED", transaction_response_code=code
    )
    _reconcile(database, now, sips)
    assert payment(database, sips_payment.id).status == status_for_code(code).value


def test_reconciliation_keeps_a_payment_unknown_to_the_psp_sent(database, sips, sips_payment, now):
    report = _reconcile(database, now, sips)  # the fake answers 25: unknown at the PSP

    assert (report.checked, report.changed) == (1, {})
    assert payment(database, sips_payment.id).status == S.ENVOYE.value
    assert moves(database, sips_payment.id) == [SENT]


def test_reconciliation_does_not_ask_about_finished_payments(database, sips, sips_dealer, sips_payment, now):
    with database() as s:
        add_offer(s, sips_dealer, 26838)
    pending = _order(database, sips_dealer, now, offer=26838)
    _notify(database, sips, _sips_fields(sips_dealer.merchant, sips_payment))  # paid: finished

    _reconcile(database, now, sips)

    assert sips.asked("get_transaction") == [pending.psp_reference]


def test_reconciliation_asks_direct_about_the_latest_checkout_of_a_pending_payment(
    database, direct, direct_dealer, direct_payment_sent, now
):
    with database() as s:
        add_offer(s, direct_dealer, 26838)
    finished = _order(database, direct_dealer, now, offer=26838)
    for p in (direct_payment_sent, finished):
        _open_checkout(database, direct, p)
    _webhook(database, direct, direct_dealer.merchant, direct_payment(finished, "REJECTED"))
    direct.checkouts["hc-1"] = CheckoutState(status="PAYMENT_CREATED", payment=direct_payment(direct_payment_sent))

    report = _reconcile(database, now, direct=direct)

    assert direct.asked("get_checkout") == ["hc-1"]  # not hc-2: its payment is Rejeté
    assert report.changed == {direct_payment_sent.reference: S.AUTORISE.value}
    assert moves(database, direct_payment_sent.id)[-1] == Move(
        S.ENVOYE.value, S.AUTORISE.value, BY_RECONCILIATION, "CAPTURED"
    )
    assert (CONFIRMATION, direct_payment_sent.id) in mails(database)


def test_reconciliation_keeps_a_direct_payment_whose_customer_is_still_paying(
    database, direct, direct_payment_sent, now
):
    _open_checkout(database, direct, direct_payment_sent)  # the fake says IN_PROGRESS

    report = _reconcile(database, now, direct=direct)

    assert report.changed == {} and direct.asked("get_checkout") == ["hc-1"]
    assert payment(database, direct_payment_sent.id).status == S.ENVOYE.value


# ---------------------------------------------------------------- the fakes themselves


@pytest.mark.parametrize(("fake", "interface"), [(FakeSipsGateway, SipsProtocol), (FakeDirectGateway, DirectProtocol)])
def test_the_fake_gateways_have_the_methods_of_the_gateway_interface(fake, interface):
    # mypy checks this too (fake_gateways.py, bottom), but the test command does not run mypy on tests/.
    methods = {
        name
        for klass in interface.__mro__
        if klass.__module__ == "epay_app.psp.interface"
        for name, value in vars(klass).items()
        if callable(value) and not name.startswith("_")
    }
    assert methods
    for name in sorted(methods):  # the same parameters; a return type may be narrower
        expected = inspect.signature(getattr(interface, name)).parameters
        assert inspect.signature(getattr(fake, name)).parameters == expected, name
