"""Fake PSPs for the use-case tests: they implement the typed gateway interface
(`psp.interface.SipsProtocol`, `DirectProtocol`), answer what the test scripted and record every
call. No HTTP: the sandbox and the SDK are exercised by the integration suites.

Signatures are real HMACs over a small wire format of our own, so a message signed with another
key is refused by the same code path as on the real gateways.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from epay_app.domain.statuses import PaymentStatus
from epay_app.models import EPayment
from epay_app.psp.interface import (
    CheckoutState,
    DirectProtocol,
    HostedCheckout,
    MerchantCredentials,
    MoneyBack,
    OperationResult,
    PaymentRequest,
    PaypageForm,
    PspEvent,
    PspPayment,
    PspProtocol,
    PspResponse,
    SealError,
    SipsProtocol,
    StartRequest,
    TransactionState,
)
from epay_app.psp.sips_statuses import status_for_code

UNKNOWN_TO_SIPS = TransactionState(ok=False, response_code="25", error="Transaction inconnue")


def _mac(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Call:
    """One call a use case made to the PSP."""

    operation: str
    reference: str
    amount_cents: int = 0
    check_first: bool = False


@dataclass
class _Recorder:
    calls: list[Call] = field(default_factory=list)
    money_back: MoneyBack | Exception = field(default_factory=lambda: MoneyBack(done=True, operation="refund"))

    def asked(self, operation: str) -> list[str]:
        return [c.reference for c in self.calls if c.operation == operation]

    async def return_money(
        self, creds: MerchantCredentials, psp_payment_ref: str, amount_cents: int, currency: str, check_first: bool
    ) -> MoneyBack:
        self.calls.append(Call("return_money", psp_payment_ref, amount_cents, check_first))
        if isinstance(self.money_back, Exception):
            raise self.money_back
        return self.money_back


# ---------------------------------------------------------------- Sips 2.0


def sips_response(
    payment: EPayment, code: str = "00", *, merchant_id: str, secret_key: str, **overrides: str
) -> dict[str, str]:
    """The fields of a Sips automatic response for `payment`, sealed with `secret_key`."""
    fields = {
        "merchantId": merchant_id,
        "keyVersion": "1",
        "transactionReference": payment.psp_reference,
        "orderId": payment.reference,
        "amount": str(payment.amount_cents),
        "currencyCode": "978",
        "responseCode": code,
        **overrides,
    }
    return {**fields, "seal": _mac(secret_key, json.dumps(fields, sort_keys=True).encode())}


@dataclass
class FakeSipsGateway(_Recorder):
    protocol: str = PspProtocol.SIPS2.value
    transactions: dict[str, TransactionState] = field(default_factory=dict)  # psp reference → answer

    def read_merchant(self, fields: Mapping[str, str]) -> tuple[str, int]:
        return fields["merchantId"], int(fields["keyVersion"])

    def verify_response(self, fields: Mapping[str, str], secret_key: str) -> PspResponse:
        signed = {k: v for k, v in fields.items() if k != "seal"}
        if not hmac.compare_digest(fields["seal"], _mac(secret_key, json.dumps(signed, sort_keys=True).encode())):
            raise SealError("Sceau invalide")
        return PspResponse(
            response_code=fields["responseCode"],
            transaction_reference=fields["transactionReference"],
            order_id=fields["orderId"],
            amount_cents=int(fields["amount"]),
            currency_code=fields["currencyCode"],
            merchant_id=fields["merchantId"],
            key_version=int(fields["keyVersion"]),
            authorisation_id="A12345" if fields["responseCode"] == "00" else "",
            raw_data=json.dumps(signed, sort_keys=True),
        )

    def status_for(self, response_code: str) -> PaymentStatus | None:
        return status_for_code(response_code)  # the protocol's own table, as SipsGateway does

    def start_payment(self, request: StartRequest) -> PaypageForm:
        self.calls.append(Call("start_payment", request.psp_reference, request.amount_cents))
        return PaypageForm("https://sips.invalid/paypage", {"transactionReference": request.psp_reference})

    def build_payment_form(self, request: PaymentRequest) -> PaypageForm:
        return PaypageForm("https://sips.invalid/paypage", {"transactionReference": request.psp_reference})

    async def refund(
        self, creds: MerchantCredentials, psp_reference: str, amount_cents: int, currency_code: str = "978"
    ) -> OperationResult:
        raise AssertionError("the refund use case goes through return_money")

    async def cancel(
        self, creds: MerchantCredentials, psp_reference: str, amount_cents: int, currency_code: str = "978"
    ) -> OperationResult:
        raise AssertionError("the refund use case goes through return_money")

    async def get_transaction(self, creds: MerchantCredentials, psp_reference: str) -> TransactionState:
        self.calls.append(Call("get_transaction", psp_reference))
        return self.transactions.get(psp_reference, UNKNOWN_TO_SIPS)


# ---------------------------------------------------------------- Worldline Direct


def direct_payment(payment: EPayment, status: str = "CAPTURED", **overrides: Any) -> PspPayment:
    """The platform's view of the payment made for `payment`."""
    values: dict[str, Any] = {
        "payment_id": f"{payment.psp_reference[-10:]}_0",
        "status": status,
        "amount_cents": payment.amount_cents,
        "currency": payment.currency,
        "merchant_reference": payment.reference,
        "authorisation_code": "123456" if status in ("CAPTURED", "PENDING_CAPTURE") else "",
        "masked_card": "************4675",
    }
    return PspPayment(**{**values, **overrides})


