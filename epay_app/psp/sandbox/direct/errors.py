"""The platform's JSON error body: {"errorId", "errors": [APIError]} [SDK domain/error_response.py, api_error.py]."""

from __future__ import annotations

import uuid

from starlette.responses import JSONResponse


def api_error(
    status: int,
    error_id: str,
    error_code: str,
    message: str = "",
    *,
    category: str = "DIRECT_PLATFORM_ERROR",
    property_name: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error = {
        "errorCode": error_code,
        "category": category,
        "httpStatusCode": status,
        "id": error_id,
        "message": message or error_id,
        "retriable": False,
    }
    if property_name:
        error["propertyName"] = property_name
    return JSONResponse({"errorId": str(uuid.uuid4()), "errors": [error]}, status_code=status, headers=headers)


# [SDKT integration/test_payments.py] errors[0].message == "ACTION_NOT_ALLOWED_ON_TRANSACTION" for an
# over-refund or a second refund; errorCode 50001127 [sdk-php PaymentTest.php, via notes §3].
def not_allowed(message: str = "ACTION_NOT_ALLOWED_ON_TRANSACTION") -> JSONResponse:
    return api_error(400, "ACTION_NOT_ALLOWED_ON_TRANSACTION", "50001127", message, category="PAYMENT_PLATFORM_ERROR")


def invalid_value(property_name: str, message: str = "") -> JSONResponse:
    # id INVALID_VALUE with httpStatusCode 400 [SDKT integration/test_exceptions.py]; errorCode unverified.
    return api_error(
        400, "INVALID_VALUE", "50001111", message or f"INVALID_VALUE: {property_name}", property_name=property_name
    )


def unknown_object(what: str) -> JSONResponse:
    # 404 for an unknown payment id [SDKT integration/test_payments.py]; the body's ids are unverified.
    return api_error(404, "UNKNOWN_OBJECT", "1002", f"{what} not found", category="PAYMENT_PLATFORM_ERROR")
