"""The "Reçu d'acompte": proof, for the customer, of a deposit paid online."""

from __future__ import annotations

from ..domain.dates import format_paris
from ..domain.money import format_eur_print
from ..domain.references import PaymentKind
from .facts import PaymentDocumentFacts
from .layout import DocumentPdf, person_name

TITLE = "Reçu d'acompte"
NOT_SET = "Non renseigné"


def subject_line(facts: PaymentDocumentFacts) -> str:
    if facts.kind == PaymentKind.RESERVATION.value:
        return f"Réservation du véhicule, sur l'opportunité n°{facts.opportunity_number}"
    return f"Acompte de la commande n°{facts.order_number}"


def vehicle_label(facts: PaymentDocumentFacts) -> str:
    v = facts.vehicle
    label = " ".join(p for p in (v.make, v.model, v.version) if p)
    details = ", ".join(p for p in (v.condition, f"immatriculation {v.plate}" if v.plate else "") if p)
    return f"{label} ({details})" if details else label


def parties(pdf: DocumentPdf, facts: PaymentDocumentFacts) -> None:
    seller = facts.seller
    pdf.columns(
        (
            "Client",
            [
                ("Client", person_name(facts.customer)),
                ("E-mail", facts.customer.email or NOT_SET),
                ("Téléphone", facts.customer.phone or NOT_SET),
            ],
        ),
        (
            "Vendeur",
            [
                ("Conseiller", f"{seller.first_name} {seller.last_name}".strip()),
                ("Téléphone", seller.phone or facts.dealer.pos_phone or NOT_SET),
                ("E-mail", seller.email or facts.dealer.pos_email or NOT_SET),
                ("Point de vente", facts.dealer.pos_name),
            ],
        ),
    )


def card_rows(facts: PaymentDocumentFacts) -> list[tuple[str, str]]:
    return [
        ("Moyen de paiement", "Carte bancaire, paiement en ligne"),
        ("Carte", facts.masked_pan or NOT_SET),
        ("N° d'autorisation", facts.authorisation_id or NOT_SET),
        ("N° de transaction", facts.reference),
        ("Paiement traité par", facts.psp_name),
    ]


def render_receipt(facts: PaymentDocumentFacts) -> bytes:
    pdf = DocumentPdf(TITLE, facts.dealer, subtitle=f"Paiement en ligne n° {facts.reference}")
    pdf.add_page()
    parties(pdf, facts)
    pdf.section("Acompte reçu")
    pdf.rows(
        [
            ("Objet", subject_line(facts)),
            ("Véhicule", vehicle_label(facts)),
            ("Montant payé", format_eur_print(facts.amount_cents)),
            ("Payé le", format_paris(facts.authorised_at)),
            *card_rows(facts),
        ]
    )
    pdf.ln(3)
    pdf.paragraph(
        f"{facts.dealer.entity_name} reconnaît avoir reçu de {person_name(facts.customer)} la somme de "
        f"{format_eur_print(facts.amount_cents)} le {format_paris(facts.authorised_at)}, à titre d'acompte. "
        "Cet acompte sera déduit du solde à régler."
    )
    if facts.refunded_at:
        pdf.ln(1)
        pdf.paragraph(f"Cet acompte a été remboursé le {format_paris(facts.refunded_at)}.", bold=True)
    return pdf.to_bytes()
