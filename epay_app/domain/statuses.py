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


# The statuses' names in the guide's lexicon, word for word (the words of the errors below and of
# the services' French messages); what the screens show is the presenters' (epay_app/labels.py).
STATUS_LABELS: dict[PaymentStatus, str] = {
    PaymentStatus.ENVOYE: "Envoyé",
    PaymentStatus.AUTORISE: "Autorisé",
    PaymentStatus.ANNULE: "Annulé",
    PaymentStatus.REJETE: "Rejeté",
    PaymentStatus.A_REMBOURSER: "À rembourser",
    PaymentStatus.REMBOURSE: "Remboursé",
    PaymentStatus.ERREUR: "Erreur",
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
