"""Sips Office JSON operations with the real rules: refund only what was captured and remitted,
cancel only before remittance, never more than what is left.

The answers use the field names of Worldline's published Office messages, as carried by the public
PHP Sips Office SDK (warehousenantes/sips-office-sdk-php @ ecfb6e5, src/Office/SipsMessages/…:
RefundResponse, CancelResponse, GetTransactionDataResponse) — not whatever the adapter reads:
tests/integration/test_sips_office_fixtures.py checks both sides against fixtures from those
sources. getTransactionData answers with its own result in `getTransDataResponseCode` and the
transaction's in `responseCode`; amounts are `originAmount` (authorised) and `currentAmount`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .. import sips_codec as codec
from .merchants import Merchant
from .store import Store, is_remitted, sips_status


def seal_answer(answer: dict[str, Any], merchant: Merchant | None) -> dict[str, Any]:
    if merchant is not None:
        answer["seal"] = codec.json_seal(answer, merchant.secret_key, codec.JSON_RESPONSE_SEAL_EXCLUDED)
    return answer


def unauthenticated(op: str) -> dict[str, Any]:
    """Unknown merchant, wrong keyVersion or bad seal: 34 (fraud suspicion), unsealed."""
    return {"getTransDataResponseCode" if op == "getTransactionData" else "responseCode": "34"}


def authenticate(body: Mapping[str, Any], merchants: Mapping[str, Merchant]) -> Merchant | None:
    merchant = merchants.get(str(body.get("merchantId", "")))
    if merchant is None or str(body.get("keyVersion", "")) != str(merchant.key_version):
        return None
    if not codec.seals_match(codec.json_seal(body, merchant.secret_key), str(body.get("seal", ""))):
        return None
    return merchant


def operate(store: Store, merchant: Merchant, op: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """refund or cancel; the answer before sealing."""
    reference = str(body.get("transactionReference", ""))
    try:
        amount = int(body.get("operationAmount", ""))
    except (TypeError, ValueError):
        amount = 0
    if amount <= 0 or not reference:
        return {"responseCode": "30"}
    with store.transaction() as db:
        txn = store.find(merchant.merchant_id, reference, db)
        if txn is None:
            return {"responseCode": "25"}
        status = sips_status(txn)
        if str(body.get("currencyCode", "")) != txn["currency_code"]:
            return {"responseCode": "12", "newStatus": status}
        if status not in ("TO_CAPTURE", "CAPTURED"):
            return {"responseCode": "24", "newStatus": status}
        current, refunded = txn["current_amount"], txn["refunded_amount"]
        if op == "cancel":
            if is_remitted(txn) or amount > current:
                return {"responseCode": "24", "newStatus": status}
            current -= amount
        else:
            if not is_remitted(txn):
                return {"responseCode": "24", "newStatus": "TO_CAPTURE"}
            if amount > current - refunded:
                return {"responseCode": "24", "newStatus": status}
            refunded += amount
        store.update_amounts(db, txn["id"], current, refunded)
        txn.update(current_amount=current, refunded_amount=refunded)
        # RefundResponse / CancelResponse: responseCode, newStatus, newAmount, operationDateTime
        # (+ acquirerResponseCode, authorisationId when the acquirer was asked: not simulated).
        return {
            "responseCode": "00",
            "newStatus": sips_status(txn),
            "newAmount": current - refunded,
            "operationDateTime": _now_iso(),
        }


def transaction_data(store: Store, merchant: Merchant, body: Mapping[str, Any]) -> dict[str, Any]:
    """GetTransactionDataResponse: the call's result in getTransDataResponseCode, the
    transaction's own code in responseCode."""
    txn = store.find(merchant.merchant_id, str(body.get("transactionReference", "")))
    if txn is None:
        return {"getTransDataResponseCode": "25"}
    answer: dict[str, Any] = {
        "getTransDataResponseCode": "00",
        "merchantId": txn["merchant_id"],
        "transactionReference": txn["transaction_reference"],
        "transactionStatus": sips_status(txn),
        "originAmount": txn["amount"],
        "currentAmount": txn["current_amount"] - txn["refunded_amount"],
        "currencyCode": txn["currency_code"],
        "orderId": txn["order_id"],
        "transactionDateTime": _iso(txn["created_at"]),
    }
    if txn["state"] != "PENDING":
        answer["responseCode"] = txn["response_code"]
        response = _response_fields(txn)
        for name in (
            "acquirerResponseCode",
            "authorisationId",
            "maskedPan",
            "panExpiryDate",
            "paymentMeanBrand",
            "paymentMeanType",
            "orderChannel",
        ):
            if response.get(name):
                answer[name] = response[name]
    return {key: value for key, value in answer.items() if value not in ("", None)}


def _response_fields(txn: Mapping[str, Any]) -> dict[str, str]:
    """The fields of the Paypage response the sandbox sent for this transaction."""
    try:
        return codec.posted_data(txn["response"])[1] if txn["response"] else {}
    except Exception:
        return {}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
