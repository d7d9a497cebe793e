"""The sandbox's card checks and test-card outcomes (pure)."""

from datetime import date

import pytest

from epay_app.psp.sandbox import cards
from epay_app.psp.sandbox.merchants import DEMO, load_merchants, parse_env

TODAY = date(2025, 6, 15)


def _form(**overrides):
    form = {
        "holder": "PATRICK PONS",
        "card_number": "4100 0000 0000 0000",
        "exp_month": "06",
        "exp_year": "2025",
        "cvc": "123",
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize(
    "number, code",
    [
        ("4100000000000000", "00"),
        ("4111111111111111", "00"),
        ("4100000000000005", "05"),
        ("4100000000000099", "99"),
        ("4970100000000006", "05"),
    ],
)
def test_test_cards_give_their_documented_outcome(number, code):
    errors, card = cards.validate(_form(card_number=number), TODAY)
    assert errors == {} and cards.outcome(card) == code


def test_luhn():
    assert cards.luhn_ok("4111111111111111") and cards.luhn_ok("4970100000000006")
    assert not cards.luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    "field, value, key",
    [
        ("card_number", "4111111111111112", "card_number"),
        ("card_number", "abc", "card_number"),
        ("exp_month", "05", "expiry"),
        ("exp_month", "13", "expiry"),
        ("exp_year", "25", "expiry"),
        ("cvc", "12", "cvc"),
        ("cvc", "12345", "cvc"),
        ("holder", " ", "holder"),
    ],
)
def test_invalid_fields_get_a_french_error(field, value, key):
    errors, card = cards.validate(_form(**{field: value}), TODAY)
    assert card is None and set(errors) == {key}


def test_masked_pan_keeps_first_four_and_last_two():
    _, card = cards.validate(_form(), TODAY)
    assert card.masked == "4100##########00" and card.expiry == "202506"


def test_demo_merchant_is_always_configured():
    merchants = load_merchants(env="111:k1:2:Garage,222:k2")
    assert merchants[DEMO.merchant_id].secret_key == "002001000000002_KEY1"
    assert (merchants["111"].key_version, merchants["111"].name) == (2, "Garage")
    with pytest.raises(ValueError):
        parse_env("lonely")
