"""Transaction references of F-30: EEEEE_PPPPPP_TNNNNNNNNNN_A."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .errors import InvalidReference


class PaymentKind(str, enum.Enum):
    DEPOSIT = "deposit"  # e-Acompte, on an order
    RESERVATION = "reservation"  # e-Réservation, on an opportunity

    @property
    def type_digit(self) -> str:
        return "2" if self is PaymentKind.DEPOSIT else "1"

    @property
    def label(self) -> str:
        return "e-Acompte" if self is PaymentKind.DEPOSIT else "e-Réservation"


_PATTERN = re.compile(r"(\d{5})_(\d{6})_([12])(\d{10})_([1-9]\d{0,3})", re.ASCII)  # fullmatch


@dataclass(frozen=True)
class TransactionReference:
    entity_number: int
    pos_number: int
    kind: PaymentKind
    document_number: int  # order number (deposit) or opportunity number (reservation)
    attempt: int

    def __post_init__(self) -> None:
        limits = [
            (self.entity_number, 99_999, "numéro d'entité"),
            (self.pos_number, 999_999, "numéro de point de vente"),
            (self.document_number, 9_999_999_999, "numéro de commande/opportunité"),
            (self.attempt, 9_999, "numéro de tentative"),
        ]
        for value, high, name in limits:
            if not isinstance(value, int) or value < 0 or value > high:
                raise InvalidReference(f"Référence invalide : {name} hors limites ({value!r})")
        if self.attempt < 1:
            raise InvalidReference("Référence invalide : la tentative commence à 1")

    def __str__(self) -> str:
        return (
            f"{self.entity_number:05d}_{self.pos_number:06d}_"
            f"{self.kind.type_digit}{self.document_number:010d}_{self.attempt}"
        )

    @property
    def psp_reference(self) -> str:
        """Sips transactionReference: alphanumeric only."""
        return str(self).replace("_", "")

    def next_attempt(self) -> TransactionReference:
        return TransactionReference(
            self.entity_number, self.pos_number, self.kind, self.document_number, self.attempt + 1
        )

    @classmethod
    def parse(cls, text: str) -> TransactionReference:
        match = _PATTERN.fullmatch(text) if isinstance(text, str) else None
        if not match:
            raise InvalidReference(f"Référence de transaction invalide : {text!r}")
        entity, pos, type_digit, number, attempt = match.groups()
        kind = PaymentKind.DEPOSIT if type_digit == "2" else PaymentKind.RESERVATION
        return cls(int(entity), int(pos), kind, int(number), int(attempt))

    @classmethod
    def from_psp_reference(cls, text: str) -> TransactionReference:
        """Inverse of psp_reference: 5 + 6 + 11 digits, then the attempt."""
        if not isinstance(text, str) or not text.isascii() or not text.isdigit() or not 23 <= len(text) <= 26:
            raise InvalidReference(f"transactionReference invalide : {text!r}")
        return cls.parse(f"{text[:5]}_{text[5:11]}_{text[11:22]}_{text[22:]}")
