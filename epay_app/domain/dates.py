"""Time is UTC in storage and Europe/Paris on screen: 16/12/2024 à 16h32."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back: they are UTC by convention."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_paris(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = as_utc(moment).astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local.hour:02d}h{local.minute:02d}"


def format_day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = as_utc(value).astimezone(PARIS).date()
    return f"{value:%d/%m/%Y}"
