"""Sips 2.0 seals against vectors computed outside Python (openssl dgst), response-code mapping
and the reference <-> transactionReference round trip."""

from datetime import date

import pytest

from epay_app.domain.references import TransactionReference
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.psp import sips_codec as codec
from epay_app.psp.interface import MalformedResponse, PaymentRequest, SealError
from epay_app.psp.sips import SipsGateway
from epay_app.psp.sips_statuses import status_for_code

KEY = "002001000000002_KEY1"
DATA = (
    "amount=50000|currencyCode=978|merchantId=002001000000002|normalReturnUrl=https://shop.example/return"
    "|transactionReference=00045000061200000268371|keyVersion=1"
)
# printf '%s' "$DATA" | openssl dgst -sha256 -hmac "$KEY"
HMAC_SEAL = "b5a2ad5e95739546cde19a5d2bfd643b5e4a842044ceee29e894050164fba199"
# printf '%s%s' "$DATA" "$KEY" | openssl dgst -sha256
LEGACY_SEAL = "3122597cf695d1006518cbfc439c49eace6cb86e067794b304d169f88c2971cd"
# the seal covers the base64 text when Encode=base64
B64_SEAL = "b8fd063be925527d7133d1814b7a50b45b187984ea2373f23d87b2e78f02d2a8"


def test_paypage_hmac_seal_matches_published_algorithm():
    assert codec.paypage_seal(DATA, KEY) == HMAC_SEAL


def test_paypage_legacy_seal_is_sha256_of_data_then_key():
    assert codec.paypage_seal(DATA, KEY, "") == LEGACY_SEAL


def test_base64_data_is_sealed_as_posted():
    posted = codec.b64_encode(DATA)
    assert codec.paypage_seal(posted, KEY) == B64_SEAL
    raw, fields = codec.posted_data({"Data": posted, "Encode": "base64"})
    assert raw == posted and fields["transactionReference"] == "00045000061200000268371"


def test_office_request_seal_sorts_fields_and_skips_key_version_and_seal():
    body = {
        "merchantId": "002001000000002",
        "transactionReference": "00045000061200000268371",
        "operationAmount": 50000,
        "currencyCode": "978",
        "interfaceVersion": "CR_WS_2.3",
        "operationOrigin": "EPAIEMENT",
        "orderChannel": "INTERNET",
        "keyVersion": 1,
        "sealAlgorithm": "HMAC-SHA-256",
        "seal": "ignored",
    }
    expected_input = "978CR_WS_2.300200100000000250000EPAIEMENTINTERNET00045000061200000268371"
    assert codec.json_seal_input(body, codec.JSON_REQUEST_SEAL_EXCLUDED) == expected_input
    assert codec.json_seal(body, KEY) == "63657b2ddd9da02e42ddf9eb3e1ef4e073f9b16d98e4634e0dbd6b0e207c2fe6"


def test_office_response_seal_covers_every_field_but_seal():
    answer = {
        "responseCode": "00",
        "newStatus": "CREDITED",
        "operationDateTime": "2025-01-01T10:00:00+00:00",
        "transactionReference": "00045000061200000268371",
        "seal": "x",
    }
    assert codec.json_seal(answer, KEY, frozenset({"seal"})) == (
        "9c9dce3c056efb56685e6964a1ebdf5cc87d9806700ae2566272511114e585ac"
    )


def test_json_seal_input_sorts_nested_objects_and_flattens_lists():
    assert codec.json_seal_input({"b": {"y": "2", "x": "1"}, "a": "0", "c": ["3", {"z": 4}]}) == "01234"


def test_data_round_trip_keeps_equals_signs_in_urls():
    fields = codec.parse_data("normalReturnUrl=https://x/r?a=1|amount=100")
    assert fields == {"normalReturnUrl": "https://x/r?a=1", "amount": "100"}
    with pytest.raises(ValueError):
        codec.encode_data({"returnContext": "a|b"})
    with pytest.raises(MalformedResponse):
        codec.parse_data("garbage")


def test_seal_comparison_is_case_insensitive_and_rejects_missing():
    assert codec.seals_match(HMAC_SEAL, HMAC_SEAL.upper())
    assert not codec.seals_match(HMAC_SEAL, None)
    assert not codec.seals_match(HMAC_SEAL, HMAC_SEAL[:-1] + "0")


