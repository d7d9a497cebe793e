"""Money is integer cents; shown the French way: 25 000,00 €."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency

from .errors import DomainError


@lru_cache(maxsize=4096)  # Babel is slow, and a live list formats the same amounts again and again
def format_eur(cents: int | None) -> str:
    if cents is None:
        return "- €"
    # Babel uses narrow no-break spaces; plain spaces read the same and match the guide's text.
    text = format_currency(Decimal(cents) / 100, "EUR", locale="fr_FR")
    return text.replace("\u202f", " ").replace("\xa0", " ")


def format_eur_print(cents: int | None) -> str:
    """For printed documents: Babel's narrow no-break spaces kept, so `25 000,00 €` never
    breaks across lines (the fonts embedded in the PDFs carry those characters)."""
    if cents is None:
        return "-\xa0€"
    return format_currency(Decimal(cents) / 100, "EUR", locale="fr_FR")


def format_eur_plain(cents: int) -> str:
    """The PSP page's form: 500.00 EUR."""
    return f"{Decimal(cents) / 100:.2f} EUR"


_AMOUNT = re.compile(r"\d{1,9}([.,]\d{1,2})?", re.ASCII)  # fullmatch; up to 999 999 999,99


def parse_eur(text: str) -> int:
    """'500', '500,5', '1 000,00 €' → cents. Raises DomainError in French."""
    if text is not None and not isinstance(text, str):
        raise DomainError("Le montant doit être un nombre (ex. 500,00).")
    cleaned = (text or "").replace("€", "").replace("\u202f", "").replace("\xa0", "")
    cleaned = cleaned.replace(" ", "").strip()
    if not cleaned:
        raise DomainError("Le montant est obligatoire.")
    if not _AMOUNT.fullmatch(cleaned):
        raise DomainError("Le montant doit être un nombre (ex. 500,00).")
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise DomainError("Le montant doit être un nombre (ex. 500,00).") from exc
    return int((value * 100).to_integral_value())


def ht_from_ttc(cents_ttc: int, vat_percent: int = 20) -> int:
    return int((Decimal(cents_ttc) * 100 / (100 + vat_percent)).quantize(Decimal(1)))
