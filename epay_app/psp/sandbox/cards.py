"""Card-form validation and what each test card answers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .card_form import CardFacts, expiry_error, luhn_ok, number_error

__all__ = ["TEST_CARDS", "Card", "luhn_ok", "outcome", "validate"]

TEST_CARDS = {
    "4100000000000000": "00",
    "4111111111111111": "00",
    "4100000000000005": "05",
    "4100000000000099": "99",
}


@dataclass(frozen=True)
class Card(CardFacts):
    @property
    def masked(self) -> str:
        return self.number[:4] + "#" * (len(self.number) - 6) + self.number[-2:]

    @property
    def expiry(self) -> str:
        return f"{self.exp_year:04d}{self.exp_month:02d}"


def validate(form: Mapping[str, str], today: date) -> tuple[dict[str, str], Card | None]:
    """French field errors, or the card."""
    errors: dict[str, str] = {}
    holder = (form.get("holder") or "").strip()
    number = re.sub(r"[\s-]", "", form.get("card_number") or "")
    month, year = (form.get("exp_month") or "").strip(), (form.get("exp_year") or "").strip()
    cvc = (form.get("cvc") or "").strip()
    if not holder:
        errors["holder"] = "Le titulaire de la carte est obligatoire."
    if number_problem := number_error(number, TEST_CARDS):
        errors["card_number"] = number_problem
    if expiry_problem := expiry_error(month, year, today):
        errors["expiry"] = expiry_problem
    if not re.fullmatch(r"\d{3,4}", cvc):
        errors["cvc"] = "Le code de vérification doit comporter 3 ou 4 chiffres."
    if errors:
        return errors, None
    return {}, Card(holder, number, int(month), int(year))


def outcome(card: Card) -> str:
    return TEST_CARDS.get(card.number, "05")
