"""The hosted page's card form and what each of Worldline's Direct test cards answers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..cards import luhn_ok

APPROVED, CHALLENGE_APPROVED, DECLINED, CHALLENGE_DECLINED = "approved", "challenge", "declined", "challenge-declined"

# Worldline Direct test cards (notes §6: odoo addons/payment_worldline/README.md,
# aussiewebpress/anz-worldline-woocommerce README; 4321456998744563 from [SDKT integration/test_exceptions.py]).
TEST_CARDS = {
    "4330264936344675": APPROVED,
    "5137009801943438": APPROVED,
    "4874970686672022": CHALLENGE_APPROVED,
    "5130257474533310": CHALLENGE_APPROVED,
    "5168645305790452": DECLINED,
    "5144144373781246": CHALLENGE_DECLINED,
    "4321456998744563": DECLINED,
}

FIELDS = ("cardholderName", "cardNumber", "expiryMonth", "expiryYear", "cvv")


@dataclass(frozen=True)
class Card:
    holder: str
    number: str
    exp_month: int
    exp_year: int

    @property
    def masked(self) -> str:
        # "************4675" [MAG StubData/Service/Payment/GetPaymentServiceResponse.php]
        return "*" * (len(self.number) - 4) + self.number[-4:]

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}{self.exp_year % 100:02d}"  # "0125" [MAG same fixture]

    @property
    def product_id(self) -> int:
        # Visa 1 [MAG GetPaymentServiceResponse.php], Amex 2 [MAG StubData/Webhook/Authorization.php],
        # MasterCard 3 (5137009801943438) [EO recorded preprod].
        if self.number.startswith(("34", "37")):
            return 2
        if self.number[0] == "5" or self.number[:2] in ("22", "23", "24", "25", "26", "27"):
            return 3
        return 1

    @property
    def outcome(self) -> str:
        return TEST_CARDS.get(self.number, APPROVED)

    def as_json(self) -> dict[str, Any]:
        return {"holder": self.holder, "number": self.number, "exp_month": self.exp_month, "exp_year": self.exp_year}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Card:
        return cls(data["holder"], data["number"], int(data["exp_month"]), int(data["exp_year"]))


def validate(form: Mapping[str, str], today: date) -> tuple[dict[str, str], Card | None]:
    """French field errors, or the card."""
    errors: dict[str, str] = {}
    holder = (form.get("cardholderName") or "").strip()
    number = re.sub(r"[\s-]", "", form.get("cardNumber") or "")
    month, year = (form.get("expiryMonth") or "").strip(), (form.get("expiryYear") or "").strip()
    cvv = (form.get("cvv") or "").strip()
    if not holder:
        errors["cardholderName"] = "Le nom du titulaire de la carte est obligatoire."
    elif len(holder) > 51:
        errors["cardholderName"] = "Le nom du titulaire est trop long."
    if not number:
        errors["cardNumber"] = "Le numéro de la carte est obligatoire."
    elif not number.isdigit() or not 12 <= len(number) <= 19 or (number not in TEST_CARDS and not luhn_ok(number)):
        errors["cardNumber"] = "Le numéro de la carte est invalide."
    if len(year) == 2 and year.isdigit():
        year = f"20{year}"
    if not (month.isdigit() and 1 <= int(month) <= 12 and year.isdigit() and len(year) == 4):
        errors["expiry"] = "La date d'expiration est invalide (MM / AAAA)."
    elif (int(year), int(month)) < (today.year, today.month):
        errors["expiry"] = "La carte est expirée."
    if not re.fullmatch(r"\d{3,4}", cvv):
        errors["cvv"] = "Le cryptogramme (CVC) doit comporter 3 ou 4 chiffres."
    if errors:
        return errors, None
    return {}, Card(holder, number, int(month), int(year))
