"""The printable order ("Imprimer", "Valider et imprimer") and offer, as PDF (fpdf2)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from sqlmodel import Session

from ..domain.dates import format_day, format_paris
from ..domain.money import format_eur, ht_from_ttc
from ..models import Customer, EPayment, Offer, Opportunity, PointOfSale, User, Vehicle
from . import checkout
from .orders import customer_label, vehicle_fields
from .scope import scoped_offer, scoped_order, viewer_for

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
Section = tuple[str, list[tuple[str, str]]]


class _Document(FPDF):
    def __init__(self, title: str):
        super().__init__(format="A4")
        self.doc_title = title
        self.unicode = (_FONT_DIR / "DejaVuSans.ttf").exists() and (_FONT_DIR / "DejaVuSans-Bold.ttf").exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(_FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.family = "DejaVu" if self.unicode else "Helvetica"
        self.set_auto_page_break(True, margin=18)
        self.set_title(title)
        self.set_author("OpenFlex")

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        # Core fonts are latin-1 only: the euro sign and narrow spaces are spelled out.
        value = value.replace("€", "EUR").replace("\u202f", " ").replace("\xa0", " ").replace("→", "->")
        return value.encode("latin-1", "replace").decode("latin-1")

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.set_text_color(120)
        self.cell(0, 6, self.text_of(f"{self.doc_title} — page {self.page_no()}"), align="C")


def render(title: str, subtitle: str, sections: list[Section], closing: str = "") -> bytes:
    pdf = _Document(title)
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 16)
    pdf.cell(0, 10, pdf.text_of(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 9)
    pdf.set_text_color(90)
    pdf.multi_cell(0, 5, pdf.text_of(subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    for heading, lines in sections:
        pdf.ln(3)
        pdf.set_font(pdf.family, "B", 11)
        pdf.set_fill_color(235, 239, 246)
        pdf.cell(0, 7, pdf.text_of(heading), fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.family, "", 10)
        for label, value in lines:
            pdf.cell(60, 6, pdf.text_of(label))
            pdf.multi_cell(0, 6, pdf.text_of(value), new_x="LMARGIN", new_y="NEXT")
    if closing:
        pdf.ln(6)
        pdf.set_font(pdf.family, "", 9)
        pdf.multi_cell(0, 5, pdf.text_of(closing), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _parties(session: Session, opportunity: Opportunity, pos: PointOfSale, vehicle: Vehicle) -> list[Section]:
    customer = session.get(Customer, opportunity.customer_id)
    seller = session.get(User, opportunity.seller_id)
    v = vehicle_fields(vehicle)
    return [
        (
            "Vendeur",
            [
                ("Point de vente", pos.name),
                ("Adresse", pos.address or "Non renseigné"),
                ("Téléphone", pos.phone or "Non renseigné"),
                ("E-mail", pos.email or "Non renseigné"),
                ("Conseiller", seller.display_name),
            ],
        ),
        (
            "Client",
            [
                ("Client", customer_label(customer)),
                ("E-mail", customer.email or "Non renseigné"),
                ("Téléphone", customer.phone or "Non renseigné"),
            ],
        ),
        (
            "Véhicule acheté",
            [
                ("Véhicule", f"{vehicle.make} {vehicle.model} {vehicle.version}".strip()),
                ("État", vehicle.condition),
                ("Énergie", v["fuel"]),
                ("Puissance", v["power"]),
                ("Portes / couleur", f"{v['doors']} / {v['colour']}"),
                ("Immatriculation", v["plate"]),
                ("N° de châssis", v["vin"]),
                ("MEC", v["first_registration"]),
                ("Kilométrage", v["mileage"]),
            ],
        ),
    ]


def _amounts(offer: Offer) -> Section:
    sale = offer.sale_price_cents
    return (
        "Récapitulatif",
        [
            ("Prix du véhicule", format_eur(offer.vehicle_price_cents)),
            (
                "Avantages clients",
                f"- {format_eur(offer.customer_advantage_cents)}" if offer.customer_advantage_cents else "- €",
            ),
            ("Accessoires", format_eur(offer.accessories_cents) if offer.accessories_cents else "- €"),
            ("Prix de vente TTC", format_eur(sale)),
            ("dont TVA 20 %", format_eur(sale - ht_from_ttc(sale))),
            ("Prix de vente HT", format_eur(ht_from_ttc(sale))),
        ],
    )


def order_pdf(session: Session, order_number: int, user: User) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the order, if the user may see it (OrderNotFound otherwise)."""
    order, offer, opportunity = scoped_order(session, viewer_for(session, user), order_number)
    pos = session.get(PointOfSale, order.pos_id)
    vehicle = session.get(Vehicle, offer.vehicle_id)
    validator = session.get(User, order.validated_by_id) if order.validated_by_id else None
    payments = checkout.attempts(session, order.id)
    deposit_lines = [
        ("Acompte versé à la commande", format_eur(order.deposit_amount_cents)),
        ("Moyen de paiement", order.deposit_method),
    ]
    if order.deposit_online:
        latest: EPayment = payments[-1] if payments else None
        deposit_lines.append(("e-Paiement", "Paiement en ligne (lien envoyé au client par e-mail)"))
        if latest is not None:
            deposit_lines.append(("N° transaction", latest.reference))
    payment_section: Section = (
        "Paiement",
        [
            ("Solde à régler", f"{format_eur(offer.sale_price_cents)} (acompte non déduit)"),
            ("Moyen de paiement du solde", order.balance_method),
            *deposit_lines,
        ],
    )
    delivery: Section = (
        "Livraison",
        [
            ("Date de livraison", format_day(order.delivery_date)),
            ("Livraison extrême", format_day(order.extreme_delivery_date)),
            ("Point de vente", pos.name),
        ],
    )
    status = f" — {order.status}" if order.status != checkout.ORDER_PLACED else ""
    subtitle = (
        f"Commande validée le {format_paris(order.validated_at)} par "
        f"{validator.display_name if validator else ''}{status}. Offre n°{offer.number}, "
        f"opportunité n°{opportunity.number}."
    )
    body = render(
        f"Bon de commande n°{order.number}",
        subtitle,
        [*_parties(session, opportunity, pos, vehicle), _amounts(offer), payment_section, delivery],
        closing="Signature du client, précédée de la mention « Bon pour commande » :\n\n\nSignature du vendeur :",
    )
    return f"commande-{order.number}.pdf", body


def offer_pdf(session: Session, offer_number: int, user: User) -> tuple[str, bytes]:
    offer, opportunity, pos = scoped_offer(session, viewer_for(session, user), offer_number)
    vehicle = session.get(Vehicle, offer.vehicle_id)
    body = render(
        f"Offre n°{offer.number}",
        f"Offre {offer.status.lower()}, opportunité n°{opportunity.number}.",
        [*_parties(session, opportunity, pos, vehicle), _amounts(offer)],
    )
    return f"offre-{offer.number}.pdf", body
