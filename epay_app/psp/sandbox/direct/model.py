"""Payments as the platform shows them: statuses, JSON shapes and the rules of capture, cancel and refund."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from . import cards

# status → (statusCode, statusCategory, isCancellable, isRefundable, isAuthorized)
# CAPTURED 9 COMPLETED, isRefundable true, isAuthorized false [EO; MAGHC GetHostedCheckoutServiceResponse.php];
# PENDING_CAPTURE 5 PENDING_MERCHANT, cancellable, authorised, not refundable [EO; MAG GetPaymentServiceResponse.php];
# REJECTED 2 UNSUCCESSFUL [MAG GetPaymentDetailsServiceResponse.php]; REFUNDED 8 [MAG TransactionStatusInterface.php];
# CANCELLED 6 UNSUCCESSFUL as the notes' table (MAG's cancel fixture says 61 / PENDING_MERCHANT: unverified);
# CAPTURE_REQUESTED 91 and REFUND_REQUESTED 81 PENDING_CONNECT_OR_3RD_PARTY [notes §3; MAG constants].
STATUSES: dict[str, tuple[int, str, bool, bool, bool]] = {
    "PENDING_CAPTURE": (5, "PENDING_MERCHANT", True, False, True),
    "CAPTURED": (9, "COMPLETED", False, True, False),
    "REJECTED": (2, "UNSUCCESSFUL", False, False, False),
    "CANCELLED": (6, "UNSUCCESSFUL", False, False, False),
    "REFUNDED": (8, "REFUNDED", False, False, False),
    "CAPTURE_REQUESTED": (91, "PENDING_CONNECT_OR_3RD_PARTY", False, False, True),
    "REFUND_REQUESTED": (81, "PENDING_CONNECT_OR_3RD_PARTY", False, False, False),
}

CANCELLED_BY_CUSTOMER = "cancelled"

# Why a payment was not made. After a failed challenge: the error of [MAG GetPaymentDetailsServiceResponse.php];
# cancelled on the page: the error of [MAGHC GetHostedCheckoutServiceResponse.php getErrorHostedCheckoutResponse];
# a frictionless refusal's ids are not in a published fixture (unverified).
REJECTIONS = {
    cards.CHALLENGE_DECLINED: {
        "errorCode": "40001134",
        "category": "PAYMENT_PLATFORM_ERROR",
        "httpStatusCode": 403,
        "id": "AUTHENTICATION_FAILURE",
        "message": "",
        "retriable": False,
    },
    cards.DECLINED: {
        "errorCode": "30511001",
        "category": "PAYMENT_PLATFORM_ERROR",
        "httpStatusCode": 402,
        "id": "AUTHORIZATION_REFUSED",
        "message": "Authorisation refused by the issuer.",
        "retriable": False,
    },
}
ERRORS = {
    **REJECTIONS,
    CANCELLED_BY_CUSTOMER: {
        "errorCode": "30171001",
        "category": "PAYMENT_PLATFORM_ERROR",
        "httpStatusCode": 402,
        "id": "CANCELLED_BY_CUSTOMER",
        "message": "Payment cancelled by the customer.",
        "retriable": False,
    },
}

# Webhook type per new payment status [SAP WorldlinedirectcoreConstants.java, notes §5].
EVENT_TYPES = {
    "PENDING_CAPTURE": "payment.pending_capture",
    "CAPTURED": "payment.captured",
    "REJECTED": "payment.rejected",
    "CANCELLED": "payment.cancelled",
    "REFUNDED": "payment.refunded",
}


def now_iso() -> str:
    # ISO 8601 with offset: the webhook's `created` [MAG StubData/Webhook/Authorization.php] (a str in
    # SDK 10.3's WebhooksEvent) and the fields the SDK types as datetimes (notes §2).
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_payment(checkout: Mapping[str, Any], card: cards.Card | None, outcome: str) -> dict[str, Any]:
    """The checkout's payment; card None and outcome CANCELLED when the customer cancelled."""
    request = checkout["request"]
    order = request.get("order") or {}
    money_in = order.get("amountOfMoney") or {}
    mode = ((request.get("cardPaymentMethodSpecificInput") or {}).get("authorizationMode") or "SALE").upper()
    approved = outcome in (cards.APPROVED, cards.CHALLENGE_APPROVED)
    amount = int(money_in.get("amount") or 0)
    data = {
        "checkoutId": checkout["id"],
        "amount": amount,
        "currency": money_in.get("currencyCode") or "EUR",
        "merchantReference": checkout["merchant_reference"],
        "mode": mode,
        "rejected": outcome in REJECTIONS,
        "cancelledByCustomer": outcome == CANCELLED_BY_CUSTOMER,
        "errors": [] if approved else [ERRORS[outcome]],
        "authorisationCode": f"{secrets.randbelow(10**6):06d}" if approved else "",
        "card": None
        if card is None
        else {
            # bin: 8 digits on preprod ("51370098") [EO recorded preprod]
            "cardNumber": card.masked,
            "expiryDate": card.expiry,
            "bin": card.number[:8],
        },
        "productId": card.product_id if card else None,
        "flow": "challenge" if outcome in (cards.CHALLENGE_APPROVED, cards.CHALLENGE_DECLINED) else "frictionless",
        # SALE is captured on approval [SDK domain/card_payment_method_specific_input_base.py docstring; EO]
        "captured": amount if approved and mode == "SALE" else 0,
        "capturing": 0,
        "cancelled": 0,
        "refunded": 0,
        "refunding": 0,
        "closed": mode == "SALE" or not approved,
        "createdAt": now_iso(),
    }
    data["status"] = compute_status(data)
    return data


