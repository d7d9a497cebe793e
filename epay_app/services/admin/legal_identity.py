"""An entity's legal identity and general conditions of sale, printed on its documents.

An administrator edits their own entity's only (the caller passes the administrator's entity id).
Inputs arrive as typed text; everything is validated, a ValidationError({field: French message})
is raised and nothing is written when a value is wrong."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sqlmodel import Session

from ...domain.errors import DomainError, ValidationError
from ...domain.money import format_eur, parse_eur
from ...models import Entity

FIELDS = ("legal_address", "legal_phone", "legal_email", "siret", "rcs", "vat_number", "share_capital", "conditions")
MAX_LENGTH = {"legal_address": 300, "legal_phone": 30, "legal_email": 254, "rcs": 120}
CONDITIONS_MAX = 60_000
CAPITAL_MAX_CENTS = 100_000_000_000  # 1 milliard d'euros

MSG_SIRET = "Le SIRET doit comporter 14 chiffres."
MSG_SIRET_KEY = "Ce numéro SIRET n'est pas valide (clé de contrôle)."
MSG_VAT = "Le numéro de TVA intracommunautaire doit avoir la forme FR + 2 caractères + 9 chiffres (ex. FR40812345678)."
MSG_VAT_SIREN = "Le numéro de TVA intracommunautaire doit reprendre le SIREN (les 9 premiers chiffres du SIRET)."
MSG_EMAIL = "L'adresse e-mail n'est pas valide."
MSG_PHONE = "Le téléphone ne peut contenir que des chiffres, des espaces, « + », « . » et « - »."
MSG_CAPITAL = "Le capital social doit être un montant positif (ex. 100 000,00)."
MSG_CONDITIONS = f"Les conditions générales de vente ne doivent pas dépasser {CONDITIONS_MAX:,} caractères.".replace(
    ",", " "
)
MSG_ENTITY = "Entité introuvable."

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
_PHONE = re.compile(r"[0-9 +.\-()]{6,30}")
_VAT = re.compile(r"FR[0-9A-Z]{2}[0-9]{9}")


@dataclass(frozen=True)
class LegalIdentity:
    """Text as the form shows it (the capital formatted "100 000,00", "" when not set)."""

    legal_address: str = ""
    legal_phone: str = ""
    legal_email: str = ""
    siret: str = ""
    rcs: str = ""
    vat_number: str = ""
    share_capital: str = ""
    conditions: str = ""

    def as_form(self) -> dict[str, str]:
        return asdict(self)


def _entity(session: Session, entity_id: int) -> Entity:
    entity = session.get(Entity, entity_id)
    if entity is None:
        raise DomainError(MSG_ENTITY)
    return entity


def get_legal_identity(session: Session, entity_id: int) -> LegalIdentity:
    e = _entity(session, entity_id)
    capital = format_eur(e.share_capital_cents).replace(" €", "") if e.share_capital_cents is not None else ""
    return LegalIdentity(
        e.legal_address, e.legal_phone, e.legal_email, e.siret, e.rcs, e.vat_number, capital, e.sales_conditions
    )


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _clean(values: dict, name: str) -> str:
    value = values.get(name, "")
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class _Checked:
    """The values as they are stored (trimmed text, the capital in cents)."""

    legal_address: str
    legal_phone: str
    legal_email: str
    siret: str
    rcs: str
    vat_number: str
    share_capital_cents: int | None
    conditions: str


def _check(values: dict) -> tuple[dict[str, str], _Checked]:
    errors: dict[str, str] = {}
    text = {name: _clean(values, name) for name in FIELDS}
    for name, limit in MAX_LENGTH.items():
        if len(text[name]) > limit:
            errors[name] = f"{limit} caractères au plus."
    if text["legal_email"] and not _EMAIL.fullmatch(text["legal_email"]):
        errors["legal_email"] = MSG_EMAIL
    if text["legal_phone"] and not _PHONE.fullmatch(text["legal_phone"]):
        errors["legal_phone"] = MSG_PHONE
    siret = re.sub(r"\s", "", text["siret"])
    if siret and not re.fullmatch(r"[0-9]{14}", siret, re.ASCII):
        errors["siret"] = MSG_SIRET
    elif siret and not _luhn_ok(siret):
        errors["siret"] = MSG_SIRET_KEY
    vat = re.sub(r"\s", "", text["vat_number"]).upper()
    if vat and not _VAT.fullmatch(vat):
        errors["vat_number"] = MSG_VAT
    elif vat and siret and "siret" not in errors and vat[4:] != siret[:9]:
        errors["vat_number"] = MSG_VAT_SIREN
    capital: int | None = None
    if text["share_capital"]:
        try:
            capital = parse_eur(text["share_capital"])
        except DomainError:
            errors["share_capital"] = MSG_CAPITAL
        else:
            if capital > CAPITAL_MAX_CENTS:
                errors["share_capital"] = MSG_CAPITAL
    conditions = values.get("conditions", "")
    conditions = conditions.replace("\r\n", "\n").strip() if isinstance(conditions, str) else ""
    if len(conditions) > CONDITIONS_MAX:
        errors["conditions"] = MSG_CONDITIONS
    clean = _Checked(
        legal_address=text["legal_address"],
        legal_phone=text["legal_phone"],
        legal_email=text["legal_email"],
        siret=siret,
        rcs=text["rcs"],
        vat_number=vat,
        share_capital_cents=capital,
        conditions=conditions,
    )
    return errors, clean


def update_legal_identity(session: Session, entity_id: int, values: dict) -> LegalIdentity:
    """Save the administrator's entity's identity; every field optional, each checked."""
    entity = _entity(session, entity_id)
    errors, clean = _check(values)
    if errors:
        raise ValidationError(errors)
    entity.legal_address = clean.legal_address
    entity.legal_phone = clean.legal_phone
    entity.legal_email = clean.legal_email
    entity.siret = clean.siret
    entity.rcs = clean.rcs
    entity.vat_number = clean.vat_number
    entity.share_capital_cents = clean.share_capital_cents
    entity.sales_conditions = clean.conditions
    session.add(entity)
    session.flush()
    return get_legal_identity(session, entity_id)
