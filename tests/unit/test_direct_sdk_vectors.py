"""The Worldline Direct SDK's own published vectors, through the SDK and through the sandbox's code.

Sources: wl-online-payments-direct/sdk-python3 tests/unit/test_v1hmac_authenticator.py (request
signature) and tests/unit/test_web_hooks_helper.py with tests/resources/webhooks/valid-body (webhook
signature); see tests/fixtures/direct/SOURCES.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import pytest
from onlinepayments.sdk.authentication.v1hmac_authenticator import V1HmacAuthenticator
from onlinepayments.sdk.communication.request_header import RequestHeader
from onlinepayments.sdk.communicator_configuration import CommunicatorConfiguration
from onlinepayments.sdk.json.default_marshaller import DefaultMarshaller
from onlinepayments.sdk.webhooks.in_memory_secret_key_store import InMemorySecretKeyStore
from onlinepayments.sdk.webhooks.signature_validation_exception import SignatureValidationException
from onlinepayments.sdk.webhooks.webhooks_helper import WebhooksHelper

from epay_app.psp.sandbox.direct import auth, webhooks
from epay_app.psp.sandbox.direct.merchants import DirectMerchant

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "direct"

# [SDKT unit/test_v1hmac_authenticator.py::..._MinimalExample]
KEY_ID, SECRET = "EC36A74A98D21", "6Kj5HT0MQKC6D8eb7W3lTg71kVKVDSt1"
DATE = "Fri, 06 Jun 2014 13:39:43 GMT"
EXPECTED = "GCS v1HMAC:EC36A74A98D21:vCos01y77soPNJOW6kDCm4Bu5b2darAZ09PP7Wa+jRA="

# [SDKT unit/test_web_hooks_helper.py]
WEBHOOK_SECRET, WEBHOOK_KEY_ID = "hello+world", "dummy-key-id"
WEBHOOK_SIGNATURE = "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk="


def _sdk_authenticator() -> V1HmacAuthenticator:
    return V1HmacAuthenticator(
        CommunicatorConfiguration(
            api_endpoint="http://localhost:8080",
            api_key_id=KEY_ID,
            secret_api_key=SECRET,
            authorization_type="v1HMAC",
            connect_timeout=5,
            socket_timeout=30,
            max_connections=1,
        )
    )


def test_sdk_signs_the_published_vector():
    authenticator = _sdk_authenticator()
    url = urllib.parse.urlparse("http://localhost:8080/v2/1/tokens/2")
    headers = [RequestHeader("Date", DATE)]
    assert authenticator.to_data_to_sign("GET", url, headers) == f"GET\n\n{DATE}\n/v2/1/tokens/2\n"
    assert authenticator.get_authorization("GET", url, headers) == EXPECTED


def test_raw_hmac_of_the_string_to_sign_is_the_vector():
    data = f"GET\n\n{DATE}\n/v2/1/tokens/2\n".encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), data, hashlib.sha256).digest()).decode()
    assert "GCS v1HMAC:EC36A74A98D21:" + signature == EXPECTED


def test_sandbox_verifier_computes_and_accepts_the_vector():
    assert auth.expected_authorization(KEY_ID, SECRET, "GET", "/v2/1/tokens/2", [("Date", DATE)]) == EXPECTED
    merchant = DirectMerchant("1", KEY_ID, SECRET, "wh", "whs")
    at_the_time = datetime(2014, 6, 6, 13, 40, tzinfo=UTC)
    headers = [("date", DATE), ("authorization", EXPECTED), ("host", "localhost:8080")]
    assert auth.check(merchant, "GET", "/v2/1/tokens/2", headers, now=at_the_time) == ""


@pytest.mark.parametrize("change", ["signature", "key", "path", "method", "skew", "no-date", "x-gcs"])
def test_sandbox_verifier_refuses_what_differs(change):
    merchant = DirectMerchant("1", KEY_ID, SECRET, "wh", "whs")
    now = datetime(2014, 6, 6, 13, 40, tzinfo=UTC)
    headers = [("date", DATE), ("authorization", EXPECTED)]
    method, path = "GET", "/v2/1/tokens/2"
    if change == "signature":
        headers[1] = ("authorization", EXPECTED[:-5] + "AAAA=")
    elif change == "key":
        merchant = DirectMerchant("1", KEY_ID, "another secret", "wh", "whs")
    elif change == "path":
        path = "/v2/1/tokens/3"
    elif change == "method":
        method = "DELETE"
    elif change == "skew":
        now = datetime(2014, 6, 6, 14, 0, tzinfo=UTC)  # 20 minutes later
    elif change == "no-date":
        headers = headers[1:]
    elif change == "x-gcs":  # an x-gcs header is signed: adding one breaks the signature
        headers.append(("x-gcs-idempotence-key", "abc"))
    assert auth.check(merchant, method, path, headers, now=now) != ""


def test_full_example_with_x_gcs_headers_matches_sdk():
    # [SDKT unit/test_v1hmac_authenticator.py::..._FullExample]: apiKeyId / secretApiKey
    headers = [
        ("Date", "Wed, 01 Jan 2020 11:00:00 GMT"),
        ("X-GCS-ClientMetaInfo", "processed header value"),
        ("X-GCS-CustomerHeader", "processed header value"),
        ("X-GCS-ServerMetaInfo", "processed header value"),
    ]
    assert (
        auth.expected_authorization("apiKeyId", "secretApiKey", "DELETE", "/v2/1/tokens", headers)
        == "GCS v1HMAC:apiKeyId:zcDsJLRYsh99pqyCFdrVLyLVi+4A+QLis14rEtV8c98="
    )


def _body() -> bytes:
    return (FIXTURES / "valid-body").read_bytes()


def test_webhook_vector_through_the_sdk_helper():
    store = InMemorySecretKeyStore.instance()
    store.store_secret_key(WEBHOOK_KEY_ID, WEBHOOK_SECRET)
    try:
        helper = WebhooksHelper(DefaultMarshaller.instance(), store)
        event = helper.unmarshal(
            _body(), [RequestHeader("X-GCS-Signature", WEBHOOK_SIGNATURE), RequestHeader("X-GCS-KeyId", WEBHOOK_KEY_ID)]
        )
        assert (event.id, event.type, event.merchant_id) == (
            "8ee793f6-4553-4749-85dc-f2ef095c5ab0",
            "payment.paid",
            "20000",
        )
        with pytest.raises(SignatureValidationException):
            helper.unmarshal(
                _body() + b" ",
                [RequestHeader("X-GCS-Signature", WEBHOOK_SIGNATURE), RequestHeader("X-GCS-KeyId", WEBHOOK_KEY_ID)],
            )
    finally:
        store.remove_secret_key(WEBHOOK_KEY_ID)


def test_webhook_vector_through_the_sandbox_signer():
    assert webhooks.sign(WEBHOOK_SECRET, _body()) == WEBHOOK_SIGNATURE
