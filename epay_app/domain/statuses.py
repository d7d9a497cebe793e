"""The seven e-payment statuses of the guide and the legal moves between them."""

from __future__ import annotations

import enum

from .errors import IllegalTransition


class PaymentStatus(str, enum.Enum):
    ENVOYE = "envoye"
    AUTORISE = "autorise"
    ANNULE = "annule"
    REJETE = "rejete"
    A_REMBOURSER = "a_rembourser"
    REMBOURSE = "rembourse"
    ERREUR = "erreur"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


# Labels of the guide's lexicon, word for word.
STATUS_LABELS: dict[PaymentStatus, str] = {
    PaymentStatus.ENVOYE: "Envoyé",
    PaymentStatus.AUTORISE: "Autorisé",
    PaymentStatus.ANNULE: "Annulé",
    PaymentStatus.REJETE: "Rejeté",
    PaymentStatus.A_REMBOURSER: "À rembourser",
    PaymentStatus.REMBOURSE: "Remboursé",
    PaymentStatus.ERREUR: "Erreur",
}

# What the list cards and the order page show (guide, section 3 and the order screens).
CARD_BADGES: dict[PaymentStatus, str] = {
    PaymentStatus.ENVOYE: "En attente",
    PaymentStatus.AUTORISE: "Payé",
    PaymentStatus.ANNULE: "Annulé",
    PaymentStatus.REJETE: "Refusé",
    PaymentStatus.A_REMBOURSER: "À rembourser",
    PaymentStatus.REMBOURSE: "Remboursé",
    PaymentStatus.ERREUR: "Erreur",
}

VEHICLE_BADGES: dict[PaymentStatus, str] = {
    PaymentStatus.ENVOYE: "e-Paiement en attente",
    PaymentStatus.AUTORISE: "e-Paiement payé",
    PaymentStatus.ANNULE: "e-Paiement annulé",
    PaymentStatus.REJETE: "e-Paiement refusé",
    PaymentStatus.A_REMBOURSER: "e-Paiement à rembourser",
    PaymentStatus.REMBOURSE: "e-Paiement remboursé",
    PaymentStatus.ERREUR: "e-Paiement en erreur",
}

# "Envoyé le …", "Payé le …" — the date prefix shown on a card for each status.
DATE_PREFIXES: dict[PaymentStatus, str] = {
    PaymentStatus.ENVOYE: "Envoyé le",
    PaymentStatus.AUTORISE: "Payé le",
    PaymentStatus.ANNULE: "Annulé le",
    PaymentStatus.REJETE: "Refusé le",
    PaymentStatus.A_REMBOURSER: "À rembourser depuis le",
    PaymentStatus.REMBOURSE: "Remboursé le",
    PaymentStatus.ERREUR: "En erreur depuis le",
}

S = PaymentStatus
# Legal moves. A PSP may first report an error or a refusal and later an authorisation
# for the same attempt (the customer retried on the hosted page), hence Erreur/Rejeté → Autorisé.
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.ENVOYE: frozenset({S.AUTORISE, S.ANNULE, S.REJETE, S.ERREUR}),
    S.AUTORISE: frozenset({S.A_REMBOURSER}),
    S.ANNULE: frozenset(),
    S.REJETE: frozenset({S.AUTORISE}),
    S.ERREUR: frozenset({S.AUTORISE, S.ANNULE, S.REJETE}),
    S.A_REMBOURSER: frozenset({S.REMBOURSE}),
    S.REMBOURSE: frozenset(),
}

# A new attempt ("Effectuer un nouveau paiement") is offered after these.
RETRYABLE: frozenset[PaymentStatus] = frozenset({S.ANNULE, S.REJETE, S.ERREUR})
FINAL: frozenset[PaymentStatus] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


def is_legal(current: PaymentStatus, target: PaymentStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: PaymentStatus, target: PaymentStatus) -> bool:
    """True when the status must change, False for a no-op (same state).

    Raises IllegalTransition for a move the table does not allow.
    """
    if current == target:
        return False
    if not is_legal(current, target):
        raise IllegalTransition(f"Transition interdite : {current.label} → {target.label}")
    return True
