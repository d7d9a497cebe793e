"""A customer's record as a user edits it on the "Clients" page (F-67): the rules of each field.

Pure: a dict of submitted strings in, the clean values or the French message of each bad field out.
"""

from __future__ import annotations

import re

from .errors import ValidationError
from .inputs import BadInput, clean_text

CIVILITIES = ("M.", "Mme.")
FIELDS = ("civility", "last_name", "first_name", "email", "phone")
LABELS = {
    "civility": "Civilité",
    "last_name": "Nom",
    "first_name": "Prénom",
    "email": "Adresse e-mail",
    "phone": "Téléphone",
}
MAX_NAME = 80
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Digits with the usual separators, an optional leading +: "06 12 34 56 78", "+33 6 12-34-56-78".
_PHONE = re.compile(r"\+?[0-9][0-9 .\-()]{7,24}", re.ASCII)


def phone_digits(text: str) -> str:
    """The digits of a phone number (what a search by phone compares)."""
    return "".join(c for c in text if c.isascii() and c.isdigit())


def check_customer(values: dict[str, object]) -> dict[str, str]:
    """The clean values of the five fields. Raises ValidationError({field: message})."""
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        try:
            clean[name] = clean_text(values.get(name, ""), LABELS[name]).strip()
        except BadInput as exc:
            errors[name] = str(exc)
    if "civility" not in errors and clean["civility"] not in CIVILITIES:
        errors["civility"] = "La civilité est obligatoire (M. ou Mme.)."
    for name in ("last_name", "first_name"):
        if name in errors:
            continue
        if not clean[name]:
            errors[name] = f"Le {LABELS[name].lower()} est obligatoire."
        elif len(clean[name]) > MAX_NAME:
            errors[name] = f"Le {LABELS[name].lower()} ne peut pas dépasser {MAX_NAME} caractères."
    if "email" not in errors:
        if not clean["email"]:
            errors["email"] = "L'adresse e-mail est obligatoire."
        elif not _EMAIL.fullmatch(clean["email"]):
            errors["email"] = "L'adresse e-mail n'est pas valide (exemple : nom@domaine.fr)."
    if "phone" not in errors and clean["phone"] and not _PHONE.fullmatch(clean["phone"]):
        errors["phone"] = "Le numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78)."
    if errors:
        raise ValidationError(errors)
    return clean
