"""Direct sandbox rules that are slow or awkward to reach over HTTP: session expiry, merchants, cards."""

from __future__ import annotations

import json
from datetime import date

import pytest

from epay_app.psp.sandbox.direct import cards, merchants, model
from epay_app.psp.sandbox.direct.store import DirectStore
from epay_app.psp.sandbox.direct.webhooks import DirectFaults

REQUEST = {
    "order": {"amountOfMoney": {"amount": 1250, "currencyCode": "EUR"}, "references": {"merchantReference": "o-1"}}
}


def test_session_timeout_makes_the_checkout_cancelled_by_consumer(tmp_path):
    store = DirectStore(tmp_path / "s.db")
    expired = store.create_checkout("openflexdemo", REQUEST, "mac", "http://x", timeout_minutes=-1)
    alive = store.create_checkout("openflexdemo", REQUEST, "mac", "http://x", timeout_minutes=180)
    assert store.checkout(expired["id"])["state"] == "CANCELLED_BY_CONSUMER"
    assert model.checkout_json(store.checkout(expired["id"]), None) == {"status": "CANCELLED_BY_CONSUMER"}
    assert store.checkout(alive["id"])["state"] == "IN_PROGRESS"
    assert store.create_payment(store.checkout(expired["id"]), {}) is None  # too late to pay


def test_a_checkout_gets_one_payment_numbered_like_it(tmp_path):
    store = DirectStore(tmp_path / "s.db")
    checkout = store.create_checkout("openflexdemo", REQUEST, "mac", "http://x", 180)
    card = cards.Card("A", "4330264936344675", 12, 2031)
    assert store.create_payment(checkout, model.new_payment(checkout, card, cards.APPROVED)) == checkout["id"]
    assert store.create_payment(checkout, model.new_payment(checkout, card, cards.APPROVED)) is None


def test_demo_merchant_env_and_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(
            [
                {"merchantId": "1", "secretKey": "k"},
                {
                    "merchantId": "2",
                    "secretKey": "k2",
                    "pspid": "filepsp",
                    "apiKeyId": "K",
                    "apiSecret": "S",
                    "webhookKeyId": "W",
                    "webhookSecret": "WS",
                    "name": "Garage",
                },
            ]
        )
    )
    found = merchants.load_direct_merchants(path, env="envpsp:K2:S2:W2:WS2:Autos Dupont,other:a:b:c:d")
    assert found["openflexdemo"] == merchants.DEMO
    assert (merchants.DEMO.api_key_id, merchants.DEMO.webhook_key_id) == ("DEMOAPIKEY0001", "DEMOWEBHOOK0001")
    assert found["filepsp"].name == "Garage" and found["envpsp"].name == "Autos Dupont"
    assert found["other"].name == "Bee2Link" and set(found) == {"openflexdemo", "filepsp", "envpsp", "other"}
    with pytest.raises(ValueError):
        merchants.parse_env("only:three:parts")


@pytest.mark.parametrize(
    "number, outcome, product",
    [
        ("4330264936344675", cards.APPROVED, 1),
        ("5137009801943438", cards.APPROVED, 3),
        ("4874970686672022", cards.CHALLENGE_APPROVED, 1),
        ("5130257474533310", cards.CHALLENGE_APPROVED, 3),
        ("5168645305790452", cards.DECLINED, 3),
        ("5144144373781246", cards.CHALLENGE_DECLINED, 3),
        ("4321456998744563", cards.DECLINED, 1),
        ("4111111111111111", cards.APPROVED, 1),
    ],
)
def test_test_cards(number, outcome, product):
    errors, card = cards.validate(
        {"cardholderName": "A", "cardNumber": number, "expiryMonth": "12", "expiryYear": "2031", "cvv": "123"},
        date(2026, 11, 1),
    )
    assert errors == {} and (card.outcome, card.product_id) == (outcome, product)
    assert card.masked == "*" * 12 + number[-4:] and card.expiry == "1231"


def test_bad_luhn_is_a_field_error():
    errors, card = cards.validate(
        {
            "cardholderName": "A",
            "cardNumber": "4330264936344676",
            "expiryMonth": "12",
            "expiryYear": "31",
            "cvv": "123",
        },
        date(2026, 11, 1),
    )
    assert card is None and errors == {"cardNumber": "Le numéro de la carte est invalide."}


def test_unknown_fault_knob_is_refused():
    with pytest.raises(ValueError):
        DirectFaults.from_json({"transactionReference": "x"})
    assert DirectFaults.from_json({"merchantReference": "x", "duplicate": 2}).duplicate == 2
