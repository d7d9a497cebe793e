"""What a document prints, as typed facts: cents, UTC datetimes, plain codes. No words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class DealerFacts:
    """The legal entity and the point of sale that deal with the customer."""

    entity_name: str
    pos_name: str
    pos_address: str = ""
    pos_phone: str = ""
    pos_email: str = ""
    legal_address: str = ""
    legal_phone: str = ""
    legal_email: str = ""
    siret: str = ""
    rcs: str = ""
    vat_number: str = ""
    share_capital_cents: int | None = None


@dataclass(frozen=True)
class PartyFacts:
    """A person: the customer (civility, names, contact) or the seller."""

    first_name: str
    last_name: str
    civility: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class VehicleFacts:
    make: str
    model: str
    version: str = ""
    condition: str = "Neuf"  # "Neuf" | "Occasion"
    plate: str = ""
    vin: str = ""
    fuel: str = ""
    fiscal_power: int = 0
    power_hp: int = 0
    colour: str = ""
    mileage_km: int | None = None
    first_registration: date | None = None
    doors: int = 0
    price_cents: int = 0  # the vehicle's list price (the staff's card)


@dataclass(frozen=True)
class PriceFacts:
    vehicle_price_cents: int
    customer_advantage_cents: int = 0
    accessories_cents: int = 0
    vat_percent: int = 20

    @property
    def sale_price_cents(self) -> int:
        return self.vehicle_price_cents - self.customer_advantage_cents + self.accessories_cents


@dataclass(frozen=True)
class DepositFacts:
    amount_cents: int
    method: str  # "Carte bancaire", "Chèque", …
    online: bool = False
    reference: str = ""  # the latest online attempt, "" without one
    status: str = ""  # its domain.statuses.PaymentStatus value
    paid_at: datetime | None = None
    pay_url: str = ""  # the customer's /pay/<token> link while the payment is Envoyé


@dataclass(frozen=True)
class OrderFormFacts:
    """A bon de commande (order set) or an offer (order None)."""

    offer_number: int
    opportunity_number: int
    dealer: DealerFacts
    seller: PartyFacts
    customer: PartyFacts
    vehicle: VehicleFacts
    prices: PriceFacts
    created_at: datetime | None = None
    order_number: int | None = None
    order_status: str = ""  # a domain.orders.OrderStatus value
    validated_at: datetime | None = None
    validated_by: str = ""
    balance_method: str = ""
    deposit: DepositFacts | None = None
    delivery_date: date | None = None
    extreme_delivery_date: date | None = None
    sales_conditions: str = ""


@dataclass(frozen=True)
class PaymentDocumentFacts:
    """A deposit receipt or a refund notice: one e-payment and who it concerns."""

    reference: str
    kind: str  # domain.references.PaymentKind value
    amount_cents: int
    status: str  # domain.statuses.PaymentStatus value
    dealer: DealerFacts
    customer: PartyFacts
    seller: PartyFacts
    vehicle: VehicleFacts
    opportunity_number: int
    order_number: int | None = None
    authorised_at: datetime | None = None
    refunded_at: datetime | None = None
    authorisation_id: str = ""
    masked_pan: str = ""
    psp_name: str = "Worldline"
