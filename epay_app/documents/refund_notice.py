"""The "Avis de remboursement": the customer's deposit paid back to the card."""

from __future__ import annotations

from ..domain.dates import format_paris
from ..domain.money import format_eur_print
from .facts import PaymentDocumentFacts
from .layout import DocumentPdf, person_name
from .receipt import card_rows, parties, subject_line, vehicle_label

TITLE = "Avis de remboursement"


def render_refund_notice(facts: PaymentDocumentFacts) -> bytes:
    pdf = DocumentPdf(TITLE, facts.dealer, subtitle=f"Paiement en ligne n° {facts.reference}")
    pdf.add_page()
    parties(pdf, facts)
    pdf.section("Remboursement")
    pdf.rows(
        [
            ("Objet", subject_line(facts)),
            ("Véhicule", vehicle_label(facts)),
            ("Montant remboursé", format_eur_print(facts.amount_cents)),
            ("Remboursé le", format_paris(facts.refunded_at)),
            ("Payé le", format_paris(facts.authorised_at)),
            *card_rows(facts),
        ]
    )
    pdf.ln(3)
    pdf.paragraph(
        f"{facts.dealer.entity_name} a remboursé à {person_name(facts.customer)} la somme de "
        f"{format_eur_print(facts.amount_cents)} le {format_paris(facts.refunded_at)}, sur la carte qui avait "
        "servi au paiement. Le délai de crédit sur votre compte dépend de votre banque."
    )
    return pdf.to_bytes()
