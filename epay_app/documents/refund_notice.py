"""The "Avis de remboursement": the customer's deposit paid back to the card."""

from __future__ import annotations

from ..domain.dates import format_paris
from ..domain.money import format_eur_print
from .facts import PaymentDocumentFacts
from .layout import payment_document, person_name

TITLE = "Avis de remboursement"


def render_refund_notice(facts: PaymentDocumentFacts) -> bytes:
    amount, refunded_at = format_eur_print(facts.amount_cents), format_paris(facts.refunded_at)
    pdf = payment_document(
        TITLE,
        facts,
        "Remboursement",
        [("Montant remboursé", amount), ("Remboursé le", refunded_at)],
        f"{facts.dealer.entity_name} a remboursé à {person_name(facts.customer)} la somme de {amount} le "
        f"{refunded_at}, sur la carte qui avait servi au paiement. Le délai de crédit sur votre compte "
        "dépend de votre banque.",
    )
    return pdf.to_bytes()
