"""Sips 2.0 payment responses sealed the way Worldline (and our sandbox) seal them.

Shared by the reliability suites and bench/callback_bench.py: one place builds the wire format,
with the codec the app uses, so a test message is byte-for-byte what the PSP would post.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from epay_app.psp import sips_codec as codec

DEMO_MERCHANT = "002001000000002"
DEMO_KEY = "002001000000002_KEY1"
NOTIFY = "/api/psp/sips/notify"
RETURN = "/api/psp/sips/return"


def response_data(
    *,
    psp_reference: str,
    order_id: str,
    amount_cents: int | str,
    response_code: str = "00",
    merchant_id: str = DEMO_MERCHANT,
    key_version: str = "1",
    currency_code: str = "978",
    transaction_datetime: str = "2025-03-14T09:26:53+00:00",
    omit: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
) -> str:
    """The Data string of a payment response, fields in the sandbox's order."""
    accepted = response_code == "00"
    fields = {
        "merchantId": merchant_id,
        "keyVersion": key_version,
        "transactionReference": psp_reference,
        "orderId": order_id,
        "amount": str(amount_cents),
        "currencyCode": currency_code,
        "responseCode": response_code,
        "acquirerResponseCode": response_code,
        "authorisationId": "654321" if accepted else "",
        "transactionDateTime": transaction_datetime,
        "captureMode": "AUTHOR_CAPTURE",
        "captureDay": "0",
        "maskedPan": "4100##########00",
        "paymentMeanBrand": "VISA",
        "paymentMeanType": "CARD",
        **(extra or {}),
    }
    for name in omit:
        fields.pop(name, None)
    return codec.encode_data(fields)


def seal_form(
    data: str,
    secret_key: str = DEMO_KEY,
    *,
    encode: bool = False,
    legacy: bool = False,
) -> dict[str, str]:
    """The four posted fields. `encode`: Data in base64 (Encode=base64); `legacy`: SHA-256(Data+key)
    without SealAlgorithm, as Sips answers a request that did not name one."""
    posted = codec.b64_encode(data) if encode else data
    form = {
        "Data": posted,
        "Seal": codec.paypage_seal(posted, secret_key, "" if legacy else codec.HMAC_SHA256),
        "InterfaceVersion": codec.PAYPAGE_INTERFACE,
    }
    if encode:
        form["Encode"] = "base64"
    return form


def signed_response(
    payment,
    response_code: str = "00",
    *,
    secret_key: str = DEMO_KEY,
    encode: bool = False,
    legacy: bool = False,
    **data_overrides,
) -> dict[str, str]:
    """A sealed response for an EPayment (or anything with psp_reference, reference, amount_cents)."""
    args = dict(
        psp_reference=payment.psp_reference,
        order_id=payment.reference,
        amount_cents=payment.amount_cents,
        response_code=response_code,
    )
    args.update(data_overrides)
    return seal_form(response_data(**args), secret_key, encode=encode, legacy=legacy)


def idempotency_key(form: Mapping[str, str]) -> str:
    """What services/payment/callbacks.py records for this message: SHA-256 of Data as posted."""
    return hashlib.sha256(form["Data"].encode()).hexdigest()
