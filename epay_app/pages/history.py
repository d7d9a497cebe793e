"""Words of the e-Paiement modal's history (F-62): what happened and who did it, for a salesperson.

The history uses the same status words as the modal's table ("En attente", "Payé", "Refusé"…)
and names people or roles, never sources, merchant ids or API names."""

from __future__ import annotations

from ..domain.events import PSP_SOURCES, EventSource
from ..domain.statuses import PaymentStatus
from ..labels import CARD_BADGES

CLIENT_PAID = "Client — paiement en ligne"
CLIENT_CANCELLED = "Client — paiement abandonné"
REMINDER = "Système — relance automatique"


def status_change(from_status: str | None, to_status: str) -> str:
    """ "En attente → Refusé", or "Créé : En attente" for the first event of an attempt."""
    to = CARD_BADGES[PaymentStatus(to_status)]
    if not from_status:
        return f"Créé : {to}"
    if from_status == to_status:
        return f"Toujours {to.lower()}"
    return f"{CARD_BADGES[PaymentStatus(from_status)]} → {to}"


def _code(psp_code: str) -> str:
    return f" (code {psp_code})" if psp_code else ""


def event_actor(
    *, source: str, actor: str, from_status: str | None, to_status: str, psp_code: str, seller_name: str
) -> str:
    """Who moved the payment, in words: a staff member's name, the client, Worldline or the system."""
    to = PaymentStatus(to_status)
    if source == EventSource.USER.value:
        return actor or seller_name or "Utilisateur"
    if source == EventSource.RESERVATION.value:
        return f"Client — réservation en ligne ({actor})" if actor else "Client — réservation en ligne"
    if source == EventSource.PSP_OFFICE.value:
        who = f"{actor} — " if actor else ""
        if to is PaymentStatus.REMBOURSE:
            return f"{who}remboursement par Worldline{_code(psp_code)}"
        return f"{who}remboursement refusé par Worldline{_code(psp_code)}"
    if from_status and from_status == to_status and source in {s.value for s in PSP_SOURCES}:
        return f"Worldline — message reçu{_code(psp_code)}"
    if source == EventSource.SYSTEM.value:
        return f"Système — {actor}" if actor else "Système — commande annulée"
    if to is PaymentStatus.ENVOYE:
        return seller_name or "Vendeur"
    if to is PaymentStatus.AUTORISE:
        return CLIENT_PAID
    if to is PaymentStatus.REJETE:
        return f"Worldline — paiement refusé{_code(psp_code)}"
    if to is PaymentStatus.ANNULE:
        return CLIENT_CANCELLED
    if to is PaymentStatus.ERREUR:
        return f"Worldline — erreur de paiement{_code(psp_code)}"
    if to is PaymentStatus.A_REMBOURSER:
        return "Système — commande annulée"
    return "Worldline"


def mail_line(dedupe_key: str, subject: str) -> tuple[str, str]:
    """(what, who) of a queued e-mail, from its outbox dedupe key."""
    kind, _, rest = dedupe_key.partition(":")
    resend = rest.rpartition(":")[2]
    if kind in ("request", "reservation_request"):
        if resend == "0":
            return "Lien de paiement envoyé au client", "Système — e-mail"
        return "Lien de paiement renvoyé au client", "Système — e-mail"
    if kind == "reminder":
        return "Lien de paiement renvoyé au client", REMINDER
    if kind == "confirmation":
        return "Confirmation de paiement envoyée au client", "Système — e-mail"
    return subject, "Système — e-mail"
