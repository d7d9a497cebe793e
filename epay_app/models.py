"""Database tables (SQLModel). Money in integer cents, timestamps in UTC.

Enumerated values are stored as plain strings (the enums live in `domain/`), which keeps
migrations portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol, TypeVar

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel

from .domain.dates import utcnow


def _ts(nullable: bool = True, index: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class DealerGroup(SQLModel, table=True):
    __tablename__ = "dealer_group"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    # "Parcours de vente digitalisé" settings (group-wide).
    inactive_opportunity_days: int = 183
    stock_entry_delay_days: int | None = None  # None: 30 days for online trade-in campaigns
    manufacturer_contracts_enabled: bool = True
    # "Paramétrer la e-réservation" (group-wide).
    reservation_enabled: bool = False
    reservation_hours: int = 48
    reservation_amount_cents: int = 20_000


class Entity(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="dealer_group.id", index=True)
    number: int = Field(unique=True)
    name: str
    epay_option: bool = False  # the paid option "e-paiement" (F-02)
    # Legal identity printed on the documents (bon de commande, receipts), set by an administrator.
    legal_address: str = ""  # head office
    legal_phone: str = ""
    legal_email: str = ""
    siret: str = ""  # 14 digits
    rcs: str = ""  # "RCS Chalon-sur-Saône 123 456 789"
    vat_number: str = ""  # TVA intracommunautaire, FR + 11 characters
    share_capital_cents: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sales_conditions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class PointOfSale(SQLModel, table=True):
    __tablename__ = "point_of_sale"
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    number: int = Field(unique=True)
    name: str
    address: str = ""
    phone: str = ""
    email: str = ""


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    first_name: str
    last_name: str
    email: str = Field(unique=True)
    password_hash: str
    group_type: str  # domain.roles.GroupType value
    entity_id: int = Field(foreign_key="entity.id", index=True)
    pos_id: int = Field(foreign_key="point_of_sale.id", index=True)
    phone: str = ""
    active: bool = True
    # Login throttling: consecutive failures and the end of the lock they caused.
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_ts())

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class LoginThrottle(SQLModel, table=True):
    """Consecutive login failures of one key ("account:…", "address:…", "pair:…|…") and the end
    of the wait they caused (services/access/auth.py). Kept for unknown e-mails too."""

    __tablename__ = "login_throttle"
    key: str = Field(primary_key=True, max_length=400)
    failures: int = 0
    blocked_until: datetime | None = Field(default=None, sa_column=_ts())
    last_failure_at: datetime | None = Field(default=None, sa_column=_ts())


class UserSession(SQLModel, table=True):
    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    expires_at: datetime = Field(sa_column=_ts(False))
    # One-time ticket the browser exchanges for the HttpOnly session cookie (api/session.py).
    exchange_hash: str | None = Field(default=None, unique=True, index=True)
    exchange_expires_at: datetime | None = Field(default=None, sa_column=_ts(True))


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    civility: str = ""  # "M." or "Mme."
    last_name: str = ""
    first_name: str = ""
    email: str = Field(default="", index=True)
    phone: str = ""


class Vehicle(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pos_id: int = Field(foreign_key="point_of_sale.id", index=True)
    make: str
    model: str
    version: str = ""
    condition: str = "Neuf"  # "Neuf" | "Occasion"
    plate: str = ""  # immatriculation
    vin: str = ""  # châssis
    fuel: str = ""
    fiscal_power: int = 0  # CV
    power_hp: int = 0  # ch
    doors: int = 5
    colour: str = ""
    price_cents: int = 0  # TTC
    first_registration: date | None = None
    mileage_km: int | None = None
    published: bool = False
    stock_status: str = "in_stock"  # a domain.orders.StockStatus value
    # e-Réservation (F-40): the vehicle is blocked while reserved_until is in the future. The
    # payment holding the block is kept as a plain id: a foreign key back to epayment would make
    # the two tables depend on each other.
    reserved_until: datetime | None = Field(default=None, sa_column=_ts(index=True))
    reservation_payment_id: int | None = None


class Opportunity(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    seller_id: int = Field(foreign_key="app_user.id", index=True)
    pos_id: int = Field(foreign_key="point_of_sale.id", index=True)
    status: str = "en cours"  # en cours | gagnée | perdue | annulée
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class Offer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    status: str = "Validée"
    vehicle_price_cents: int = 0
    customer_advantage_cents: int = 0
    accessories_cents: int = 0

    @property
    def sale_price_cents(self) -> int:
        return self.vehicle_price_cents - self.customer_advantage_cents + self.accessories_cents


class SalesOrder(SQLModel, table=True):
    __tablename__ = "sales_order"
    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    offer_id: int = Field(foreign_key="offer.id", unique=True)
    status: str = "placed"  # a domain.orders.OrderStatus value
    validated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    validated_at: datetime | None = Field(default=None, sa_column=_ts())
    delivery_date: date | None = None
    extreme_delivery_date: date | None = None
    pos_id: int = Field(foreign_key="point_of_sale.id", index=True)
    balance_method: str = ""
    deposit_amount_cents: int = 0
    deposit_method: str = ""
    deposit_online: bool = False
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts())


class EPayment(SQLModel, table=True):
    """One attempt to collect money online. A new attempt is a new row (suffix _2, _3…)."""

    __tablename__ = "epayment"
    # Tiles and the keyset-paged list (services/dashboards/tracking.py): one per scope column, ending with
    # the sort key. Created by alembic 0006_tracking, with the search index that is not a model.
    __table_args__ = (
        Index("ix_epayment_entity_tracking", "entity_id", "status", "status_changed_at", "id"),
        Index("ix_epayment_pos_tracking", "pos_id", "status", "status_changed_at", "id"),
        Index("ix_epayment_seller_tracking", "seller_id", "status", "status_changed_at", "id"),
        Index("ix_epayment_status_changed_at", "status_changed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True)  # 00045_000061_20000026837_1
    psp_reference: str = Field(unique=True)  # the same without underscores (Sips)
    kind: str  # domain.references.PaymentKind value
    attempt: int = 1
    amount_cents: int
    currency: str = "EUR"
    status: str = Field(default="envoye", index=True)  # domain.statuses.PaymentStatus value
    # What the payment is about (denormalised for the list and its filters).
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    seller_id: int = Field(foreign_key="app_user.id", index=True)
    pos_id: int = Field(foreign_key="point_of_sale.id", index=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    # Timestamps: creation, the last status change, and one per status reached.
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    status_changed_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    sent_at: datetime | None = Field(default=None, sa_column=_ts())
    authorised_at: datetime | None = Field(default=None, sa_column=_ts())
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts())
    rejected_at: datetime | None = Field(default=None, sa_column=_ts())
    error_at: datetime | None = Field(default=None, sa_column=_ts())
    refund_requested_at: datetime | None = Field(default=None, sa_column=_ts())
    refunded_at: datetime | None = Field(default=None, sa_column=_ts())
    link_expires_at: datetime | None = Field(default=None, sa_column=_ts())
    # Last PSP facts.
    psp_response_code: str = ""
    psp_authorisation_id: str = ""
    psp_masked_pan: str = ""
    psp_last_error: str = ""


class EPaymentEvent(SQLModel, table=True):
    """Append-only audit of every status change and PSP message (F-36, F-62)."""

    __tablename__ = "epayment_event"
    __table_args__ = (UniqueConstraint("payment_id", "idempotency_key"),)
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="epayment.id", index=True)
    from_status: str | None = None
    to_status: str
    source: str  # a domain.events.EventSource value
    actor: str = ""  # user display name or PSP merchant id
    psp_code: str = ""
    raw: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    idempotency_key: str | None = None
    at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class PspConfig(SQLModel, table=True):
    """Credentials of a point of sale at the PSP; every secret stored encrypted (F-13).

    Sips 2.0: merchant_id = merchantId, key = the secret key, key_version.
    Worldline Direct: merchant_id = PSPID, api_key_id + key = the API key (id, secret),
    webhook_key_id + webhook secret = the key the platform signs webhooks with.
    """

    __tablename__ = "psp_config"
    id: int | None = Field(default=None, primary_key=True)
    pos_id: int = Field(foreign_key="point_of_sale.id", unique=True)
    protocol: str = "sips2"  # psp.interface.PspProtocol value; new configurations: "direct" (services)
    merchant_id: str = Field(index=True)
    key_ciphertext: str
    key_hint: str = ""  # last 4 characters, for the masked display
    key_version: int = 1
    api_key_id: str = ""
    webhook_key_id: str = Field(default="", index=True)
    webhook_secret_ciphertext: str = ""
    webhook_secret_hint: str = ""
    # The Sips credentials a point of sale had before it moved to Direct: Sips-era payments are
    # still refunded and reconciled through Sips Office with them (and their late responses read).
    sips_merchant_id: str = Field(default="", index=True)
    sips_key_ciphertext: str = ""
    sips_key_version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class DirectCheckout(SQLModel, table=True):
    """One Worldline Direct hosted checkout opened for a payment. A link clicked again while the
    checkout is alive reuses it; an expired one gives way to a new row (a new idempotence key).

    A payment with a checkout was taken with Worldline Direct; one without, with Sips 2.0 (this
    side table leaves the payment rows, and the revisions before it, as they were)."""

    __tablename__ = "direct_checkout"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="epayment.id", index=True)
    hosted_checkout_id: str = Field(unique=True)
    # RETURNMAC proves the browser's return comes from this checkout: kept like a secret.
    return_mac_ciphertext: str
    redirect_url: str
    idempotence_key: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    expires_at: datetime = Field(sa_column=_ts(False))
    # The payment the platform created in this checkout ("4315624881_0"), once known.
    psp_payment_id: str = Field(default="", index=True)


class OutboxMail(SQLModel, table=True):
    """Durable outbox (F-64): written in the same transaction as the change that causes it."""

    __tablename__ = "outbox_mail"
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True)  # e.g. "confirmation:<payment id>"
    kind: str
    to_address: str
    subject: str
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    payment_id: int | None = Field(default=None, foreign_key="epayment.id", index=True)
    status: str = Field(default="pending", index=True)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False, index=True))
    locked_until: datetime | None = Field(default=None, sa_column=_ts())
    last_error: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    sent_at: datetime | None = Field(default=None, sa_column=_ts())


class PaymentPspCheck(SQLModel, table=True):
    """Reconciliation (F-61): when getTransactionData was last asked about a pending payment.
    A side table, so the payment row and its writers stay as they are."""

    __tablename__ = "epayment_psp_check"
    payment_id: int = Field(foreign_key="epayment.id", primary_key=True)
    checked_at: datetime = Field(sa_column=_ts(False))


class ReservationAttempt(SQLModel, table=True):
    """One reservation started from the public form (F-69): what the per-client-address and
    per-e-mail limits count. Kept apart from the payment, which knows nothing of the visitor's
    connection."""

    __tablename__ = "reservation_attempt"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False, index=True))
    client_address: str = Field(default="", index=True)
    email: str = Field(default="", index=True)  # lower case, as validated
    vehicle_id: int = Field(foreign_key="vehicle.id")
    payment_id: int | None = Field(default=None, foreign_key="epayment.id")


class SipsSession(SQLModel, table=True):
    """When the customer last opened the Sips hosted page through the link (a Sips session lasts
    15 minutes): reconciliation asks about the payment soon after that session ends. A side
    table, like PaymentPspCheck."""

    __tablename__ = "epayment_sips_session"
    payment_id: int = Field(foreign_key="epayment.id", primary_key=True)
    started_at: datetime = Field(sa_column=_ts(False, index=True))


class _Stored(Protocol):
    id: int | None


def stored_id(row: _Stored) -> int:
    """The primary key of a row read from the database or flushed to it (None only before)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


_Row = TypeVar("_Row", bound=SQLModel)


def required_row(session: Session, model: type[_Row], row_id: int | None) -> _Row:
    """The row a non-null foreign key names: there, or the database is broken (LookupError)."""
    row = session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise LookupError(f"{model.__name__} {row_id} is missing")
    return row