def compute_status(data: Mapping[str, Any]) -> str:
    if data["rejected"]:
        return "REJECTED"
    if data["cancelledByCustomer"]:
        return "CANCELLED"
    if data["capturing"] > 0:
        return "CAPTURE_REQUESTED"  # then CAPTURED "after some time" [EO test_authorization_capture]
    if data["captured"] > 0:
        return "REFUNDED" if data["refunded"] >= data["captured"] else "CAPTURED"
    if data["cancelled"] > 0 and (data["closed"] or data["cancelled"] >= data["amount"]):
        return "CANCELLED"
    return "PENDING_CAPTURE"


def set_status(data: dict[str, Any]) -> bool:
    """Recompute the status; True when it changed."""
    status = compute_status(data)
    changed: bool = status != data["status"]
    data["status"] = status
    return changed


def refundable_amount(data: Mapping[str, Any]) -> int:
    amount: int = data["captured"] + data["capturing"] - data["refunded"] - data["refunding"]
    return amount


def status_output(
    status: str, *, refundable: bool | None = None, errors: list[Any] | None = None, code: int | None = None
) -> dict[str, Any]:
    # No statusCodeChangeDateTime: the recorded preprod answers carry none [EO].
    default_code, category, cancellable, is_refundable, authorized = STATUSES[status]
    out: dict[str, Any] = {
        "isAuthorized": authorized,
        "isCancellable": cancellable,
        "isRefundable": is_refundable if refundable is None else refundable,
        "statusCategory": category,
        "statusCode": code or default_code,
    }
    if errors:
        out["errors"] = errors
    return out


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currencyCode": currency}


