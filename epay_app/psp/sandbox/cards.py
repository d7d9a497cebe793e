"""Card-form validation and what each test card answers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

TEST_CARDS = {
    "4100000000000000": "00",
    "4111111111111111": "00",
    "4100000000000005": "05",
    "4100000000000099": "99",
}


@dataclass(frozen=True)
class Card:
    holder: str
    number: str
    exp_month: int
    exp_year: int

    @property
    def masked(self) -> str:
        return self.number[:4] + "#" * (len(self.number) - 6) + self.number[-2:]

    @property
    def expiry(self) -> str:
        return f"{self.exp_year:04d}{self.exp_month:02d}"


def luhn_ok(number: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char)
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def validate(form: Mapping[str, str], today: date) -> tuple[dict[str, str], Card | None]:
    """French field errors, or the card."""
    errors: dict[str, str] = {}
    holder = (form.get("holder") or "").strip()
    number = re.sub(r"[\s-]", "", form.get("card_number") or "")
    month, year = (form.get("exp_month") or "").strip(), (form.get("exp_year") or "").strip()
    cvc = (form.get("cvc") or "").strip()
    if not holder:
        errors["holder"] = "Le titulaire de la carte est obligatoire."
    if not number:
        errors["card_number"] = "Le numéro de la carte est obligatoire."
    elif not number.isdigit() or not 12 <= len(number) <= 19 or (number not in TEST_CARDS and not luhn_ok(number)):
        errors["card_number"] = "Le numéro de la carte est invalide."
    if not (month.isdigit() and 1 <= int(month) <= 12 and year.isdigit() and len(year) == 4):
        errors["expiry"] = "La date d'expiration est invalide (MM / AAAA)."
    elif (int(year), int(month)) < (today.year, today.month):
        errors["expiry"] = "La carte est expirée."
    if not re.fullmatch(r"\d{3,4}", cvc):
        errors["cvc"] = "Le code de vérification doit comporter 3 ou 4 chiffres."
    if errors:
        return errors, None
    return {}, Card(holder, number, int(month), int(year))


def outcome(card: Card) -> str:
    return TEST_CARDS.get(card.number, "05")
