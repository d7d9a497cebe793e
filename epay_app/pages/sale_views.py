"""Presenters of the offer and order pages and of the opportunities list: the facts of
services.sales.orders / services.sales.checkout in the guide's words (cards, lines, history), every value
already formatted for the page's state."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..documents.facts import PriceFacts, VehicleFacts
from ..domain.dates import format_day, format_paris
from ..domain.money import format_eur, ht_from_ttc
from ..domain.statuses import PaymentStatus
from ..labels import CARD_BADGES, VEHICLE_BADGES, order_status_label
from ..services.sales.checkout import OfferFacts
from ..services.sales.orders import EventFacts, MailFacts, OpportunityLine, OrderFacts
from . import history
from .rows import PaymentAttempt, TimelineEntry

NOT_SET = "Non renseigné"
MAIL_STATES = {"pending": "en file d'attente", "sending": "en cours d'envoi", "sent": "remis", "failed": "en échec"}


# ---------------------------------------------------------------- shared cards


def vehicle_fields(vehicle: VehicleFacts) -> dict[str, str]:
    """The vehicle card of the guide, every value already formatted."""
    return {
        "make": vehicle.make,
        "model": vehicle.model,
        "version": vehicle.version,
        "condition": vehicle.condition,
        "price": f"{format_eur(vehicle.price_cents)} TTC",
        "fuel": vehicle.fuel or NOT_SET,
        "power": (
            f"{vehicle.fiscal_power} CV / {vehicle.power_hp} ch"
            if vehicle.fiscal_power or vehicle.power_hp
            else NOT_SET
        ),
        "doors": f"{vehicle.doors} P" if vehicle.doors else NOT_SET,
        "colour": vehicle.colour or NOT_SET,
        "plate": vehicle.plate or NOT_SET,
        "first_registration": format_day(vehicle.first_registration) or NOT_SET,
        "mileage": f"{vehicle.mileage_km:,} km".replace(",", " ") if vehicle.mileage_km is not None else NOT_SET,
        "vin": vehicle.vin or NOT_SET,
    }


def recap_fields(prices: PriceFacts) -> dict[str, str]:
    """Récapitulatif amounts, TTC and HT (VAT 20 %), keyed `<name>_ttc` / `<name>_ht`."""
    result = {}
    for name, cents, negative in (
        ("vehicle_price", prices.vehicle_price_cents, False),
        ("advantages", prices.customer_advantage_cents, True),
        ("accessories", prices.accessories_cents, False),
        ("sale_price", prices.sale_price_cents, False),
    ):
        for suffix, value in (("ttc", cents), ("ht", ht_from_ttc(cents))):
            if name == "accessories" and not cents:
                text = "- €"
            else:
                text = ("- " if negative and cents else "") + format_eur(value)
            result[f"{name}_{suffix}"] = text
    return result


def vehicle_title(vehicle: VehicleFacts) -> str:
    """ "CEED 1.4 T-GDI 140 ch ISG DCT7 Edition #1 - DF231LM", as in the order banner."""
    title = " ".join(p for p in (vehicle.model, vehicle.version) if p)
    return f"{title} - {vehicle.plate}" if vehicle.plate else title


# ---------------------------------------------------------------- order page


@dataclass
class OrderView:
    number: int
    status: str
    cancelled: bool
    breadcrumb: str
    banner: str
    validated_line: str
    delivery_line: str
    extreme_line: str
    vehicle: dict[str, str]
    recap: dict[str, str]
    deposit: dict[str, str]
    payment_status: str  # PaymentStatus value of the latest attempt, "" without e-payment
    payment_badge: str
    can_resend: bool
    can_retry: bool
    attempts: list[PaymentAttempt] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    version: str = ""


def _deposit_card(facts: OrderFacts) -> dict[str, str]:
    online_total = sum(a.amount_cents for a in facts.attempts if a.status is PaymentStatus.AUTORISE)
    latest = facts.attempts[-1] if facts.attempts else None
    return {
        "amount": format_eur(facts.deposit_amount_cents),
        "method": facts.deposit_method or NOT_SET,
        # The guide's card shows the online amount; before payment it is the requested one.
        "epay_amount": format_eur(online_total or (latest.amount_cents if latest else 0)),
        "online": "1" if facts.attempts else "",
        "balance_method": facts.balance_method,
    }


def _history_line(item: EventFacts | MailFacts) -> TimelineEntry:
    if isinstance(item, MailFacts):
        what, who = history.mail_line(item.dedupe_key, item.subject)
        detail = f"{item.to_address} · e-mail {MAIL_STATES.get(item.status, item.status)}"
        return TimelineEntry(at=format_paris(item.at), reference=item.reference, what=what, who=who, detail=detail)
    who = history.event_actor(
        source=item.source,
        actor=item.actor,
        from_status=item.from_status,
        to_status=item.to_status,
        psp_code=item.psp_code,
        seller_name=item.seller_name,
    )
    what = history.status_change(item.from_status, item.to_status)
    return TimelineEntry(at=format_paris(item.at), reference=item.reference, what=what, who=who)


def present_order(facts: OrderFacts) -> OrderView:
    """The order page of the guide (F-24..F-26, F-62)."""
    by, number, status = facts.validated_by, facts.number, facts.payment_status
    return OrderView(
        number=number,
        status=order_status_label(facts.status.value),
        cancelled=facts.cancelled,
        breadcrumb=f"OPPORTUNITÉS > OPPORTUNITÉ DE {facts.customer_name.upper()} > COMMANDE N°{number}",
        banner=f"La commande {number} pour le véhicule {vehicle_title(facts.vehicle)} a été validée par {by}",
        validated_line=f"La commande a été validée le {format_paris(facts.validated_at)} par {by}.",
        delivery_line=(
            f"Le véhicule sera livré le {format_day(facts.delivery_date)} dans le point de vente {facts.pos_name}."
        ),
        extreme_line=f"La date de livraison extrême est le {format_day(facts.extreme_delivery_date)}.",
        vehicle=vehicle_fields(facts.vehicle),
        recap=recap_fields(facts.prices),
        deposit=_deposit_card(facts),
        payment_status=status.value if status else "",
        payment_badge=VEHICLE_BADGES[status] if status else "",
        can_resend=facts.can_resend,
        can_retry=facts.can_retry,
        attempts=[
            PaymentAttempt(
                reference=a.reference,
                amount=format_eur(a.amount_cents),
                created=format_day(a.created_at),
                state=CARD_BADGES[a.status],
                status=a.status.value,
                id=str(a.payment_id),
                receipt="1" if a.has_receipt else "",
                refund_notice="1" if a.has_refund_notice else "",
            )
            for a in facts.attempts
        ],
        timeline=[_history_line(item) for item in facts.history],
        version=facts.version,
    )


# ---------------------------------------------------------------- offer page


@dataclass
class OfferView:
    number: int
    status: str
    breadcrumb: str
    vehicle: dict[str, str]
    recap: dict[str, str]
    sale_price: str
    customer: dict[str, str]
    customer_errors: dict[str, str]
    epay_option: bool
    epay_available: bool
    epay_reason: str
    order_number: str  # "" while the offer has no order
    default_delivery: str  # ISO dates for the form's date inputs
    default_extreme: str


def present_offer(facts: OfferFacts) -> OfferView:
    customer = facts.customer
    return OfferView(
        number=facts.number,
        status=facts.status,
        breadcrumb=f"OPPORTUNITÉS > OPPORTUNITÉ DE {facts.customer_name.upper()} > OFFRE N°{facts.number}",
        vehicle=vehicle_fields(facts.vehicle),
        recap=recap_fields(facts.prices),
        sale_price=format_eur(facts.prices.sale_price_cents),
        customer={
            "id": str(facts.customer_id),
            "civility": customer.civility,
            "last_name": customer.last_name,
            "first_name": customer.first_name,
            "email": customer.email,
            "phone": customer.phone,
            "label": facts.customer_name,
        },
        customer_errors=facts.customer_errors,
        epay_option=facts.epay.option,
        epay_available=facts.epay.available,
        epay_reason=facts.epay.reason,
        order_number=str(facts.order_number) if facts.order_number is not None else "",
        default_delivery=facts.default_delivery.isoformat(),
        default_extreme=facts.default_extreme.isoformat(),
    )


# ---------------------------------------------------------------- opportunities list


def opportunity_fields(line: OpportunityLine) -> dict[str, str]:
    """One line of the opportunities list in words (pages.opportunities.present_row adds links)."""
    return {
        "opportunity": str(line.opportunity_number),
        "customer": line.customer_name,
        "seller": line.seller_name,
        "pos": line.pos_name,
        "vehicle": line.vehicle,
        "offer": str(line.offer_number) if line.offer_number is not None else "",
        "offer_status": line.offer_status,
        "order": str(line.order_number) if line.order_number is not None else "",
        "order_status": order_status_label(line.order_status.value) if line.order_status else "",
        "badge": VEHICLE_BADGES[line.payment_status] if line.payment_status else "",
        "status": line.status,
        "reservation": f"e-Réservation : {CARD_BADGES[line.reservation_status]}" if line.reservation_status else "",
        "reservation_reference": line.reservation_reference,
        "open": "1" if line.open else "",
    }
