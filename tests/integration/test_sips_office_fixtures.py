"""Our Sips Office adapter AND the sandbox's Office, each checked against the public sources, not
against each other.

Fixtures (tests/fixtures/sips/, each with a `_source` header):
- sdk_seal_vectors.json: seal vectors from Worldline's own SDK tests (worldline/sips-sdk-java
  SealCalculatorTest, worldline/sips-sdk-php JsonSealCalculatorTest), including one response sealed
  by Worldline's simulation platform.
- office_messages.json: the request/response field names and types of refund, cancel and
  getTransactionData, extracted from the public PHP Sips Office SDK (warehousenantes/sips-office-sdk-php).
- office_answers.json: answers written by us with those names only (the values are ours: no public
  SDK ships a recorded Office answer; the names are checked here against office_messages.json).

The sandbox runs in-process (its Starlette app behind httpx.ASGITransport), the adapter talks to
it or to canned answers through the same transport: no port, no subprocess.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from epay_app.domain.statuses import PaymentStatus as S
from epay_app.psp import sips
from epay_app.psp import sips_codec as codec
from epay_app.psp.interface import MerchantCredentials
from epay_app.psp.sandbox.app import create_app
from epay_app.psp.sandbox.merchants import DEMO
from epay_app.psp.sips_statuses import status_for_code
from epay_app.psp.sips_statuses import status_for_transaction as target_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sips"
SEALS = json.loads((FIXTURES / "sdk_seal_vectors.json").read_text())
MESSAGES = json.loads((FIXTURES / "office_messages.json").read_text())["messages"]
ANSWERS = json.loads((FIXTURES / "office_answers.json").read_text())
CREDS = MerchantCredentials(DEMO.merchant_id, DEMO.secret_key, DEMO.key_version)
OFFICE = "http://office.test"
PATHS = {
    "refund": "/rs-services/v2/cashManagement/refund",
    "cancel": "/rs-services/v2/cashManagement/cancel",
    "getTransactionData": "/rs-services/v2/diagnostic/getTransactionData",
}
# PHP types of the SDK → the JSON types they accept
JSON_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "string": (str,)}
# The adapter's httpx.AsyncClient is re-routed by the `transport` fixture (monkeypatch on the
# httpx module); the test's own requests use the class as imported.
AsyncClient = httpx.AsyncClient


def _request_fields(op: str) -> dict[str, str]:
    return MESSAGES[op]["request_fields"]


def _response_fields(op: str) -> dict[str, str]:
    return MESSAGES[op]["response_fields"]


def _assert_documented(op: str, answer: dict[str, Any]) -> None:
    """Every field is one of the SDK's response fields, with a JSON type matching the SDK's."""
    documented = _response_fields(op)
    unknown = sorted(set(answer) - set(documented))
    assert not unknown, f"{op}: fields not in the SDK's response class: {unknown}"
    for name, value in answer.items():
        expected = JSON_TYPES.get(documented[name])
        if expected is not None:
            assert isinstance(value, expected) and not isinstance(value, bool), (
                f"{op}.{name} = {value!r}: the SDK types it {documented[name]}"
            )


def _sealed(answer: dict[str, Any], key: str = DEMO.secret_key) -> dict[str, Any]:
    answer = dict(answer)
    answer["seal"] = codec.json_seal(answer, key, codec.JSON_RESPONSE_SEAL_EXCLUDED)
    return answer


def _run(coro):
    return asyncio.run(coro)


@pytest.fixture
def transport(monkeypatch) -> Callable[[httpx.AsyncBaseTransport], None]:
    """route(transport): the adapter's httpx clients go through `transport`."""
    original = AsyncClient

    def route(target: httpx.AsyncBaseTransport) -> None:
        monkeypatch.setattr(
            sips.httpx, "AsyncClient", lambda *args, **kwargs: original(*args, transport=target, **kwargs)
        )

    return route


