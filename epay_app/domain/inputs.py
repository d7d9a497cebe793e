"""Untrusted text at the edges: ids, numbers and free text from URLs, forms and events.

Python's `str.isdigit`, `int()` and regex `\\d` accept every Unicode digit ("٣٤" is 34), so an
Arabic-Indic spelling of an id or a link would be taken as another spelling of the same value.
Only ASCII digits are numbers here; NUL and control characters, and overlong values, are
refused with a French message before they reach the database (PostgreSQL refuses NUL in text).
"""

from __future__ import annotations

import re
from collections.abc import Container
from typing import TypeVar

from .errors import DomainError

T = TypeVar("T")

MAX_ID = 2**31 - 1  # the largest PostgreSQL INTEGER: every id and number column
MAX_TEXT = 200
_ASCII_INT = re.compile(r"[0-9]{1,19}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BadInput(DomainError):
    """A value that cannot be what it claims to be; the message is French and shown as is."""


def ascii_int(text: object, *, high: int = MAX_ID) -> int | None:
    """A non-negative integer written in ASCII digits only (no sign, no spaces), else None."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        return None
    if isinstance(text, int):
        return text if 0 <= text <= high else None
    if not _ASCII_INT.fullmatch(text):
        return None
    value = int(text)
    return value if value <= high else None


def clean_text(value: object, label: str, *, max_length: int = MAX_TEXT, multiline: bool = False) -> str:
    """Free text from a user: a string, without NUL or control characters, at most max_length."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{label} : valeur invalide.")
    if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        raise BadInput(f"{label} : caractères non autorisés.")
    if len(value) > max_length:
        raise BadInput(f"{label} : {max_length} caractères au maximum.")
    return value


def parse_id(value: object, not_found: str = "Élément introuvable.") -> int:
    """A record id from a page, an event or a URL; a malformed one reads as not found."""
    number = ascii_int(value)
    if not number:
        raise BadInput(not_found)
    return number


def one_of(value: object, allowed: Container[str], default: T) -> str | T:
    """`value` when it is one of `allowed` (hashable strings), else `default`."""
    return value if isinstance(value, str) and value in allowed else default
