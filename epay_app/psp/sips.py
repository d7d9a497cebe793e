"""Worldline Sips 2.0: Paypage POST for the customer, Sips Office JSON for refunds and status.

The two base URLs come from the settings only: pointing them at Worldline's simulation
platform instead of the local sandbox is a configuration change.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

import httpx

from ..config import Settings
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

log = logging.getLogger(__name__)

S = PaymentStatus
RESPONSE_STATUS: dict[str, PaymentStatus | None] = {
    "00": S.AUTORISE,
    "17": S.ANNULE, "97": S.ANNULE,
    **{code: S.REJETE for code in ("02", "05", "11", "14", "54", "63", "75")},
    "60": None,  # pending at the PSP: stays Envoyé
}


def status_for_code(response_code: str) -> PaymentStatus | None:
    return RESPONSE_STATUS.get(response_code, S.ERREUR)


def _int(fields: Mapping[str, str], name: str) -> int:
    try:
        return int(fields[name])
    except (KeyError, ValueError):
        raise MalformedResponse(f"Champ {name} manquant ou invalide") from None


class SipsGateway:
    protocol = "sips2"

    def __init__(self, paypage_url: str, office_url: str, timeout: float = 10.0):
        self.paypage_url = paypage_url.rstrip("/")
        self.office_url = office_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> "SipsGateway":
        return cls(settings.psp_paypage_url, settings.psp_office_url, settings.psp_timeout_seconds)

    # --- Paypage -------------------------------------------------------------------------

    def build_payment_form(self, request: PaymentRequest) -> PaypageForm:
        data = codec.encode_data({
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
        })
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

    async def _call(self, path: str, creds: MerchantCredentials, body: dict[str, Any]):
        """(verified JSON answer, raw text, error). Never raises for network or protocol trouble."""
        url = f"{self.office_url}{path}"
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(url, json=self._sealed(creds, body))
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
        expected = codec.json_seal(answer, creds.secret_key, frozenset({"seal"}))
        if not codec.seals_match(expected, answer.get("seal")):
            return None, raw, f"Sceau de la réponse du PSP invalide (code {answer.get('responseCode')})"
        return answer, raw, ""

    async def _operation(self, op: str, creds, psp_reference, amount_cents, currency_code):
        answer, raw, error = await self._call(f"/rs-services/v2/cashManagement/{op}", creds, {
            "currencyCode": currency_code,
            "interfaceVersion": codec.CASH_INTERFACE,
            "operationAmount": amount_cents,
            "operationOrigin": "EPAIEMENT",
            "orderChannel": "INTERNET",
            "transactionReference": psp_reference,
        })
        if answer is None:
            return OperationResult(ok=False, raw=raw, error=error)
        code = str(answer.get("responseCode", ""))
        return OperationResult(
            ok=code == "00", response_code=code, new_status=str(answer.get("newStatus", "")),
            raw=raw, error="" if code == "00" else f"Code PSP {code}",
        )

    async def refund(self, creds: MerchantCredentials, psp_reference: str, amount_cents: int,
                     currency_code: str = "978") -> OperationResult:
        return await self._operation("refund", creds, psp_reference, amount_cents, currency_code)

    async def cancel(self, creds: MerchantCredentials, psp_reference: str, amount_cents: int,
                     currency_code: str = "978") -> OperationResult:
        return await self._operation("cancel", creds, psp_reference, amount_cents, currency_code)

    async def get_transaction(self, creds: MerchantCredentials, psp_reference: str) -> TransactionState:
        answer, raw, error = await self._call("/rs-services/v2/diagnostic/getTransactionData", creds, {
            "interfaceVersion": codec.DIAG_INTERFACE,
            "transactionReference": psp_reference,
        })
        if answer is None:
            return TransactionState(ok=False, raw=raw, error=error)
        code = str(answer.get("responseCode", ""))
        try:
            amount = int(answer.get("amount") or 0)
            current = int(answer.get("currentAmount") or 0)
        except (TypeError, ValueError):
            return TransactionState(ok=False, response_code=code, raw=raw, error="Montants illisibles")
        return TransactionState(
            ok=code == "00", response_code=code, transaction_status=str(answer.get("transactionStatus", "")),
            amount_cents=amount, current_amount_cents=current, raw=raw,
            error="" if code == "00" else f"Code PSP {code}",
        )

    # --- protocol-neutral use cases ------------------------------------------------------------

    def start_payment(self, request: StartRequest) -> PaypageForm:
        creds = request.credentials
        return self.build_payment_form(PaymentRequest(
            reference=request.reference, psp_reference=request.psp_reference,
            amount_cents=request.amount_cents, currency_code=CURRENCY_NUMERIC[request.currency],
            merchant_id=creds.merchant_id, secret_key=creds.secret_key, key_version=creds.key_version,
            normal_return_url=request.return_url, automatic_response_url=request.notify_url,
            customer_email=request.customer_email,
        ))

    async def return_money(self, creds: MerchantCredentials, psp_payment_ref: str, amount_cents: int,
                           currency: str, check_first: bool) -> MoneyBack:
        """Refund through Sips Office; cancel instead while the payment is not remitted (code 24
        with newStatus TO_CAPTURE); an uncertain answer is checked with getTransactionData."""
        reference, numeric = psp_payment_ref, CURRENCY_NUMERIC.get(currency, currency)
        if check_first:
            state = await self.get_transaction(creds, reference)
            if not state.ok:
                return MoneyBack(done=False, operation="getTransactionData", code=state.response_code,
                                 raw=state.raw, error=state.error or "Statut du paiement inconnu au PSP")
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
                return MoneyBack(done=True, operation=f"{operation} (vérifié par getTransactionData)",
                                 code=state.response_code, raw=state.raw)
        return MoneyBack(done=False, operation=operation, code=result.response_code, raw=result.raw,
                         error=result.error)


# Our callback routes for Sips (see api/sips.py): the PSP is told these at payment time.
NOTIFY_PATH = "/api/psp/sips/notify"
RETURN_PATH = "/api/psp/sips/return"
