"""Group-wide settings of "Parcours de vente digitalisé" (F-15) and e-réservation (F-14).

Inputs arrive as typed text from a form; each use case validates everything, raises a
ValidationError({field: French message}) and writes nothing when a value is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from ...domain.errors import DomainError, ValidationError
from ...domain.money import format_eur, parse_eur
from ...models import DealerGroup, Entity

DEFAULT_STOCK_ENTRY_DAYS = 30  # what applies to online trade-in campaigns when no delay is set

INACTIVE_DAYS_MIN, INACTIVE_DAYS_MAX = 1, 3650
STOCK_DELAY_MIN, STOCK_DELAY_MAX = 1, 365
RESERVATION_HOURS_MIN, RESERVATION_HOURS_MAX = 1, 720
RESERVATION_AMOUNT_MAX_CENTS = 1_000_000  # 10 000,00 €

F_INACTIVE, F_STOCK, F_HOURS, F_AMOUNT = (
    "inactive_opportunity_days",
    "stock_entry_delay_days",
    "reservation_hours",
    "reservation_amount",
)

MSG_INACTIVE_REQUIRED = "Le nombre de jours est obligatoire."
MSG_INACTIVE = f"Le nombre de jours doit être un entier entre {INACTIVE_DAYS_MIN} et {INACTIVE_DAYS_MAX}."
MSG_STOCK = (
    f"Le délai d'entrée en stock doit être un nombre entier de jours entre "
    f"{STOCK_DELAY_MIN} et {STOCK_DELAY_MAX}, ou rester vide."
)
MSG_HOURS_REQUIRED = "La durée de blocage est obligatoire."
MSG_HOURS = (
    f"La durée de blocage doit être un nombre entier d'heures entre {RESERVATION_HOURS_MIN} et {RESERVATION_HOURS_MAX}."
)
MSG_AMOUNT_POSITIVE = "Le montant de la e-réservation doit être supérieur à 0,00 €."
MSG_AMOUNT_MAX = f"Le montant de la e-réservation ne doit pas dépasser {format_eur(RESERVATION_AMOUNT_MAX_CENTS)}."
MSG_GROUP_UNKNOWN = "Groupe introuvable."
MSG_RESERVATION_NO_OPTION = (
    "Les paramètres de la e-réservation s'appliquent à tout le groupe : seuls les "
    "administrateurs d'une entité ayant souscrit à l'option e-paiement peuvent "
    "les modifier."
)


class SettingsRefused(DomainError):
    """The administrator may not change these settings (their entity lacks the option)."""


@dataclass(frozen=True)
class DigitalJourneySettings:
    inactive_opportunity_days: int
    stock_entry_delay_days: int | None
    manufacturer_contracts_enabled: bool


@dataclass(frozen=True)
class ReservationSettings:
    enabled: bool
    hours: int
    amount_cents: int


def _group(session: Session, group_id: int) -> DealerGroup:
    group = session.get(DealerGroup, group_id)
    if group is None:
        raise DomainError(MSG_GROUP_UNKNOWN)
    return group


def _int_in(text, low: int, high: int) -> int | None:
    cleaned = str(text if text is not None else "").strip()
    if not re.fullmatch(r"[0-9]{1,7}", cleaned, re.ASCII):
        return None
    value = int(cleaned)
    return value if low <= value <= high else None


def get_digital_journey(session: Session, group_id: int) -> DigitalJourneySettings:
    group = _group(session, group_id)
    return DigitalJourneySettings(
        group.inactive_opportunity_days, group.stock_entry_delay_days, group.manufacturer_contracts_enabled
    )


def update_digital_journey(
    session: Session, group_id: int, inactive_days, stock_delay, contracts_enabled: bool
) -> DigitalJourneySettings:
    """`stock_delay` empty means "not defined" (30 days for online trade-in campaigns)."""
    group = _group(session, group_id)
    errors: dict[str, str] = {}
    if not str(inactive_days or "").strip():
        errors[F_INACTIVE] = MSG_INACTIVE_REQUIRED
    days = _int_in(inactive_days, INACTIVE_DAYS_MIN, INACTIVE_DAYS_MAX)
    if days is None and F_INACTIVE not in errors:
        errors[F_INACTIVE] = MSG_INACTIVE
    delay = None
    if str(stock_delay or "").strip():
        delay = _int_in(stock_delay, STOCK_DELAY_MIN, STOCK_DELAY_MAX)
        if delay is None:
            errors[F_STOCK] = MSG_STOCK
    if errors:
        raise ValidationError(errors)
    assert days is not None  # a refused value raised above
    group.inactive_opportunity_days = days
    group.stock_entry_delay_days = delay
    group.manufacturer_contracts_enabled = bool(contracts_enabled)
    session.add(group)
    session.flush()
    return get_digital_journey(session, group_id)


def get_reservation(session: Session, group_id: int) -> ReservationSettings:
    group = _group(session, group_id)
    return ReservationSettings(group.reservation_enabled, group.reservation_hours, group.reservation_amount_cents)


def can_edit_reservation(session: Session, entity_id: int) -> bool:
    """F-14 with F-02: the group-wide e-réservation settings are changed only from an entity that
    has the e-paiement option (the caller has checked the administrator role)."""
    entity = session.get(Entity, entity_id)
    return entity is not None and bool(entity.epay_option)


def update_reservation(
    session: Session, group_id: int, enabled: bool, hours, amount: str, *, by_entity_id: int
) -> ReservationSettings:
    """`by_entity_id`: the administrator's entity; it must belong to the group and have the option."""
    group = _group(session, group_id)
    entity = session.get(Entity, by_entity_id)
    if entity is None or entity.group_id != group.id or not entity.epay_option:
        raise SettingsRefused(MSG_RESERVATION_NO_OPTION)
    errors: dict[str, str] = {}
    if not str(hours or "").strip():
        errors[F_HOURS] = MSG_HOURS_REQUIRED
    else:
        parsed_hours = _int_in(hours, RESERVATION_HOURS_MIN, RESERVATION_HOURS_MAX)
        if parsed_hours is None:
            errors[F_HOURS] = MSG_HOURS
    cents = 0
    try:
        cents = parse_eur(amount)
    except DomainError as exc:
        errors[F_AMOUNT] = str(exc).replace("Le montant", "Le montant de la e-réservation")
    else:
        if cents <= 0:
            errors[F_AMOUNT] = MSG_AMOUNT_POSITIVE
        elif cents > RESERVATION_AMOUNT_MAX_CENTS:
            errors[F_AMOUNT] = MSG_AMOUNT_MAX
    if errors:
        raise ValidationError(errors)
    assert parsed_hours is not None  # a missing or refused value raised above
    group.reservation_enabled = bool(enabled)
    group.reservation_hours = parsed_hours
    group.reservation_amount_cents = cents
    session.add(group)
    session.flush()
    return get_reservation(session, group_id)