@pytest.fixture
def canned(transport):
    """canned(answer) → list of the JSON bodies the adapter sent; every call answers `answer`."""

    def install(answer: dict[str, Any] | Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        def handler(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            body["_path"] = request.url.path
            sent.append(body)
            return httpx.Response(200, json=answer(request.url.path) if callable(answer) else answer)

        transport(httpx.MockTransport(handler))
        return sent

    return install


def _gateway() -> sips.SipsGateway:
    return sips.SipsGateway("http://127.0.0.1:8900", OFFICE, timeout=5)


# --- 1. the seal, against Worldline's SDK tests -------------------------------------------------


@pytest.mark.parametrize("vector", SEALS["hmac"], ids=lambda v: v["from"])
def test_hmac_matches_the_sdk(vector):
    assert codec.json_seal({"only": vector["message"]}, vector["key"]) == vector["seal"]


@pytest.mark.parametrize("vector", SEALS["seal_strings"], ids=lambda v: v["from"])
def test_seal_string_matches_the_sdks(vector):
    assert codec.json_seal_input(vector["message"], codec.JSON_REQUEST_SEAL_EXCLUDED) == vector["seal_string"]


@pytest.mark.parametrize("vector", SEALS["sealed_responses"], ids=lambda v: v["from"])
def test_adapter_accepts_a_response_sealed_by_worldline_and_rejects_it_altered(vector, canned):
    creds = MerchantCredentials("002001000000002", vector["key"], 1)
    canned(vector["answer"])
    answer, _, error = _run(_gateway()._call(PATHS["getTransactionData"], creds, {}))
    assert error == "" and answer == vector["answer"]
    canned({**vector["answer"], "redirectionStatusMessage": "ACCEPTED"})
    answer, _, error = _run(_gateway()._call(PATHS["getTransactionData"], creds, {}))
    assert answer is None and "Sceau" in error


# --- 2. the fixtures of ours use documented names only ------------------------------------------


@pytest.mark.parametrize(
    "op, name", [(op, name) for op in ("getTransactionData", "refund", "cancel") for name in ANSWERS[op]]
)
def test_our_answer_fixtures_only_use_documented_fields(op, name):
    _assert_documented(op, ANSWERS[op][name])


# --- 3. the adapter: what it sends, what it reads -----------------------------------------------


def test_adapter_sends_only_documented_request_fields(canned):
    sent = canned(
        lambda path: _sealed(
            ANSWERS["getTransactionData"]["authorised_not_remitted"]
            if path.endswith("getTransactionData")
            else ANSWERS["refund"]["done"]
        )
    )
    gateway = _gateway()
    _run(gateway.refund(CREDS, "00045000061200000268371", 20000))
    _run(gateway.cancel(CREDS, "00045000061200000268371", 20000))
    _run(gateway.get_transaction(CREDS, "00045000061200000268371"))
    assert [body["_path"] for body in sent] == [PATHS["refund"], PATHS["cancel"], PATHS["getTransactionData"]]
    for op, body in zip(("refund", "cancel", "getTransactionData"), sent, strict=True):
        body.pop("_path")
        assert set(body) <= set(_request_fields(op)), f"{op}: {sorted(set(body) - set(_request_fields(op)))}"
        assert {"merchantId", "interfaceVersion", "transactionReference", "keyVersion", "seal"} <= set(body)
        assert body["interfaceVersion"] == MESSAGES[op]["interfaceVersion"]
        assert body["seal"] == codec.json_seal(body, DEMO.secret_key)
        if op != "getTransactionData":
            assert (body["operationAmount"], body["currencyCode"]) == (20000, "978")
            assert "orderChannel" not in body  # not a field of refund/cancel


def test_adapter_reads_the_query_code_apart_from_the_transaction_code(canned):
    canned(_sealed(ANSWERS["getTransactionData"]["refused_51"]))
    state = _run(_gateway().get_transaction(CREDS, "00045000061200000268372"))
    assert state.ok and state.response_code == "00"  # the query worked…
    assert state.transaction_response_code == "51"  # …about a payment refused with 51
    assert (state.transaction_status, state.acquirer_response_code) == ("REFUSED", "51")
    assert (state.amount_cents, state.current_amount_cents) == (50000, 0)
    # one PSP fact, one status: reconciliation says what the callback says for 51
    assert target_for(state) is status_for_code("51") is S.ERREUR


def test_adapter_reads_origin_and_current_amounts(canned):
    canned(_sealed(ANSWERS["getTransactionData"]["partly_refunded"]))
    state = _run(_gateway().get_transaction(CREDS, "00045000061200000268373"))
    assert state.ok and state.transaction_status == "CAPTURED" and state.remitted
    assert (state.amount_cents, state.origin_amount_cents, state.current_amount_cents) == (50000, 50000, 30000)
    assert state.last_operation_name == "CREDIT" and state.currency_code == "978"

    canned(_sealed(ANSWERS["getTransactionData"]["authorised_not_remitted"]))
    state = _run(_gateway().get_transaction(CREDS, "00045000061200000268371"))
    assert state.ok and (state.transaction_status, state.transaction_response_code) == ("TO_CAPTURE", "00")
    assert target_for(state) is S.AUTORISE


def test_adapter_unknown_transaction(canned):
    canned(_sealed(ANSWERS["getTransactionData"]["unknown"]))
    state = _run(_gateway().get_transaction(CREDS, "NOSUCHREFERENCE"))
    assert not state.ok and state.response_code == "25" and state.transaction_response_code == ""
    assert target_for(state) is None


def test_adapter_does_not_guess_without_the_query_code(canned):
    """A `responseCode` alone could be either code: nobody acts on it."""
    canned(
        _sealed({"responseCode": "00", "transactionStatus": "CAPTURED", "originAmount": 50000, "currentAmount": 50000})
    )
    state = _run(_gateway().get_transaction(CREDS, "00045000061200000268371"))
    assert not state.ok and not state.money_returned and target_for(state) is None


def test_adapter_reads_refund_and_cancel_answers(canned):
    canned(_sealed(ANSWERS["refund"]["done"]))
    result = _run(_gateway().refund(CREDS, "00045000061200000268373", 20000))
    assert result.ok and (result.response_code, result.new_status, result.new_amount_cents) == ("00", "CAPTURED", 30000)
    assert result.operation_datetime == "2025-11-10T09:00:00+01:00" and result.acquirer_response_code == "00"

    canned(_sealed(ANSWERS["refund"]["not_remitted"]))
    result = _run(_gateway().refund(CREDS, "00045000061200000268371", 20000))
    assert not result.ok and not result.uncertain and (result.response_code, result.new_status) == ("24", "TO_CAPTURE")

    canned(_sealed(ANSWERS["cancel"]["done"]))
    result = _run(_gateway().cancel(CREDS, "00045000061200000268371", 50000))
    assert result.ok and (result.new_status, result.new_amount_cents) == ("CANCELLED", 0)


# --- 4. the sandbox: what it answers ------------------------------------------------------------


@pytest.fixture
def sandbox_app(tmp_path, transport):
    """The sandbox app in-process; the adapter's Office calls go to it."""
    app = create_app(str(tmp_path / "sandbox.sqlite"), {DEMO.merchant_id: DEMO}, remit_after=3600)
    transport(httpx.ASGITransport(app=app))
    return app


def _paid(app, reference: str, code: str = "00", amount: int = 50000) -> None:
    """A transaction the sandbox took: hosted-page session opened, then finished with `code`."""
    store = app.state.sandbox.store
    request = {
        "merchantId": DEMO.merchant_id,
        "transactionReference": reference,
        "amount": str(amount),
        "currencyCode": "978",
        "orderId": "00045_000061_20000026837_1",
        "keyVersion": "1",
    }
    _, row = store.open_session(request, codec.HMAC_SHA256, "")
    data = codec.encode_data(
        {
            "merchantId": DEMO.merchant_id,
            "transactionReference": reference,
            "amount": amount,
            "currencyCode": "978",
            "responseCode": code,
            "acquirerResponseCode": code,
            "authorisationId": "123456" if code == "00" else "",
            "maskedPan": "4100##########00",
            "paymentMeanBrand": "VISA",
            "paymentMeanType": "CARD",
            "orderChannel": "INTERNET",
        }
    )
    form = {"Data": data, "Seal": codec.paypage_seal(data, DEMO.secret_key), "InterfaceVersion": "HP_2.31"}
    assert store.finish(row["id"], code, form, remit_after=3600)


async def _post(app, op: str, body: dict[str, Any], key: str = DEMO.secret_key) -> dict[str, Any]:
    body = {
        "merchantId": DEMO.merchant_id,
        "keyVersion": 1,
        "interfaceVersion": MESSAGES[op]["interfaceVersion"],
        **body,
    }
    body["seal"] = codec.json_seal(body, key)
    async with AsyncClient(transport=httpx.ASGITransport(app=app), base_url=OFFICE) as client:
        response = await client.post(PATHS[op], json=body)
    assert response.status_code == 200
    return response.json()


def _documented_and_sealed(op: str, answer: dict[str, Any]) -> None:
    _assert_documented(op, answer)
    assert answer["seal"] == codec.json_seal(answer, DEMO.secret_key, codec.JSON_RESPONSE_SEAL_EXCLUDED)


def test_sandbox_get_transaction_data_has_the_documented_shape(sandbox_app):
    _paid(sandbox_app, "SANDBOXOFFICE1")
    _paid(sandbox_app, "SANDBOXOFFICE2", code="05")
    ok = _run(_post(sandbox_app, "getTransactionData", {"transactionReference": "SANDBOXOFFICE1"}))
    _documented_and_sealed("getTransactionData", ok)
    assert (ok["getTransDataResponseCode"], ok["responseCode"], ok["transactionStatus"]) == ("00", "00", "TO_CAPTURE")
    assert (ok["originAmount"], ok["currentAmount"]) == (50000, 50000)
    refused = _run(_post(sandbox_app, "getTransactionData", {"transactionReference": "SANDBOXOFFICE2"}))
    _documented_and_sealed("getTransactionData", refused)
    assert (refused["getTransDataResponseCode"], refused["responseCode"], refused["transactionStatus"]) == (
        "00",
        "05",
        "REFUSED",
    )
    unknown = _run(_post(sandbox_app, "getTransactionData", {"transactionReference": "NOSUCH"}))
    _documented_and_sealed("getTransactionData", unknown)
    assert unknown["getTransDataResponseCode"] == "25" and "responseCode" not in unknown


def test_sandbox_refund_and_cancel_have_the_documented_shape(sandbox_app):
    _paid(sandbox_app, "SANDBOXOFFICE3")
    early = _run(
        _post(
            sandbox_app,
            "refund",
            {
                "transactionReference": "SANDBOXOFFICE3",
                "operationAmount": 10000,
                "currencyCode": "978",
                "operationOrigin": "EPAIEMENT",
            },
        )
    )
    _documented_and_sealed("refund", early)
    assert (early["responseCode"], early["newStatus"]) == ("24", "TO_CAPTURE")  # not remitted: cancel instead
    cancelled = _run(
        _post(
            sandbox_app,
            "cancel",
            {"transactionReference": "SANDBOXOFFICE3", "operationAmount": 10000, "currencyCode": "978"},
        )
    )
    _documented_and_sealed("cancel", cancelled)
    assert (cancelled["responseCode"], cancelled["newStatus"], cancelled["newAmount"]) == ("00", "TO_CAPTURE", 40000)

    sandbox_app.state.sandbox.store.remit("SANDBOXOFFICE3")
    time.sleep(0.01)
    refunded = _run(
        _post(
            sandbox_app,
            "refund",
            {"transactionReference": "SANDBOXOFFICE3", "operationAmount": 40000, "currencyCode": "978"},
        )
    )
    _documented_and_sealed("refund", refunded)
    assert (refunded["responseCode"], refunded["newStatus"], refunded["newAmount"]) == ("00", "CREDITED", 0)
    data = _run(_post(sandbox_app, "getTransactionData", {"transactionReference": "SANDBOXOFFICE3"}))
    _documented_and_sealed("getTransactionData", data)
    assert (data["transactionStatus"], data["originAmount"], data["currentAmount"]) == ("CREDITED", 50000, 0)


def test_sandbox_unauthenticated_answers_are_documented(sandbox_app):
    for op in ("getTransactionData", "refund", "cancel"):
        answer = _run(
            _post(
                sandbox_app,
                op,
                {"transactionReference": "X", "operationAmount": 1, "currencyCode": "978"},
                key="not the key",
            )
        )
        _assert_documented(op, answer)
        assert list(answer.values()) == ["34"]


def test_adapter_against_the_sandbox(sandbox_app):
    """Both sides read from the sources also agree with each other end to end."""
    _paid(sandbox_app, "SANDBOXOFFICE4")
    _paid(sandbox_app, "SANDBOXOFFICE5", code="05")
    gateway = _gateway()
    state = _run(gateway.get_transaction(CREDS, "SANDBOXOFFICE4"))
    assert state.ok and (state.transaction_status, state.amount_cents, state.current_amount_cents) == (
        "TO_CAPTURE",
        50000,
        50000,
    )
    refused = _run(gateway.get_transaction(CREDS, "SANDBOXOFFICE5"))
    assert refused.ok and refused.transaction_response_code == "05" and target_for(refused) is S.REJETE
    result = _run(gateway.refund(CREDS, "SANDBOXOFFICE4", 50000))
    assert (result.ok, result.response_code, result.new_status) == (False, "24", "TO_CAPTURE")
    result = _run(gateway.cancel(CREDS, "SANDBOXOFFICE4", 50000))
    assert result.ok and (result.new_status, result.new_amount_cents) == ("CANCELLED", 0)
    assert _run(gateway.get_transaction(CREDS, "SANDBOXOFFICE4")).money_returned
    unknown = _run(gateway.get_transaction(CREDS, "NOSUCH"))
    assert (unknown.ok, unknown.response_code) == (False, "25")


def test_the_adapters_field_lists_are_the_sdks():
    """sips.OFFICE_REQUEST_FIELDS (the adapter's own record of the documented request fields) and
    the call-code field name agree with the SDK's classes."""
    for op, names in sips.OFFICE_REQUEST_FIELDS.items():
        assert names == set(_request_fields(op)), op
    assert sips.DIAG_CALL_CODE in _response_fields("getTransactionData")
    assert {"responseCode", "transactionStatus", "originAmount", "currentAmount"} <= set(
        _response_fields("getTransactionData")
    )
    assert (
        MESSAGES["refund"]["interfaceVersion"],
        MESSAGES["getTransactionData"]["interfaceVersion"],
    ) == (codec.CASH_INTERFACE, codec.DIAG_INTERFACE)