def direct_webhook(
    psp: PspPayment, *, merchant_id: str, key_id: str, secret: str, event_id: str = "evt-1", is_refund: bool = False
) -> tuple[bytes, dict[str, str]]:
    """A webhook about `psp` (a payment, or with `is_refund` a refund of it), signed with the
    webhook key (`key_id`, `secret`)."""
    event = PspEvent(
        event_id=event_id,
        type=f"{'refund' if is_refund else 'payment'}.{psp.status.lower()}",
        merchant_id=merchant_id,
        created="",
        payment=psp,
        is_refund=is_refund,
    )
    body = json.dumps(asdict(event), sort_keys=True).encode()
    return body, {"Content-Type": "application/json", "X-GCS-KeyId": key_id, "X-GCS-Signature": _mac(secret, body)}


@dataclass
class FakeDirectGateway(_Recorder):
    protocol: str = PspProtocol.DIRECT.value
    checkouts: dict[str, CheckoutState] = field(default_factory=dict)  # hosted checkout id → its state
    payments: dict[str, PspPayment] = field(default_factory=dict)  # platform payment id → payment
    opened: list[StartRequest] = field(default_factory=list)

    def start_payment(self, request: StartRequest) -> HostedCheckout:
        self.calls.append(Call("start_payment", request.reference, request.amount_cents))
        self.opened.append(request)
        n = len(self.opened)
        return HostedCheckout(f"https://checkout.invalid/hc-{n}", f"hc-{n}", f"returnmac-{n}")

    def get_checkout(self, creds: MerchantCredentials, checkout_id: str) -> CheckoutState:
        self.calls.append(Call("get_checkout", checkout_id))
        return self.checkouts.get(checkout_id, CheckoutState(status="IN_PROGRESS"))

    def get_payment(self, creds: MerchantCredentials, payment_id: str) -> tuple[PspPayment, str]:
        self.calls.append(Call("get_payment", payment_id))
        psp = self.payments[payment_id]
        return psp, json.dumps(asdict(psp))

    def read_webhook(self, body: bytes, headers: Mapping[str, str], secrets: Mapping[str, str]) -> PspEvent:
        key_id = headers.get("X-GCS-KeyId", "")
        if key_id not in secrets or not hmac.compare_digest(
            headers.get("X-GCS-Signature", ""), _mac(secrets[key_id], body)
        ):
            raise SealError("Signature du webhook invalide")
        data = json.loads(body)
        payment = PspPayment(**data.pop("payment")) if data.get("payment") else None
        return PspEvent(**{**data, "payment": payment, "raw": body.decode()})


# The fakes are checked against the interface by mypy (`mypy tests/unit/fake_gateways.py`).
_SIPS: type[SipsProtocol] = FakeSipsGateway
_DIRECT: type[DirectProtocol] = FakeDirectGateway