@pytest.mark.parametrize(
    "code, status",
    [
        ("00", S.AUTORISE),
        ("17", S.ANNULE),
        ("97", S.ANNULE),
        ("02", S.REJETE),
        ("05", S.REJETE),
        ("11", S.REJETE),
        ("14", S.REJETE),
        ("54", S.REJETE),
        ("63", S.REJETE),
        ("75", S.REJETE),
        ("60", None),
        ("03", S.ERREUR),
        ("12", S.ERREUR),
        ("24", S.ERREUR),
        ("30", S.ERREUR),
        ("34", S.ERREUR),
        ("90", S.ERREUR),
        ("94", S.ERREUR),
        ("99", S.ERREUR),
        ("", S.ERREUR),
    ],
)
def test_response_code_mapping(code, status):
    assert status_for_code(code) == status


def test_reference_round_trip_with_transaction_reference():
    ref = TransactionReference.parse("00045_000061_20000026837_12")
    assert ref.psp_reference == "000450000612000002683712"
    assert ref.psp_reference.isalnum()
    assert TransactionReference.from_psp_reference(ref.psp_reference) == ref


def _request(**overrides):
    values = dict(
        reference="00045_000061_20000026837_1",
        psp_reference="00045000061200000268371",
        amount_cents=50000,
        merchant_id="002001000000002",
        secret_key=KEY,
        key_version=1,
        normal_return_url="https://shop.example/r",
        automatic_response_url="https://shop.example/n",
        customer_email="client@example.fr",
    )
    values.update(overrides)
    return PaymentRequest(**values)


def test_payment_form_carries_the_sips_fields_and_a_valid_seal():
    # The last day Worldline took new Sips payments (see test_sips_closed for the day after).
    gateway = SipsGateway(
        "https://payment-webinit.simu.sips-services.com/", "https://office", today=lambda: date(2025, 12, 31)
    )
    form = gateway.build_payment_form(_request())
    assert form.action_url == "https://payment-webinit.simu.sips-services.com/paymentInit"
    fields = codec.parse_data(form.fields["Data"])
    assert fields["transactionReference"] == "00045000061200000268371"
    assert fields["orderId"] == "00045_000061_20000026837_1"
    assert (fields["amount"], fields["currencyCode"], fields["keyVersion"]) == ("50000", "978", "1")
    assert (fields["customerLanguage"], fields["orderChannel"], fields["captureMode"]) == (
        "fr",
        "INTERNET",
        "AUTHOR_CAPTURE",
    )
    assert form.fields["InterfaceVersion"] == "HP_2.31"
    assert form.fields["SealAlgorithm"] == "HMAC-SHA-256"
    assert form.fields["Seal"] == codec.paypage_seal(form.fields["Data"], KEY)


def _response(data: str, seal: str, **extra):
    return {"Data": data, "Seal": seal, "InterfaceVersion": "HP_2.31", **extra}


RESPONSE = (
    "merchantId=002001000000002|keyVersion=1|transactionReference=00045000061200000268371"
    "|orderId=00045_000061_20000026837_1|amount=50000|currencyCode=978|responseCode=00"
    "|authorisationId=123456|maskedPan=4100##########00"
)


def test_verify_accepts_hmac_legacy_and_base64_responses():
    gateway = SipsGateway("http://p", "http://o")
    for fields in (
        _response(RESPONSE, codec.paypage_seal(RESPONSE, KEY)),
        _response(RESPONSE, codec.paypage_seal(RESPONSE, KEY, "")),
        _response(codec.b64_encode(RESPONSE), codec.paypage_seal(codec.b64_encode(RESPONSE), KEY), Encode="base64"),
    ):
        assert gateway.read_merchant(fields) == ("002001000000002", 1)
        parsed = gateway.verify_response(fields, KEY)
        assert (parsed.response_code, parsed.amount_cents, parsed.authorisation_id) == ("00", 50000, "123456")
        assert parsed.raw_data == fields["Data"]


def test_verify_rejects_a_tampered_response():
    gateway = SipsGateway("http://p", "http://o")
    seal = codec.paypage_seal(RESPONSE, KEY)
    with pytest.raises(SealError):
        gateway.verify_response(_response(RESPONSE.replace("50000", "5000"), seal), KEY)
    with pytest.raises(SealError):
        gateway.verify_response(_response(RESPONSE, seal), "another key")
