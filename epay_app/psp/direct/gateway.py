"""The Worldline Direct gateway, on the official SDK (onlinepayments-sdk-python3 10.x).

The SDK signs every request (v1HMAC), verifies webhooks and maps HTTP errors to exceptions;
this module only turns our requests into the platform's JSON and its answers into our
dataclasses. SDK calls block: the services call them from worker threads.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from onlinepayments.sdk.api_exception import ApiException
from onlinepayments.sdk.call_context import CallContext
from onlinepayments.sdk.communication.communication_exception import CommunicationException
from onlinepayments.sdk.communication.request_header import RequestHeader
from onlinepayments.sdk.communicator_configuration import CommunicatorConfiguration
from onlinepayments.sdk.domain.cancel_payment_request import CancelPaymentRequest
from onlinepayments.sdk.domain.create_hosted_checkout_request import CreateHostedCheckoutRequest
from onlinepayments.sdk.domain.refund_request import RefundRequest
from onlinepayments.sdk.factory import Factory
from onlinepayments.sdk.json.default_marshaller import DefaultMarshaller
from onlinepayments.sdk.webhooks.secret_key_store import SecretKeyStore
from onlinepayments.sdk.webhooks.webhooks_helper import WebhooksHelper

from ...config import Settings
from ..interface import (
    CheckoutState,
    HostedCheckout,
    MerchantCredentials,
    MoneyBack,
    PspCallError,
    PspEvent,
    PspPayment,
    PspProtocol,
    SealError,
    StartRequest,
)
from .statuses import MONEY_RETURNED

log = logging.getLogger(__name__)

INTEGRATOR = "OpenFlex e-Paiement"
# The SDK's integer timeouts, seconds.
CONNECT_TIMEOUT = 5


# The SDK ships no type information: its base class is Any to mypy.
class _Keys(SecretKeyStore):  # type: ignore[misc]
    """The webhook keys of the configurations that may have signed this message, and only
    those: the SDK's InMemorySecretKeyStore is a process-wide singleton shared by all merchants."""

    def __init__(self, secrets: Mapping[str, str]):
        self._secrets = dict(secrets)

    def get_secret_key(self, key_id: str) -> str:
        from onlinepayments.sdk.webhooks.secret_key_not_available_exception import (
            SecretKeyNotAvailableException,
        )

        try:
            return self._secrets[key_id]
        except KeyError:
            raise SecretKeyNotAvailableException(key_id, f"could not find secret key for key id {key_id}") from None


@lru_cache(maxsize=32)
def _client(endpoint: str, api_key_id: str, secret: str, timeout: int) -> Any:
    """One SDK client (its connection pool) per endpoint and API key, for the process."""
    config = CommunicatorConfiguration(
        api_endpoint=endpoint,
        api_key_id=api_key_id,
        secret_api_key=secret,
        authorization_type="v1HMAC",
        connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=timeout,
        max_connections=10,
        integrator=INTEGRATOR,
    )
    return Factory.create_client_from_configuration(config)


def _api_error(exc: ApiException) -> str:
    errors = getattr(exc, "errors", None) or []
    first = errors[0] if errors else None
    if first is not None:
        return f"{first.id or first.error_code} : {first.message or ''}".strip(" :")
    return f"HTTP {exc.status_code}"


def payment_from_dict(payment: Mapping[str, Any] | None) -> PspPayment | None:
    """Our view of a payment object (GET payments, createdPaymentOutput.payment, webhook)."""
    if not payment:
        return None
    output = payment.get("paymentOutput") or {}
    money = output.get("amountOfMoney") or {}
    card_output = output.get("cardPaymentMethodSpecificOutput") or {}
    status_output = payment.get("statusOutput") or {}
    errors = status_output.get("errors") or []
    amount = money.get("amount")
    return PspPayment(
        payment_id=str(payment.get("id") or ""),
        status=str(payment.get("status") or ""),
        status_code=status_output.get("statusCode"),
        amount_cents=int(amount) if isinstance(amount, int) else None,
        currency=str(money.get("currencyCode") or ""),
        merchant_reference=str((output.get("references") or {}).get("merchantReference") or ""),
        authorisation_code=str(card_output.get("authorisationCode") or ""),
        masked_card=str((card_output.get("card") or {}).get("cardNumber") or ""),
        error_message="; ".join(str(e.get("message") or e.get("id") or "") for e in errors if isinstance(e, dict)),
    )


