"""Who reserves a vehicle from the public stock page: checked field by field, in French."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ValidationError

CIVILITIES = ("M.", "Mme.")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.-][^\W\d_]+)*\.?$")  # letters, with spaces, hyphens, apostrophes
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
MAX_NAME = 80
MAX_EMAIL = 254


@dataclass(frozen=True)
class VisitorDetails:
    civility: str
    last_name: str
    first_name: str
    email: str  # lower case: customers are found again by e-mail
    phone: str  # digits, with a leading + for international numbers


def normalise_phone(text: str) -> str | None:
    """06 12 34 56 78 / 06.12.34.56.78 / +33 6 12 34 56 78 / 0033612345678; None if unreadable."""
    compact = _PHONE_SEPARATORS.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+33"):
        national = compact[3:]
        if national.startswith("0"):
            national = national[1:]
        return "0" + national if re.fullmatch(r"[1-9]\d{8}", national, re.ASCII) else None
    if re.fullmatch(r"0[1-9]\d{8}", compact, re.ASCII):
        return compact
    if re.fullmatch(r"\+[1-9]\d{7,14}", compact, re.ASCII):
        return compact
    return None


def _name(value: str, label: str, errors: dict[str, str], key: str) -> str:
    value = " ".join(value.split())
    if not value:
        errors[key] = f"Le {label} est obligatoire."
    elif len(value) > MAX_NAME:
        errors[key] = f"Le {label} ne doit pas dépasser {MAX_NAME} caractères."
    elif not _NAME.match(value):
        errors[key] = f"Le {label} ne doit contenir que des lettres, espaces, tirets ou apostrophes."
    return value


def validate_visitor(data: Mapping[str, object]) -> VisitorDetails:
    """Every field is required. Raises ValidationError({field: message}) with all the errors."""

    def text(key: str) -> str:
        value = data.get(key)
        return value.strip() if isinstance(value, str) else ""

    errors: dict[str, str] = {}
    civility = text("civility")
    if civility not in CIVILITIES:
        errors["civility"] = "Veuillez choisir la civilité (M. ou Mme.)."
    last_name = _name(text("last_name"), "nom", errors, "last_name")
    first_name = _name(text("first_name"), "prénom", errors, "first_name")
    email = text("email").lower()
    if not email:
        errors["email"] = "L'adresse e-mail est obligatoire."
    elif len(email) > MAX_EMAIL or not _EMAIL.match(email):
        errors["email"] = "L'adresse e-mail n'est pas valide (ex. prenom.nom@exemple.fr)."
    raw_phone = text("phone")
    phone = normalise_phone(raw_phone) if raw_phone else None
    if not raw_phone:
        errors["phone"] = "Le numéro de téléphone est obligatoire."
    elif phone is None:
        errors["phone"] = "Le numéro de téléphone n'est pas valide (ex. 06 12 34 56 78)."
    if errors:
        raise ValidationError(errors)
    return VisitorDetails(civility, last_name.upper(), first_name, email, phone or "")


def _folded(name: str) -> str:
    """ "  Lefèvre " and "LEFEVRE" compare equal: case, accents and spacing do not count."""
    decomposed = unicodedata.normalize("NFKD", " ".join(name.split()))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def is_same_person(details: VisitorDetails, *, last_name: str, first_name: str, phone: str) -> bool:
    """Whether a known customer with the visitor's e-mail is the visitor: anyone can type an
    e-mail address, so the name and the phone must match too before a public form's data are
    attached to that customer's record (an unknown or unreadable phone never matches)."""
    known_phone = normalise_phone(phone or "")
    return (
        known_phone is not None
        and known_phone == details.phone
        and _folded(last_name) == _folded(details.last_name)
        and _folded(first_name) == _folded(details.first_name)
    )
