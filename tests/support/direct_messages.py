"""Worldline Direct webhooks as the platform signs them for the sandbox's demo merchant
(X-GCS-Signature = base64 HMAC-SHA256 of the raw body under the webhook secret, X-GCS-KeyId:
notes/worldline-direct.md §5, SDK webhooks/signature_validator.py). Shapes: the Magento plugin's
StubData/Webhook fixtures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

from epay_app.services.demo.demo_data import DEMO_DIRECT

WEBHOOK = "/api/psp/direct/webhook"


def sign(body: bytes, secret: str = DEMO_DIRECT["webhook_secret"]) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_body(
    payment,
    *,
    status="CAPTURED",
    code=9,
    amount=None,
    currency="EUR",
    merchant=None,
    payment_id="7000000001_0",
    event_id=None,
) -> bytes:
    event = {
        "apiVersion": "v1",
        "created": "2026-11-29T21:23:39.123+01:00",
        "id": event_id or str(uuid.uuid4()),
        "merchantId": merchant or DEMO_DIRECT["pspid"],
        "type": f"payment.{status.lower()}",
        "payment": {
            "id": payment_id,
            "status": status,
            "statusOutput": {"statusCode": code, "statusCategory": "COMPLETED" if code == 9 else "UNSUCCESSFUL"},
            "paymentOutput": {
                "amountOfMoney": {
                    "amount": payment.amount_cents if amount is None else amount,
                    "currencyCode": currency,
                },
                "references": {"merchantReference": payment.reference},
                "cardPaymentMethodSpecificOutput": {
                    "authorisationCode": "123456",
                    "card": {"cardNumber": "************4675"},
                },
            },
        },
    }
    return json.dumps(event).encode()


def webhook_headers(
    body: bytes, signature: str | None = None, key_id: str = DEMO_DIRECT["webhook_key_id"]
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GCS-KeyId": key_id,
        "X-GCS-Signature": sign(body) if signature is None else signature,
    }
