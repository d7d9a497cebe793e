"""Worldline Sips 2.0: Paypage POST for the customer, Sips Office JSON for refunds and status.

The two base URLs come from the settings only: pointing them at Worldline's simulation
platform instead of the local sandbox is a configuration change.

Sips 2.0 was closed to new transactions on 31/12/2025 (its successor is Worldline Direct): on a
real Worldline host, `build_payment_form` refuses to start a new payment from 01/01/2026 (Paris
time); refunds, cancellations and status queries of the payments it already took still work.

The Office messages follow Worldline's published field lists, as carried by the public PHP Sips
Office SDK (warehousenantes/sips-office-sdk-php @ ecfb6e5, a fork of nicolasros/sips-office-sdk-php
published as composer package worldline/sips-office-sdk): see docs/sips-office-sources.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..config import Settings
from ..domain.dates import PARIS
from ..domain.errors import DomainError
from ..domain.statuses import PaymentStatus
from . import sips_codec as codec
from .interface import (
    CURRENCY_NUMERIC,
    MalformedResponse,
    MerchantCredentials,
    MoneyBack,
    OperationResult,
    PaymentRequest,
    PaypageForm,
    PspResponse,
    SealError,
    StartRequest,
    TransactionState,
)
from .sips_statuses import status_for_code

log = logging.getLogger(__name__)

# Last day Worldline accepted new Sips 2.0 transactions.
LAST_DAY_FOR_NEW_PAYMENTS = date(2025, 12, 31)
# Worldline's own Sips hosts: production, test and simulation (payment-webinit[.simu|.test]
# .sips-services.com, office-server[...]), and the former sips-atos.com names (replaced in 2021).
# The simulation platform counts as Worldline's: it is run by Worldline as part of the same Sips
# 2.0 product that was closed, it only ever exists to prepare a real Sips contract (which can no
# longer be used), and a "payment" taken there for a real order would never be money. Our history
# and demos run on the local sandbox instead, which stays open.
WORLDLINE_SIPS_DOMAINS = ("sips-services.com", "sips-atos.com")


class SipsClosedToNewPayments(DomainError):
    """Worldline Sips 2.0 takes no new payment any more (since 31/12/2025): use Worldline Direct."""

    def __init__(
        self,
        message: str = (
            "Worldline Sips n'accepte plus de nouveaux paiements depuis le 31/12/2025 : passez ce point "
            "de vente sur Worldline Direct dans Paramètres › e-Paiement."
        ),
    ):
        super().__init__(message)


def paris_today() -> date:
    return datetime.now(PARIS).date()


def is_worldline_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in WORLDLINE_SIPS_DOMAINS)


# --- Sips Office JSON: the documented fields (sources in docs/sips-office-sources.md) -----------
# Request fields each function accepts (the SDK's request classes; `seal`, `keyVersion`,
# `sealAlgorithm` and `merchantId` are added by `_sealed`). We send only the ones we need.
OFFICE_REQUEST_FIELDS = {
    "refund": frozenset(
        {
            "currencyCode",
            "customerContact",
            "interfaceVersion",
            "intermediateServiceProviderId",
            "keyVersion",
            "merchantId",
            "operationAmount",
            "operationOrigin",
            "paymentMeanData",
            "s10TransactionReference",
            "seal",
            "sealAlgorithm",
            "shoppingCartDetail",
            "transactionReference",
        }
    ),
    "cancel": frozenset(
        {
            "currencyCode",
            "customerContact",
            "interfaceVersion",
            "intermediateServiceProviderId",
            "keyVersion",
            "merchantId",
            "operationAmount",
            "operationOrigin",
            "s10TransactionReference",
            "seal",
            "sealAlgorithm",
            "transactionReference",
        }
    ),
    "getTransactionData": frozenset(
        {
            "interfaceVersion",
            "intermediateServiceProviderId",
            "keyVersion",
            "merchantId",
            "s10TransactionReference",
            "seal",
            "sealAlgorithm",
            "transactionReference",
        }
    ),
}
# getTransactionData answers with two codes: `getTransDataResponseCode` is the call's own result
# ("00": the query worked, "25": unknown transaction…), `responseCode` is the transaction's own
# response code (the one the payment got: "00", "05", "17", "51"…).
DIAG_CALL_CODE = "getTransDataResponseCode"


def _int(fields: Mapping[str, str], name: str) -> int:
    try:
        value = fields[name]
        if not re.fullmatch(r"-?[0-9]{1,18}", value, re.ASCII):
            raise ValueError(name)
        return int(value)
    except (KeyError, ValueError, TypeError):
        raise MalformedResponse(f"Champ {name} manquant ou invalide") from None


class SipsGateway:
    protocol = "sips2"

    def __init__(
        self, paypage_url: str, office_url: str, timeout: float = 10.0, *, today: Callable[[], date] = paris_today
    ):
        self.paypage_url = paypage_url.rstrip("/")
        self.office_url = office_url.rstrip("/")
        self.timeout = timeout
        self.today = today  # injectable clock (Europe/Paris date) for the 31/12/2025 rule

    @classmethod
    def from_settings(cls, settings: Settings) -> SipsGateway:
        return cls(settings.psp_paypage_url, settings.psp_office_url, settings.psp_timeout_seconds)

    # --- Paypage -------------------------------------------------------------------------

    def accepts_new_payments(self) -> bool:
        """False on Worldline's own hosts after 31/12/2025; the local sandbox stays open (history)."""
        return not (self.today() > LAST_DAY_FOR_NEW_PAYMENTS and is_worldline_host(self.paypage_url))

    def build_payment_form(self, request: PaymentRequest) -> PaypageForm:
        if not self.accepts_new_payments():
            raise SipsClosedToNewPayments()
        data = codec.encode_data(
            {
                "amount": request.amount_cents,
                "currencyCode": request.currency_code,
                "merchantId": request.merchant_id,
                "normalReturnUrl": request.normal_return_url,
                "automaticResponseUrl": request.automatic_response_url,
                "transactionReference": request.psp_reference,
                "orderId": request.reference,
                "keyVersion": request.key_version,
                "customerEmail": request.customer_email,
                "customerLanguage": request.language,
                "orderChannel": "INTERNET",
                "captureMode": "AUTHOR_CAPTURE",
            }
        )
        return PaypageForm(
            action_url=f"{self.paypage_url}/paymentInit",
            fields={
                "Data": data,
                "InterfaceVersion": codec.PAYPAGE_INTERFACE,
                "Seal": codec.paypage_seal(data, request.secret_key),
                "SealAlgorithm": codec.HMAC_SHA256,
            },
        )

    def read_merchant(self, fields: Mapping[str, str]) -> tuple[str, int]:
        _, data = codec.posted_data(fields)
        merchant_id = data.get("merchantId", "")
        if not merchant_id:
            raise MalformedResponse("merchantId manquant")
        return merchant_id, _int(data, "keyVersion") if "keyVersion" in data else 1

    def verify_response(self, fields: Mapping[str, str], secret_key: str) -> PspResponse:
        raw, data = codec.posted_data(fields)
        # The response is sealed like our request: HMAC unless the PSP says otherwise.
        algorithm = fields.get("SealAlgorithm", codec.HMAC_SHA256)
        expected = codec.paypage_seal(raw, secret_key, algorithm)
        if not codec.seals_match(expected, fields.get("Seal")):
            legacy = codec.paypage_seal(raw, secret_key, "")
            if "SealAlgorithm" in fields or not codec.seals_match(legacy, fields.get("Seal")):
                raise SealError("Sceau de la réponse invalide")
        if not data.get("responseCode") or not data.get("transactionReference"):
            raise MalformedResponse("responseCode ou transactionReference manquant")
        return PspResponse(
            response_code=data["responseCode"],
            transaction_reference=data["transactionReference"],
            order_id=data.get("orderId", ""),
            amount_cents=_int(data, "amount"),
            currency_code=data.get("currencyCode", ""),
            merchant_id=data.get("merchantId", ""),
            key_version=_int(data, "keyVersion") if "keyVersion" in data else 1,
            authorisation_id=data.get("authorisationId", ""),
            masked_pan=data.get("maskedPan", ""),
            transaction_datetime=data.get("transactionDateTime", ""),
            raw_data=raw,
            fields=data,
        )

    def status_for(self, response_code: str) -> PaymentStatus | None:
        return status_for_code(response_code)

    # --- Office JSON ---------------------------------------------------------------------

    def _sealed(self, creds: MerchantCredentials, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "merchantId": creds.merchant_id, "keyVersion": creds.key_version}
        body["seal"] = codec.json_seal(body, creds.secret_key)
        return body

    async def _call(
        self, path: str, creds: MerchantCredentials, body: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, str, str]:
        """(verified JSON answer, raw text, error). Never raises for network or protocol trouble."""
        url = f"{self.office_url}{path}"
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    url, json=self._sealed(creds, body), headers={"Accept": "application/json"}
                )
        except httpx.HTTPError as exc:
            log.warning("Sips Office %s unreachable: %r", path, exc)
            return None, "", f"PSP injoignable : {type(exc).__name__}"
        raw = response.text[:4000]
        if response.status_code >= 400:
            return None, raw, f"PSP HTTP {response.status_code}"
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return None, raw, "Réponse du PSP illisible"
        # The SDK checks a response seal like a request's: every field but keyVersion,
        # sealAlgorithm and seal (JsonSealCalculator::isCorrectSeal).
        expected = codec.json_seal(answer, creds.secret_key, codec.JSON_RESPONSE_SEAL_EXCLUDED)
        if not codec.seals_match(expected, answer.get("seal")):
            code = answer.get("responseCode", answer.get(DIAG_CALL_CODE))
            return None, raw, f"Sceau de la réponse du PSP invalide (code {code})"
        return answer, raw, ""

    async def _operation(
        self, op: str, creds: MerchantCredentials, psp_reference: str, amount_cents: int, currency_code: str
    ) -> OperationResult:
        # refund / cancel: only documented request fields (no orderChannel: not a field of these calls).
        answer, raw, error = await self._call(
            f"/rs-services/v2/cashManagement/{op}",
            creds,
            {
                "currencyCode": currency_code,
                "interfaceVersion": codec.CASH_INTERFACE,
                "operationAmount": amount_cents,
                "operationOrigin": "EPAIEMENT",
                "transactionReference": psp_reference,
            },
        )
        if answer is None:
            return OperationResult(ok=False, raw=raw, error=error)
        code = _text(answer.get("responseCode"))
        return OperationResult(
            ok=code == "00",
            response_code=code,
            new_status=_text(answer.get("newStatus")),
            raw=raw,
            error="" if code == "00" else f"Code PSP {code}",
            operation_datetime=_text(answer.get("operationDateTime")),
            new_amount_cents=_optional_int(answer.get("newAmount")),
            acquirer_response_code=_text(answer.get("acquirerResponseCode")),
        )

    async def refund(
        self, creds: MerchantCredentials, psp_reference: str, amount_cents: int, currency_code: str = "978"
    ) -> OperationResult:
        return await self._operation("refund", creds, psp_reference, amount_cents, currency_code)

    async def cancel(
        self, creds: MerchantCredentials, psp_reference: str, amount_cents: int, currency_code: str = "978"
    ) -> OperationResult:
        return await self._operation("cancel", creds, psp_reference, amount_cents, currency_code)

    async def get_transaction(self, creds: MerchantCredentials, psp_reference: str) -> TransactionState:
        answer, raw, error = await self._call(
            "/rs-services/v2/diagnostic/getTransactionData",
            creds,
            {
                "interfaceVersion": codec.DIAG_INTERFACE,
                "transactionReference": psp_reference,
            },
        )
        if answer is None:
            return TransactionState(ok=False, raw=raw, error=error)
        return parse_transaction_data(answer, raw)

    # --- protocol-neutral use cases ------------------------------------------------------------

    def start_payment(self, request: StartRequest) -> PaypageForm:
        creds = request.credentials
        return self.build_payment_form(
            PaymentRequest(
                reference=request.reference,
                psp_reference=request.psp_reference,
                amount_cents=request.amount_cents,
                currency_code=CURRENCY_NUMERIC[request.currency],
                merchant_id=creds.merchant_id,
                secret_key=creds.secret_key,
                key_version=creds.key_version,
                normal_return_url=request.return_url,
                automatic_response_url=request.notify_url,
                customer_email=request.customer_email,
            )
        )

    async def return_money(
        self, creds: MerchantCredentials, psp_payment_ref: str, amount_cents: int, currency: str, check_first: bool
    ) -> MoneyBack:
        """Refund through Sips Office; cancel instead while the payment is not remitted (code 24
        with newStatus TO_CAPTURE); an uncertain answer is checked with getTransactionData."""
        reference, numeric = psp_payment_ref, CURRENCY_NUMERIC.get(currency, currency)
        if check_first:
            state = await self.get_transaction(creds, reference)
            if not state.ok:
                return MoneyBack(
                    done=False,
                    operation="getTransactionData",
                    code=state.response_code,
                    raw=state.raw,
                    error=state.error or "Statut du paiement inconnu au PSP",
                )
            if state.money_returned:
                return MoneyBack(done=True, operation="getTransactionData", code=state.response_code, raw=state.raw)
        operation = "refund"
        result = await self.refund(creds, reference, amount_cents, numeric)
        if not result.ok and result.response_code == "24" and result.new_status == "TO_CAPTURE":
            operation = "cancel"  # not remitted yet: cancelling the authorisation returns the money
            result = await self.cancel(creds, reference, amount_cents, numeric)
        if result.ok:
            return MoneyBack(done=True, operation=operation, code=result.response_code, raw=result.raw)
        if result.uncertain:
            state = await self.get_transaction(creds, reference)
            if state.money_returned:
                return MoneyBack(
                    done=True,
                    operation=f"{operation} (vérifié par getTransactionData)",
                    code=state.response_code,
                    raw=state.raw,
                )
        return MoneyBack(done=False, operation=operation, code=result.response_code, raw=result.raw, error=result.error)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _optional_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_transaction_data(answer: Mapping[str, Any], raw: str = "") -> TransactionState:
    """A verified getTransactionData answer as a TransactionState.

    The call's own code is `getTransDataResponseCode`; `responseCode` is the transaction's. An answer
    without `getTransDataResponseCode` is not one we can read safely (which code is which?): it is
    reported as not ok, with the code it carries, so nobody acts on it.
    """
    if DIAG_CALL_CODE not in answer:
        code = _text(answer.get("responseCode"))
        return TransactionState(
            ok=False,
            response_code=code,
            raw=raw,
            error=f"Réponse getTransactionData sans {DIAG_CALL_CODE} (code {code})",
        )
    call_code = _text(answer.get(DIAG_CALL_CODE))
    state = TransactionState(
        ok=False,
        response_code=call_code,
        transaction_response_code=_text(answer.get("responseCode")),
        acquirer_response_code=_text(answer.get("acquirerResponseCode")),
        transaction_status=_text(answer.get("transactionStatus")),
        currency_code=_text(answer.get("currencyCode")),
        last_operation_name=_text(answer.get("lastOperationName")),
        raw=raw,
    )
    if call_code != "00":
        return replace(state, error=f"Code PSP {call_code}")
    try:
        origin = int(answer.get("originAmount") or 0)
        current = int(answer.get("currentAmount") or 0)
    except (TypeError, ValueError):
        return replace(state, error="Montants illisibles")
    return replace(state, ok=True, amount_cents=origin, current_amount_cents=current)


# Our callback routes for Sips (see api/sips.py): the PSP is told these at payment time.
NOTIFY_PATH = "/api/psp/sips/notify"
RETURN_PATH = "/api/psp/sips/return"
