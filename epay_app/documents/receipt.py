"""The "Reçu d'acompte": proof, for the customer, of a deposit paid online."""

from __future__ import annotations

from ..domain.dates import format_paris
from ..domain.money import format_eur_print
from .facts import PaymentDocumentFacts
from .layout import payment_document, person_name

TITLE = "Reçu d'acompte"


def render_receipt(facts: PaymentDocumentFacts) -> bytes:
    amount, paid_at = format_eur_print(facts.amount_cents), format_paris(facts.authorised_at)
    pdf = payment_document(
        TITLE,
        facts,
        "Acompte reçu",
        [("Montant payé", amount)],
        f"{facts.dealer.entity_name} reconnaît avoir reçu de {person_name(facts.customer)} la somme de "
        f"{amount} le {paid_at}, à titre d'acompte. Cet acompte sera déduit du solde à régler.",
    )
    if facts.refunded_at:
        pdf.ln(1)
        pdf.paragraph(f"Cet acompte a été remboursé le {format_paris(facts.refunded_at)}.", bold=True)
    return pdf.to_bytes()
