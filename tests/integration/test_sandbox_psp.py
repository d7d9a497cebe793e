"""The sandbox PSP on its own: hosted page, validation, refusals before any payment."""

from __future__ import annotations

import httpx
import pytest

from epay_app.psp import sips_codec as codec

KEY = "002001000000002_KEY1"
_refs = iter(range(1, 10_000))


def _init_form(
    return_url="http://127.0.0.1:9/return",
    key=KEY,
    key_version="1",
    merchant="002001000000002",
    algorithm="HMAC-SHA-256",
    encode=False,
):
    reference = f"SANDBOXTEST{next(_refs):06d}"
    data = codec.encode_data(
        {
            "amount": 50000,
            "currencyCode": "978",
            "merchantId": merchant,
            "keyVersion": key_version,
            "normalReturnUrl": return_url,
            "transactionReference": reference,
            "orderId": "00045_000061_20000026837_1",
        }
    )
    posted = codec.b64_encode(data) if encode else data
    form = {
        "Data": posted,
        "InterfaceVersion": "HP_2.31",
        "Seal": codec.paypage_seal(posted, key, algorithm if algorithm else ""),
    }
    if algorithm:
        form["SealAlgorithm"] = algorithm
    if encode:
        form["Encode"] = "base64"
    return reference, form


def _status(sandbox, reference):
    return httpx.get(f"{sandbox}/_sandbox/transactions/{reference}")


def test_hosted_page_shows_what_the_guide_shows(sandbox):
    _, form = _init_form()
    page = httpx.post(f"{sandbox}/paymentInit", data=form, follow_redirects=True)
    assert page.status_code == 200
    for text in (
        "500.00 EUR",
        'Référence de la commande : <span id="order-id">00045_000061_20000026837_1',
        'Bénéficiaire : <span id="merchant-name">Bee2Link',
        "PAYER AVEC : <strong>VISA",
        "TITULAIRE DE LA CARTE*",
        "NUMÉRO DE LA CARTE*",
        "DATE D'EXPIRATION (MM / AAAA)*",
        "CODE DE VÉRIFICATION DE LA CARTE*",
        "Oui, je confirme mon paiement",
        ">Retour<",
        ">Annulation<",
        "Paiement traité par <strong>WORLDLINE",
    ):
        assert text in page.text
    for name in ("holder", "card_number", "exp_month", "exp_year", "cvc"):
        assert f'id="{name}" name="{name}"' in page.text


@pytest.mark.parametrize("change", ["seal", "merchant", "key_version"])
def test_bad_seal_unknown_merchant_or_key_version_is_code_34_without_payment(sandbox, change):
    kwargs = {
        "seal": {"key": "wrong"},
        "merchant": {"merchant": "999999999999999"},
        "key_version": {"key_version": "2"},
    }[change]
    reference, form = _init_form(**kwargs)
    page = httpx.post(f"{sandbox}/paymentInit", data=form)
    assert page.status_code == 400 and '<span id="response-code">34</span>' in page.text
    assert _status(sandbox, reference).status_code == 404


@pytest.mark.parametrize("algorithm, encode", [("", False), ("HMAC-SHA-256", True)])
def test_legacy_seal_and_base64_requests_are_answered_in_kind(sandbox, algorithm, encode, parse_forms):
    reference, form = _init_form(algorithm=algorithm, encode=encode)
    page = httpx.post(f"{sandbox}/paymentInit", data=form, follow_redirects=True)
    action = parse_forms(page.text, str(page.url))[1][0]  # Annulation
    back = httpx.post(action)
    _, response = parse_forms(back.text)[0]
    assert response["Seal"] == codec.paypage_seal(response["Data"], KEY, algorithm)
    _, fields = codec.posted_data(response)
    assert fields["responseCode"] == "17" and fields["transactionReference"] == reference
    assert ("Encode" in response) == encode


def test_card_errors_are_french_and_the_form_comes_back(sandbox):
    reference, form = _init_form()
    page = httpx.post(f"{sandbox}/paymentInit", data=form, follow_redirects=True)
    again = httpx.post(
        str(page.url),
        data={"holder": "", "card_number": "4111111111111112", "exp_month": "01", "exp_year": "2020", "cvc": "12"},
    )
    for message in (
        "Le titulaire de la carte est obligatoire.",
        "Le numéro de la carte est invalide.",
        "La carte est expirée.",
        "Le code de vérification doit comporter 3 ou 4 chiffres.",
    ):
        assert message in again.text
    assert 'value="4111111111111112"' in again.text and "Oui, je confirme mon paiement" in again.text
    assert _status(sandbox, reference).json()["state"] == "PENDING"


def test_reused_transaction_reference_is_code_94(sandbox, parse_forms):
    _, form = _init_form()
    page = httpx.post(f"{sandbox}/paymentInit", data=form, follow_redirects=True)
    httpx.post(
        str(page.url),
        data={"holder": "P", "card_number": "4100000000000005", "exp_month": "12", "exp_year": "2099", "cvc": "123"},
    )
    again = httpx.post(f"{sandbox}/paymentInit", data=form)
    assert again.status_code == 400 and '<span id="response-code">94</span>' in again.text
