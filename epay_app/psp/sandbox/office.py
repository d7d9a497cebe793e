"""Sips Office JSON operations with the real rules: refund only what was captured and remitted,
cancel only before remittance, never more than what is left."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from .. import sips_codec as codec
from .merchants import Merchant
from .store import Store, is_remitted, sips_status


def seal_answer(answer: dict[str, Any], merchant: Merchant | None) -> dict[str, Any]:
    if merchant is not None:
        answer["seal"] = codec.json_seal(answer, merchant.secret_key, frozenset({"seal"}))
    return answer


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
        amount = int(body.get("operationAmount"))
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
        return {"responseCode": "00", "newStatus": sips_status(txn),
                "operationDateTime": _now_iso(), "transactionReference": reference}


def transaction_data(store: Store, merchant: Merchant, body: Mapping[str, Any]) -> dict[str, Any]:
    txn = store.find(merchant.merchant_id, str(body.get("transactionReference", "")))
    if txn is None:
        return {"responseCode": "25"}
    return {
        "responseCode": "00",
        "transactionReference": txn["transaction_reference"],
        "transactionStatus": sips_status(txn),
        "amount": txn["amount"],
        "currentAmount": txn["current_amount"] - txn["refunded_amount"],
        "currencyCode": txn["currency_code"],
        "orderId": txn["order_id"],
        "lastResponseCode": txn["response_code"],
    }


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
