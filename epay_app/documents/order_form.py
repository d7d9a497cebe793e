"""The bon de commande (the contract the customer signs) and the offer, which shares its layout."""

from __future__ import annotations

from ..domain.dates import format_day, format_paris
from ..domain.money import format_eur_print, ht_from_ttc
from ..domain.orders import OrderStatus
from ..domain.statuses import PaymentStatus
from .facts import DepositFacts, OrderFormFacts, VehicleFacts
from .layout import NOT_SET, DocumentPdf, customer_rows, person_name, seller_rows

CONDITIONS_TITLE = "Conditions générales de vente"
PAY_ONLINE = "Payer l'acompte en ligne"


def vehicle_rows(vehicle: VehicleFacts) -> list[tuple[str, str]]:
    power = (
        f"{vehicle.fiscal_power} CV / {vehicle.power_hp} ch" if vehicle.fiscal_power or vehicle.power_hp else NOT_SET
    )
    rows = [
        ("Marque / modèle", f"{vehicle.make} {vehicle.model}".strip()),
        ("Version", vehicle.version or NOT_SET),
        ("Neuf / Occasion", vehicle.condition),
        ("Immatriculation", vehicle.plate or NOT_SET),
        ("N° de châssis (VIN)", vehicle.vin or NOT_SET),
        ("Énergie", vehicle.fuel or NOT_SET),
        ("Puissance", power),
        ("Couleur", vehicle.colour or NOT_SET),
    ]
    if vehicle.condition == "Occasion":
        mileage = f"{vehicle.mileage_km:,} km".replace(",", "\u202f") if vehicle.mileage_km is not None else NOT_SET
        rows += [
            ("Kilométrage", mileage),
            ("1re mise en circulation", format_day(vehicle.first_registration) or NOT_SET),
        ]
    return rows


def _price_lines(facts: OrderFormFacts, pdf: DocumentPdf) -> None:
    prices = facts.prices
    sale = prices.sale_price_cents
    ht = ht_from_ttc(sale, prices.vat_percent)
    pdf.amounts(
        [
            ("Prix du véhicule TTC", prices.vehicle_price_cents),
            ("Avantages clients", prices.customer_advantage_cents),
            ("Accessoires", prices.accessories_cents),
            ("Prix de vente TTC", sale),
            ("Prix de vente HT", ht),
            (f"dont TVA {prices.vat_percent} %", sale - ht),
        ],
        bold=("Prix de vente TTC",),
        negative=("Avantages clients",),
        optional=("Avantages clients", "Accessoires"),
    )


def deposit_line(deposit: DepositFacts) -> str:
    """ "Acompte versé à la commande : 500,00 € — Carte bancaire, paiement en ligne n° … : payé le …"."""
    line = f"Acompte versé à la commande : {format_eur_print(deposit.amount_cents)} — {deposit.method or NOT_SET}"
    if not deposit.online:
        return line
    if not deposit.reference:
        return f"{line}, paiement en ligne"
    status = PaymentStatus(deposit.status)
    if status in (PaymentStatus.AUTORISE, PaymentStatus.A_REMBOURSER, PaymentStatus.REMBOURSE) and deposit.paid_at:
        state = f"payé le {format_paris(deposit.paid_at)}"
        if status is not PaymentStatus.AUTORISE:
            state += f" ({status.label.lower()})"
    elif status is PaymentStatus.ENVOYE:
        state = "en attente"
    else:
        state = status.label.lower()
    return f"{line}, paiement en ligne n° {deposit.reference} : {state}"


def _payment(facts: OrderFormFacts, pdf: DocumentPdf) -> None:
    pdf.section("Paiement")
    deposit = facts.deposit
    deposit_cents = deposit.amount_cents if deposit else 0
    pdf.paragraph(deposit_line(deposit) if deposit else "Aucun acompte versé à la commande.")
    balance = facts.prices.sale_price_cents - deposit_cents
    pdf.paragraph(
        f"Solde à régler : {format_eur_print(balance)} (prix de vente TTC, acompte déduit) — "
        f"moyen de paiement du solde : {facts.balance_method or NOT_SET}"
    )
    if deposit and deposit.pay_url and deposit.status == PaymentStatus.ENVOYE.value:
        pdf.ln(1)
        pdf.qr_code(deposit.pay_url, PAY_ONLINE)


def _subtitle(facts: OrderFormFacts) -> str:
    parts = []
    if facts.order_number is not None:
        parts.append(f"Commande validée le {format_paris(facts.validated_at)} par {facts.validated_by}")
        if facts.order_status == OrderStatus.CANCELLED.value:
            parts.append("Commande annulée")
    elif facts.created_at is not None:
        parts.append(f"Établie le {format_paris(facts.created_at)}")
    parts.append(f"Offre n°{facts.offer_number} · Opportunité n°{facts.opportunity_number}")
    return "\n".join(parts)


def _body(pdf: DocumentPdf, facts: OrderFormFacts) -> None:
    pdf.add_page()
    pdf.columns(("Client", customer_rows(facts.customer)), ("Vendeur", seller_rows(facts.seller, facts.dealer)))
    pdf.section("Véhicule acheté")
    rows = vehicle_rows(facts.vehicle)
    half = (len(rows) + 1) // 2
    top = pdf.get_y()
    pdf.rows(rows[:half], label_width=30, width=88)
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    pdf.rows(rows[half:], label_width=40, x=pdf.l_margin + 92, width=88)
    pdf.set_y(max(left_bottom, pdf.get_y()))
    pdf.section("Récapitulatif")
    _price_lines(facts, pdf)


def render_order_form(facts: OrderFormFacts) -> bytes:
    """The bon de commande: parties, vehicle, prices, deposit, balance, delivery, signatures,
    then the entity's general conditions of sale on their own page(s)."""
    pdf = DocumentPdf(f"Bon de commande n°{facts.order_number}", facts.dealer, subtitle=_subtitle(facts))
    _body(pdf, facts)
    _payment(facts, pdf)
    pdf.section("Livraison")
    pdf.rows(
        [
            ("Date de livraison", format_day(facts.delivery_date) or NOT_SET),
            ("Date de livraison extrême", format_day(facts.extreme_delivery_date) or NOT_SET),
            ("Lieu de livraison", facts.dealer.pos_name),
        ]
    )
    pdf.ln(1)
    pdf.paragraph(
        "Le client reconnaît avoir pris connaissance des conditions générales de vente"
        + (" jointes au présent bon de commande" if facts.sales_conditions.strip() else "")
        + " et les accepter.",
        size=7.5,
        muted=True,
    )
    seller = f"{facts.seller.first_name} {facts.seller.last_name}".strip()
    pdf.signatures(names=(person_name(facts.customer), seller))
    if facts.sales_conditions.strip():
        pdf.conditions(CONDITIONS_TITLE, facts.sales_conditions)
    return pdf.to_bytes()


def render_offer(facts: OrderFormFacts) -> bytes:
    pdf = DocumentPdf(f"Offre n°{facts.offer_number}", facts.dealer, subtitle=_subtitle(facts))
    _body(pdf, facts)
    pdf.ln(2)
    pdf.paragraph("Cette offre ne vaut pas commande.", size=7.5, muted=True)
    return pdf.to_bytes()
