"""The gateway boundary: what the app asks a PSP and what it gets back.

Every adapter speaks in these frozen dataclasses; the services never see wire formats.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import Settings, get_settings
from ..domain.errors import DomainError
from ..domain.statuses import PaymentStatus


class SealError(DomainError):
    """The message is not signed by the merchant we know (bad seal, unknown merchant or key)."""


class MalformedResponse(DomainError):
    """The message cannot be read (missing fields, bad encoding)."""


class PspProtocol(str, enum.Enum):
    """The PSP protocol a configuration speaks and a payment was taken with."""

    DIRECT = "direct"  # Worldline Direct (Online Payments): Hosted Checkout, REST, webhooks
    SIPS2 = "sips2"  # Worldline Sips 2.0: closed to new transactions since 31/12/2025

    @property
    def label(self) -> str:
        return PROTOCOL_LABELS[self]


PROTOCOL_LABELS = {PspProtocol.DIRECT: "Worldline Direct", PspProtocol.SIPS2: "Worldline Sips 2.0 (historique)"}


# ISO 4217 numeric codes of the currencies we store by letter code.
CURRENCY_NUMERIC = {"EUR": "978"}

# Codes after which an Office operation may or may not have happened: check before retrying.
RETRY_LATER_CODES = frozenset({"90", "91", "97", "98", "99"})


@dataclass(frozen=True)
class MerchantCredentials:
    """Sips: merchantId, secret key, key version. Direct: PSPID, API key secret (secret_key),
    API key id, and the webhook key (id, secret)."""

    merchant_id: str
    secret_key: str = field(repr=False)
    key_version: int = 1
    protocol: PspProtocol = PspProtocol.SIPS2
    api_key_id: str = ""
    webhook_key_id: str = ""
    webhook_secret: str = field(default="", repr=False)


@dataclass(frozen=True, kw_only=True)
class PaymentRequest:
    reference: str  # ours, shown to the customer: 00045_000061_20000026837_1
    psp_reference: str  # the PSP's transactionReference (alphanumeric)
    amount_cents: int
    merchant_id: str
    secret_key: str = field(repr=False)
    key_version: int = 1
    normal_return_url: str
    automatic_response_url: str
    customer_email: str = ""
    currency_code: str = "978"
    language: str = "fr"

    @property
    def credentials(self) -> MerchantCredentials:
        return MerchantCredentials(self.merchant_id, self.secret_key, self.key_version)


@dataclass(frozen=True, kw_only=True)
class StartRequest:
    """What any protocol needs to send a customer to the PSP's hosted page for one payment."""

    reference: str  # ours: Sips orderId, Direct merchantReference
    psp_reference: str  # Sips transactionReference (alphanumeric)
    amount_cents: int
    currency: str = "EUR"
    credentials: MerchantCredentials
    return_url: str  # where the customer's browser comes back
    notify_url: str  # Sips automatic response, Direct webhook
    customer_email: str = ""
    idempotence_key: str = ""  # Direct: one per checkout attempt
    session_timeout_minutes: int = 30


@dataclass(frozen=True)
class HostedCheckout:
    """Direct: the page to redirect the customer to, and what identifies the checkout when the
    browser comes back. return_mac is a secret: stored encrypted, never sent to a browser."""

    redirect_url: str
    checkout_id: str
    return_mac: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class PspPayment:
    """A payment as Worldline Direct describes it (GET payments, hosted checkout, webhook)."""

    payment_id: str
    status: str  # CAPTURED, PENDING_CAPTURE, REJECTED, CANCELLED, REFUNDED…
    status_code: int | None = None
    amount_cents: int | None = None
    currency: str = ""
    merchant_reference: str = ""
    authorisation_code: str = ""
    masked_card: str = ""
    error_message: str = ""


@dataclass(frozen=True, kw_only=True)
class CheckoutState:
    status: str  # IN_PROGRESS | PAYMENT_CREATED | CANCELLED_BY_CONSUMER | …
    payment: PspPayment | None = None
    raw: str = ""


@dataclass(frozen=True, kw_only=True)
class PspEvent:
    """A verified webhook: its id (for deduplication), type, merchant and the payment it is about."""

    event_id: str
    type: str
    merchant_id: str
    created: str
    payment: PspPayment | None
    is_refund: bool = False
    raw: str = ""


@dataclass(frozen=True, kw_only=True)
class MoneyBack:
    """The outcome of "give the customer's money back" (a refund, or a cancelled authorisation)."""

    done: bool
    operation: str
    code: str = ""
    raw: str = ""
    error: str = ""


