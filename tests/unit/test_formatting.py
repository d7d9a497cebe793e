from datetime import UTC, datetime

import pytest

from epay_app.domain.dates import format_day, format_paris
from epay_app.domain.errors import DomainError
from epay_app.domain.money import format_eur, format_eur_plain, ht_from_ttc, parse_eur


@pytest.mark.parametrize(
    "cents,text",
    [
        (2_500_000, "25 000,00 €"),
        (50_000, "500,00 €"),
        (120_000, "1 200,00 €"),
        (0, "0,00 €"),
        (2_521_476, "25 214,76 €"),
        (5, "0,05 €"),
    ],
)
def test_money_in_french(cents, text):
    assert format_eur(cents) == text


def test_money_for_the_psp_page():
    assert format_eur_plain(50_000) == "500.00 EUR"


@pytest.mark.parametrize(
    "text,cents",
    [
        ("500", 50_000),
        ("500,5", 50_050),
        ("1 000,00 €", 100_000),
        ("499.99", 49_999),
        (" 12 ", 1_200),
    ],
)
def test_amounts_parse_to_cents(text, cents):
    assert parse_eur(text) == cents


@pytest.mark.parametrize("bad", ["", "abc", "12,345", "-5", "1e3", "5,", "€"])
def test_bad_amounts_are_refused_in_french(bad):
    with pytest.raises(DomainError) as err:
        parse_eur(bad)
    assert "montant" in str(err.value).lower()


def test_dates_in_paris_time():
    # 15:32 UTC in December is 16:32 in Paris (the guide's order validation).
    assert format_paris(datetime(2024, 12, 16, 15, 32, tzinfo=UTC)) == "16/12/2024 à 16h32"
    # Summer time: UTC+2.
    assert format_paris(datetime(2022, 10, 12, 8, 42, tzinfo=UTC)) == "12/10/2022 à 10h42"
    # Naive datetimes from SQLite are UTC.
    assert format_paris(datetime(2022, 10, 12, 8, 42)) == "12/10/2022 à 10h42"
    assert format_day(datetime(2024, 12, 23, 23, 30, tzinfo=UTC)) == "24/12/2024"


def test_ht_from_ttc_at_20_percent():
    assert ht_from_ttc(2_400_000) == 2_000_000