class DirectGateway:
    protocol = PspProtocol.DIRECT.value

    def __init__(self, api_url: str, timeout: float = 10.0):
        parts = urlsplit(api_url)
        # The SDK wants scheme://host[:port] with no path (notes §1).
        self.endpoint = f"{parts.scheme}://{parts.netloc}"
        self.timeout = max(1, int(timeout))

    @classmethod
    def from_settings(cls, settings: Settings) -> DirectGateway:
        return cls(settings.direct_api_url, settings.psp_timeout_seconds)

    def _merchant(self, creds: MerchantCredentials) -> Any:
        return _client(self.endpoint, creds.api_key_id, creds.secret_key, self.timeout).merchant(creds.merchant_id)

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        """Run one SDK call; every failure becomes a PspCallError saying whether the request
        may have been carried out anyway."""
        try:
            return call()
        except CommunicationException as exc:  # timeout, connection refused or reset
            log.warning("Worldline Direct %s: no answer: %r", what, exc)
            raise PspCallError(f"PSP injoignable ({what})", uncertain=True) from exc
        except ApiException as exc:
            status = exc.status_code
            log.warning("Worldline Direct %s refused: HTTP %s %s", what, status, _api_error(exc))
            # 409: the same idempotence key is still being processed [notes §3]; 5xx: unknown.
            raise PspCallError(
                _api_error(exc),
                status=status,
                uncertain=status == 409 or status >= 500,
                not_found=status == 404,
                raw=(exc.response_body or "")[:4000],
            ) from exc

    # --- Hosted Checkout ---------------------------------------------------------------------

    def start_payment(self, request: StartRequest) -> HostedCheckout:
        creds = request.credentials
        # Field names and meanings: SDK CreateHostedCheckoutRequest docstrings (notes §2).
        body = {
            "order": {
                "amountOfMoney": {"amount": request.amount_cents, "currencyCode": request.currency},
                "references": {"merchantReference": request.reference},
                "customer": {"contactDetails": {"emailAddress": request.customer_email}}
                if request.customer_email
                else {},
            },
            "hostedCheckoutSpecificInput": {
                "returnUrl": request.return_url,
                "locale": "fr_FR",
                "sessionTimeout": request.session_timeout_minutes,
                "showResultPage": False,  # our own result page, after we asked the platform
            },
            # SALE: captured on approval. A deposit is collected, not held: FINAL_AUTHORIZATION
            # would need a capture within 7 days that nothing in a sale's journey would trigger.
            "cardPaymentMethodSpecificInput": {"authorizationMode": "SALE"},
            "feedbacks": {"webhooksUrls": [request.notify_url]},
        }
        context = CallContext(idempotence_key=request.idempotence_key or None)
        answer = self._call(
            "createHostedCheckout",
            lambda: (
                self._merchant(creds)
                .hosted_checkout()
                .create_hosted_checkout(CreateHostedCheckoutRequest().from_dictionary(body), context)
            ),
        )
        if not answer.redirect_url or not answer.hosted_checkout_id or not answer.returnmac:
            raise PspCallError("Réponse de création de paiement incomplète")
        return HostedCheckout(answer.redirect_url, answer.hosted_checkout_id, answer.returnmac)

    def get_checkout(self, creds: MerchantCredentials, checkout_id: str) -> CheckoutState:
        answer = self._call(
            "getHostedCheckout", lambda: self._merchant(creds).hosted_checkout().get_hosted_checkout(checkout_id)
        )
        data = answer.to_dictionary()
        created = data.get("createdPaymentOutput") or {}
        return CheckoutState(
            status=str(data.get("status") or ""),
            payment=payment_from_dict(created.get("payment")),
            raw=json.dumps(data, ensure_ascii=False, default=str),
        )

    def get_payment(self, creds: MerchantCredentials, payment_id: str) -> tuple[PspPayment, str]:
        answer = self._call("getPayment", lambda: self._merchant(creds).payments().get_payment(payment_id))
        data = answer.to_dictionary()
        payment = payment_from_dict(data)
        assert payment is not None
        return payment, json.dumps(data, ensure_ascii=False, default=str)

    # --- Refund -----------------------------------------------------------------------------

    def _return_money(
        self, creds: MerchantCredentials, payment_id: str, amount_cents: int, currency: str, check_first: bool
    ) -> MoneyBack:
        if not payment_id:
            return MoneyBack(done=False, operation="refund", error="Identifiant du paiement Worldline inconnu")
        try:
            payment, raw = self.get_payment(creds, payment_id)
        except PspCallError as exc:
            return MoneyBack(done=False, operation="getPayment", raw=exc.raw, error=str(exc))
        if payment.status in MONEY_RETURNED:
            return MoneyBack(done=True, operation="getPayment", code=payment.status, raw=raw)
        if check_first and payment.status in ("REFUND_REQUESTED", "CANCELLATION_REQUESTED"):
            return MoneyBack(done=True, operation="getPayment", code=payment.status, raw=raw)
        # Not captured yet (an authorisation): cancelling it returns the money [notes §3:
        # refund before capture → 400 on preprod].
        if payment.status == "PENDING_CAPTURE":
            operation, key = "cancel", f"cancel-{payment_id}"[:40]

            def call() -> Any:
                request = CancelPaymentRequest().from_dictionary({})
                context = CallContext(idempotence_key=key)
                return self._merchant(creds).payments().cancel_payment(payment_id, request, context)
        else:
            operation, key = "refund", f"refund-{payment_id}"[:40]
            body = {"amountOfMoney": {"amount": amount_cents, "currencyCode": currency}}

            def call() -> Any:
                request = RefundRequest().from_dictionary(body)
                context = CallContext(idempotence_key=key)
                return self._merchant(creds).payments().refund_payment(payment_id, request, context)

        try:
            answer = self._call(operation, call)
        except PspCallError as exc:
            if exc.uncertain:  # may have happened: the platform's status decides
                try:
                    after, raw_after = self.get_payment(creds, payment_id)
                except PspCallError:
                    return MoneyBack(done=False, operation=operation, raw=exc.raw, error=str(exc))
                if after.status in MONEY_RETURNED or after.status in ("REFUND_REQUESTED", "CANCELLATION_REQUESTED"):
                    return MoneyBack(
                        done=True, operation=f"{operation} (vérifié par getPayment)", code=after.status, raw=raw_after
                    )
            return MoneyBack(done=False, operation=operation, code=str(exc.status or ""), raw=exc.raw, error=str(exc))
        data = answer.to_dictionary()
        status = str(data.get("status") or (data.get("payment") or {}).get("status") or "")
        raw = json.dumps(data, ensure_ascii=False, default=str)
        accepted = status in ("REFUND_REQUESTED", "REFUNDED", "CANCELLED", "CANCELLATION_REQUESTED")
        return MoneyBack(
            done=accepted,
            operation=operation,
            code=status,
            raw=raw,
            error="" if accepted else f"Statut {status or 'inconnu'}",
        )

    async def return_money(
        self, creds: MerchantCredentials, psp_payment_ref: str, amount_cents: int, currency: str, check_first: bool
    ) -> MoneyBack:
        return await asyncio.to_thread(self._return_money, creds, psp_payment_ref, amount_cents, currency, check_first)

    # --- Webhooks ---------------------------------------------------------------------------

    @staticmethod
    def read_webhook(body: bytes, headers: Mapping[str, str], secrets: Mapping[str, str]) -> PspEvent:
        """Verify the signature with the SDK's WebhooksHelper and read the event. Raises
        SealError for a bad or missing signature, an unknown key or an unreadable body."""
        from onlinepayments.sdk.webhooks.api_version_mismatch_exception import ApiVersionMismatchException
        from onlinepayments.sdk.webhooks.secret_key_not_available_exception import (
            SecretKeyNotAvailableException,
        )
        from onlinepayments.sdk.webhooks.signature_validation_exception import SignatureValidationException

        helper = WebhooksHelper(DefaultMarshaller.instance(), _Keys(secrets))
        request_headers = [RequestHeader(name, value) for name, value in headers.items()]
        try:
            event = helper.unmarshal(body, request_headers)
        except (SignatureValidationException, SecretKeyNotAvailableException, ApiVersionMismatchException) as exc:
            raise SealError(f"Signature du webhook invalide : {exc}") from None
        except (ValueError, TypeError, AttributeError, KeyError, UnicodeDecodeError) as exc:
            raise SealError(f"Webhook illisible : {type(exc).__name__}") from None
        data = event.to_dictionary()
        refund = data.get("refund")
        payment = payment_from_dict(data.get("payment")) if data.get("payment") else _refund_as_payment(refund)
        return PspEvent(
            event_id=str(data.get("id") or ""),
            type=str(data.get("type") or ""),
            merchant_id=str(data.get("merchantId") or ""),
            created=str(data.get("created") or ""),
            payment=payment,
            is_refund=refund is not None and not data.get("payment"),
            raw=body.decode("utf-8", "replace")[:8000],
        )


def _refund_as_payment(refund: Mapping[str, Any] | None) -> PspPayment | None:
    """A refund.* event carries a refund object (notes §5): its id is the payment's id with
    another operation number, its output the refunded amount and references."""
    if not refund:
        return None
    output = refund.get("refundOutput") or {}
    money = output.get("amountOfMoney") or {}
    amount = money.get("amount")
    return PspPayment(
        payment_id=str(refund.get("id") or ""),
        status=str(refund.get("status") or ""),
        status_code=(refund.get("statusOutput") or {}).get("statusCode"),
        amount_cents=int(amount) if isinstance(amount, int) else None,
        currency=str(money.get("currencyCode") or ""),
        merchant_reference=str((output.get("references") or {}).get("merchantReference") or ""),
    )
