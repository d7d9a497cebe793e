"""The rows the pages keep in state: frozen dataclasses of display strings, one per kind of line
(Reflex sends them to the browser as plain objects). Each page's presenter fills them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpportunityRow:
    opportunity: str = ""
    customer: str = ""
    seller: str = ""
    pos: str = ""
    vehicle: str = ""
    offer: str = ""
    offer_href: str = ""
    offer_status: str = ""
    order: str = ""
    order_href: str = ""
    order_status: str = ""
    badge: str = ""
    status: str = ""
    reservation: str = ""
    reservation_reference: str = ""
    reservation_href: str = ""
    open: str = ""


@dataclass(frozen=True)
class PaymentAttempt:
    """A line of the order's "e-Paiement" modal."""

    reference: str = ""
    amount: str = ""
    created: str = ""
    state: str = ""
    status: str = ""
    id: str = ""
    receipt: str = ""  # "1" when the attempt has a Reçu d'acompte to download
    refund_notice: str = ""  # "1" when it has an Avis de remboursement


@dataclass(frozen=True)
class TimelineEntry:
    at: str = ""
    reference: str = ""
    what: str = ""
    who: str = ""
    detail: str = ""


@dataclass(frozen=True)
class StaffVehicleRow:
    id: str = ""
    vehicle: str = ""
    version: str = ""
    condition: str = ""
    plate: str = ""
    price: str = ""
    published: str = ""
    status: str = ""
    detail: str = ""
    reserved: bool = False
    sold: bool = False
    public_href: str = ""
    point_of_sale: str = ""


@dataclass(frozen=True)
class PublicVehicleRow:
    id: str = ""
    make: str = ""
    model: str = ""
    version: str = ""
    condition: str = ""
    price: str = ""
    href: str = ""
    status: str = ""


@dataclass(frozen=True)
class MailRow:
    id: str = ""
    subject: str = ""
    to: str = ""
    date: str = ""


@dataclass(frozen=True)
class PspConfigRow:
    """A line of the e-paiement settings: labels and masked secrets, never a secret."""

    id: str = ""
    pos: str = ""
    protocol: str = ""
    merchant: str = ""
    key: str = ""
    webhook: str = ""
    version: str = ""


@dataclass(frozen=True)
class Choice:
    id: str = ""
    name: str = ""


@dataclass(frozen=True)
class CustomerRow:
    """A line of the Clients search."""

    id: str = ""
    label: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class CustomerOpportunityRow:
    number: str = ""
    status: str = ""
    created: str = ""
    offer: str = ""
    vehicle: str = ""
    seller: str = ""
    pos: str = ""


@dataclass(frozen=True)
class CustomerOrderRow:
    number: str = ""
    status: str = ""
    offer: str = ""
    deposit: str = ""
    validated: str = ""


@dataclass(frozen=True)
class CustomerPaymentRow:
    id: str = ""
    reference: str = ""
    kind: str = ""
    status: str = ""
    amount: str = ""
    date: str = ""
    href: str = ""


@dataclass(frozen=True)
class FigureRow:
    """A line of a Pilotage table: amounts, counts and links to the pre-filtered list."""

    id: str = ""
    name: str = ""
    requested: str = ""
    requested_count: str = ""
    requested_href: str = ""
    collected: str = ""
    collected_count: str = ""
    collected_href: str = ""
    to_refund: str = ""
    to_refund_count: str = ""
    to_refund_href: str = ""
    refunded: str = ""
    refunded_count: str = ""
    refunded_href: str = ""
    conversion: str = ""
    conversion_href: str = ""
    median: str = ""
    median_href: str = ""
