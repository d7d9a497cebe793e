"""What both hosted pages check the same way: the card's four facts, its number and its expiry."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CardFacts:
    """The card as typed on a hosted page; each protocol adds how it masks and dates it."""

    holder: str
    number: str
    exp_month: int
    exp_year: int


def luhn_ok(number: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(number)):
        digit = int(char)
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def number_error(number: str, test_cards: Container[str]) -> str | None:
    """French error for a card number (spaces and dashes already removed); test cards skip the Luhn check."""
    if not number:
        return "Le numéro de la carte est obligatoire."
    if not number.isdigit() or not 12 <= len(number) <= 19 or (number not in test_cards and not luhn_ok(number)):
        return "Le numéro de la carte est invalide."
    return None


def expiry_error(month: str, year: str, today: date) -> str | None:
    """French error for an expiry typed as MM and AAAA."""
    if not (month.isdigit() and 1 <= int(month) <= 12 and year.isdigit() and len(year) == 4):
        return "La date d'expiration est invalide (MM / AAAA)."
    if (int(year), int(month)) < (today.year, today.month):
        return "La carte est expirée."
    return None