class PspCallError(DomainError):
    """A call to the PSP gave no usable answer. `uncertain`: it may have been carried out
    (timeout, 409 in progress, 5xx): ask the PSP for the status before trying again."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        uncertain: bool = False,
        not_found: bool = False,
        raw: str = "",
    ):
        super().__init__(message)
        self.status, self.uncertain, self.not_found, self.raw = status, uncertain, not_found, raw


@dataclass(frozen=True)
class PaypageForm:
    """What the customer's browser posts to the PSP's hosted page."""

    action_url: str
    fields: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class PspResponse:
    """A payment response whose seal has been verified."""

    response_code: str
    transaction_reference: str
    order_id: str
    amount_cents: int
    currency_code: str
    merchant_id: str
    key_version: int
    authorisation_id: str = ""
    masked_pan: str = ""
    transaction_datetime: str = ""
    raw_data: str = ""  # Data exactly as received (the audit trail and the idempotency key)
    fields: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, kw_only=True)
class OperationResult:
    """Outcome of an Office operation (refund, cancel)."""

    ok: bool
    response_code: str = ""  # "" when no trustworthy answer came back (timeout, 5xx, bad seal)
    new_status: str = ""
    raw: str = ""
    error: str = ""
    operation_datetime: str = ""  # Sips operationDateTime
    new_amount_cents: int | None = None  # Sips newAmount, when the PSP sent one
    acquirer_response_code: str = ""

    @property
    def uncertain(self) -> bool:
        """The operation may have happened: ask the PSP before trying again."""
        return not self.ok and (self.response_code == "" or self.response_code in RETRY_LATER_CODES)


@dataclass(frozen=True, kw_only=True)
class TransactionState:
    """What getTransactionData says about a transaction."""

    ok: bool
    response_code: str = ""  # the query's own result (Sips getTransDataResponseCode): 00, 25 unknown…
    transaction_status: str = ""  # TO_CAPTURE, CAPTURED, CANCELLED, CREDITED, REFUSED…
    amount_cents: int = 0  # authorised at first (Sips originAmount)
    current_amount_cents: int = 0  # still held (after cancellations and refunds; Sips currentAmount)
    raw: str = ""
    error: str = ""
    # The transaction's own response code (Sips responseCode in a getTransactionData answer: the
    # code the payment got, 00, 05, 17…), not the query's: the one to map to a payment status.
    transaction_response_code: str = ""
    acquirer_response_code: str = ""
    currency_code: str = ""
    last_operation_name: str = ""

    @property
    def origin_amount_cents(self) -> int:
        return self.amount_cents

    @property
    def money_returned(self) -> bool:
        """Cancelled before remittance or refunded after: nothing left to give back."""
        return self.ok and self.transaction_status in ("CANCELLED", "CREDITED")

    @property
    def remitted(self) -> bool:
        return self.ok and self.transaction_status == "CAPTURED"


class Gateway(Protocol):
    """What every protocol does. Protocol-specific messages (the Sips automatic response, the
    Direct return and webhooks) are read by that protocol's own routes and services."""

    protocol: str

    def start_payment(self, request: StartRequest) -> PaypageForm | HostedCheckout:
        """A form the browser posts (Sips) or a page to redirect it to (Direct). Blocking: call
        it from a worker thread."""

    async def return_money(
        self, creds: MerchantCredentials, psp_payment_ref: str, amount_cents: int, currency: str, check_first: bool
    ) -> MoneyBack:
        """Refund the payment, or cancel it if it was not captured yet; `check_first` when an
        earlier attempt may have gone through (the PSP's status decides before anything else)."""


class SipsProtocol(Gateway, Protocol):
    def build_payment_form(self, request: PaymentRequest) -> PaypageForm: ...

    def read_merchant(self, fields: Mapping[str, str]) -> tuple[str, int]:
        """merchantId and keyVersion of a response, unverified: which key to check it with."""

    def verify_response(self, fields: Mapping[str, str], secret_key: str) -> PspResponse: ...

    def status_for(self, response_code: str) -> PaymentStatus | None:
        """The payment status a response code leads to; None for "no change yet"."""

    async def refund(
        self, creds: MerchantCredentials, psp_reference: str, amount_cents: int, currency_code: str = "978"
    ) -> OperationResult: ...

    async def cancel(
        self, creds: MerchantCredentials, psp_reference: str, amount_cents: int, currency_code: str = "978"
    ) -> OperationResult: ...

    async def get_transaction(self, creds: MerchantCredentials, psp_reference: str) -> TransactionState: ...


class DirectProtocol(Gateway, Protocol):
    """Worldline Direct: a hosted checkout per attempt, its state and the payment's asked for
    (return, reconciliation, refund), and signed webhooks. Blocking calls: worker threads."""

    def start_payment(self, request: StartRequest) -> HostedCheckout: ...

    def get_checkout(self, creds: MerchantCredentials, checkout_id: str) -> CheckoutState: ...

    def get_payment(self, creds: MerchantCredentials, payment_id: str) -> tuple[PspPayment, str]: ...

    def read_webhook(self, body: bytes, headers: Mapping[str, str], secrets: Mapping[str, str]) -> PspEvent:
        """Verify the signature with the webhook secret of the message's key id among `secrets`
        and read the event. Raises SealError for a bad or missing signature or an unknown key."""
        ...


# Protocol name → "module:factory"; a factory takes the Settings.
GATEWAYS: dict[str, str] = {
    PspProtocol.SIPS2.value: "epay_app.psp.sips:SipsGateway.from_settings",
    PspProtocol.DIRECT.value: "epay_app.psp.direct.gateway:DirectGateway.from_settings",
}


def _factory(name: str) -> Any:
    """The registered factory of a protocol, imported on first use (the registry holds names,
    so this module imports no gateway)."""
    try:
        target = GATEWAYS[name]
    except KeyError:
        raise DomainError(f"Protocole de paiement inconnu : {name!r}") from None
    module_name, _, attr = target.partition(":")
    factory: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        factory = getattr(factory, part)
    return factory


def get_gateway(protocol: str | None = None, settings: Settings | None = None) -> Gateway:
    settings = settings or get_settings()
    gateway: Gateway = _factory(protocol or settings.psp_protocol)(settings)
    return gateway


def get_sips_gateway(settings: Settings | None = None) -> SipsProtocol:
    """The Sips 2.0 gateway with its own calls (refund, cancel, getTransactionData)."""
    gateway: SipsProtocol = _factory(PspProtocol.SIPS2.value)(settings or get_settings())
    return gateway


def get_direct_gateway(settings: Settings | None = None) -> DirectProtocol:
    """The Worldline Direct gateway with its own calls (hosted checkout, payment, webhooks)."""
    gateway: DirectProtocol = _factory(PspProtocol.DIRECT.value)(settings or get_settings())
    return gateway
