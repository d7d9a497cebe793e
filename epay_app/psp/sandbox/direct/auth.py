"""v1HMAC verification of API calls, recomputed with the SDK's own authenticator."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlparse

from onlinepayments.sdk.authentication.v1hmac_authenticator import V1HmacAuthenticator
from onlinepayments.sdk.communication.request_header import RequestHeader
from onlinepayments.sdk.communicator_configuration import CommunicatorConfiguration

from .merchants import DirectMerchant

# The platform's allowed skew is not published (notes §1: unverified); 15 minutes here.
DEFAULT_CLOCK_SKEW = 15 * 60


@lru_cache(maxsize=64)
def _authenticator(api_key_id: str, api_secret: str) -> V1HmacAuthenticator:
    config = CommunicatorConfiguration(
        api_endpoint="http://sandbox.invalid",
        api_key_id=api_key_id,
        secret_api_key=api_secret,
        authorization_type="v1HMAC",
        connect_timeout=5,
        socket_timeout=30,
        max_connections=1,
    )
    return V1HmacAuthenticator(config)


def expected_authorization(
    api_key_id: str, api_secret: str, method: str, path_and_query: str, headers: list[tuple[str, str]]
) -> str:
    """``GCS v1HMAC:<keyId>:<signature>`` as the SDK computes it [SDK authentication/v1hmac_authenticator.py]:
    it signs METHOD, Content-Type, Date, the x-gcs* headers and path?query as sent."""
    authorization: str = _authenticator(api_key_id, api_secret).get_authorization(
        method, urlparse(path_and_query), [RequestHeader(k, v) for k, v in headers]
    )
    return authorization


def check(
    merchant: DirectMerchant,
    method: str,
    path_and_query: str,
    headers: list[tuple[str, str]],
    now: datetime | None = None,
    clock_skew: float = DEFAULT_CLOCK_SKEW,
) -> str:
    """'' when the call is authentic, else why not (for the log; the caller answers 401)."""
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(value)
    authorization, date = values.get("authorization", []), values.get("date", [])
    if len(authorization) != 1 or len(date) != 1:
        return "one Authorization and one Date header expected"
    try:
        sent = parsedate_to_datetime(date[0])
    except (TypeError, ValueError):
        return "unreadable Date header"
    if sent.tzinfo is None:
        return "Date header without GMT"
    if abs(((now or datetime.now(UTC)) - sent).total_seconds()) > clock_skew:
        return "Date header outside the allowed clock skew"
    parts = authorization[0].split(":")
    if len(parts) != 3 or parts[0] != "GCS v1HMAC" or parts[1] != merchant.api_key_id:
        return "unknown API key or authorization type"
    expected = expected_authorization(
        merchant.api_key_id,
        merchant.api_secret,
        method,
        path_and_query,
        [(k, v) for k, v in headers if k.lower() != "authorization"],
    )
    if not hmac.compare_digest(expected.encode(), authorization[0].encode()):
        return "signature mismatch"
    return ""