def payment_json(payment: Mapping[str, Any]) -> dict[str, Any]:
    """GET /v2/{merchantId}/payments/{id} [SDK domain/payment_response.py; EO recorded preprod; MAG/MAGHC]."""
    data = payment["data"]
    status = data["status"]
    approved = not (data["rejected"] or data["cancelledByCustomer"])
    output: dict[str, Any] = {
        "amountOfMoney": money(data["amount"], data["currency"]),
        # the authorised amount, also before capture (10 of 10 while PENDING_CAPTURE) [EO recorded preprod];
        # 0 once cancelled [MAG CancelPaymentServiceResponse.php]; 0 when refused (unverified)
        "acquiredAmount": money(data["amount"] - data["cancelled"] if approved else 0, data["currency"]),
        "references": {"merchantReference": data["merchantReference"]},
        "paymentMethod": "card",
    }
    if data["card"]:
        card_output: dict[str, Any] = {
            "paymentProductId": data["productId"],
            "card": dict(data["card"]),
            "threeDSecureResults": {
                "version": "2.2.0",
                "flow": data["flow"],
                "authenticationStatus": "R" if data["rejected"] and data["flow"] == "challenge" else "Y",
                "eci": "5",
                "liability": "issuer",
            },
        }
        if data["authorisationCode"]:
            card_output["authorisationCode"] = data["authorisationCode"]
        output["cardPaymentMethodSpecificOutput"] = card_output
    # "cancelled by customer" is statusCode 1 [MAG Model/Transaction/TransactionStatusInterface.php]
    code = 1 if data["cancelledByCustomer"] else None
    return {
        "hostedCheckoutSpecificOutput": {"hostedCheckoutId": data["checkoutId"]},  # [EO; MAGHC]
        "id": f"{payment['id']}_0",
        "paymentOutput": output,
        "status": status,
        "statusOutput": status_output(
            status,
            refundable=status == "CAPTURED" and refundable_amount(data) > 0,
            errors=data["errors"] or None,
            code=code,
        ),
    }


def refund_json(payment: Mapping[str, Any], refund: Mapping[str, Any], refunded_before: int) -> dict[str, Any]:
    """RefundResponse [SDK domain/refund_response.py, refund_output.py]; the webhook's `refund`
    [MAG StubData/Webhook/Refund.php]."""
    data = payment["data"]
    status = refund["status"]
    return {  # id <payment>_<n>: +1 per operation [support.direct.ingenico.com webhooks-payid, notes §3]
        "id": refund["id"],
        "refundOutput": {
            "amountOfMoney": money(refund["amount"], data["currency"]),
            "references": {"merchantReference": data["merchantReference"]},
            "cardRefundMethodSpecificOutput": {
                "totalAmountPaid": data["captured"],
                "totalAmountRefunded": refunded_before,
            },
            "paymentMethod": "card",
        },
        "status": status,
        "statusOutput": {
            "isCancellable": False,
            "statusCategory": STATUSES[status][1],
            "statusCode": STATUSES[status][0],
        },
    }


def capture_json(payment: Mapping[str, Any], op_id: str, amount: int) -> dict[str, Any]:
    """CaptureResponse [SDK domain/capture_response.py, capture_output.py]."""
    data = payment["data"]
    return {
        "captureOutput": {
            "amountOfMoney": money(amount, data["currency"]),
            "acquiredAmount": money(data["captured"], data["currency"]),
            "references": {"merchantReference": data["merchantReference"]},
            "paymentMethod": "card",
        },
        "id": op_id,
        "status": "CAPTURE_REQUESTED",  # [EO test_authorization_capture]
        "statusOutput": status_output("CAPTURE_REQUESTED"),
    }


def checkout_json(checkout: Mapping[str, Any], payment: Mapping[str, Any] | None) -> dict[str, Any]:
    """GET /v2/{merchantId}/hostedcheckouts/{id} [SDK domain/get_hosted_checkout_response.py;
    EO recorded preprod; MAGHC GetHostedCheckoutServiceResponse.php]."""
    state = checkout["state"]
    if state == "CHALLENGE":
        state = "IN_PROGRESS"
    body: dict[str, Any] = {"status": state}
    if payment is not None:
        data = payment["data"]
        category = "REJECTED" if data["rejected"] or data["cancelledByCustomer"] else "SUCCESSFUL"  # [SAP], [MAGHC]
        body["createdPaymentOutput"] = {"payment": payment_json(payment), "paymentStatusCategory": category}
    return body


def webhook_event(merchant_id: str, event_type: str, key: str, obj: Mapping[str, Any], event_id: str) -> dict[str, Any]:
    """[MAG StubData/Webhook/Authorization.php, Refund.php; SDK domain/web_hooks_event.py]"""
    return {
        "apiVersion": "v1",
        "created": now_iso(),
        "id": event_id,
        "merchantId": merchant_id,
        key: obj,
        "type": event_type,
    }
