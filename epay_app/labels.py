"""The French words for stored codes, word for word from the guide: the one table every
presenter reads (pages, documents, e-mails, the CSV export). Services and the domain store and
compare codes; they never read this module."""

from __future__ import annotations

from .domain.orders import OrderStatus
from .domain.statuses import PaymentStatus

ORDER_STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.PLACED: "Commandée",
    OrderStatus.CANCELLED: "Annulée",
}


def order_status_label(code: str) -> str:
    """The label of a stored order status; an unknown value is shown as it is."""
    try:
        return ORDER_STATUS_LABELS[OrderStatus(code)]
    except ValueError:
        return code


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


def card_badge(code: str) -> str:
    """ "Payé", "En attente"… for a stored payment status."""
    return CARD_BADGES[PaymentStatus(code)]
