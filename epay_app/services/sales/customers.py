"""The "Clients" page (F-67): search the customers the viewer may see, read one customer's record
(their opportunities, orders and e-payments) and edit their civility, names, e-mail and phone.

Every query is scoped through services.access.scope: a customer is seen through an opportunity the
viewer may see, and each list of the record keeps only what the viewer may see of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import SQLColumnExpression, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from ...domain.customers import check_customer, phone_digits
from ...domain.dates import format_day, format_paris
from ...domain.inputs import clean_text
from ...domain.money import format_eur
from ...domain.references import PaymentKind
from ...domain.roles import GroupType
from ...domain.statuses import PaymentStatus
from ...domain.tracking import TrackingRefused
from ...labels import CARD_BADGES, order_status_label
from ...models import Customer, EPayment, Offer, Opportunity, PointOfSale, SalesOrder, User, Vehicle
from ..access.scope import Viewer, customer_clause, opportunity_clause, payment_clause, scoped_customer

SEARCH_LIMIT = 50
EDIT_ROLES = frozenset({GroupType.ADMINISTRATEUR, GroupType.DIRECTEUR, GroupType.CHEF_DES_VENTES, GroupType.VENDEUR})
EDIT_REFUSED = "Accès refusé : votre profil ne permet pas de modifier un client."


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _squeezed_phone():
    """The stored phone without its usual separators, in SQL (SQLite and PostgreSQL)."""
    phone: SQLColumnExpression[str] = col(Customer.phone)
    for sep in (" ", ".", "-", "(", ")", "+"):
        phone = func.replace(phone, sep, "")
    return phone


# SQLite's lower() folds ASCII only: the French capitals with accents are folded by hand, so
# "LEFÈVRE" is found by "lefèvre" on both databases.
_FRENCH_CAPITALS = "ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"


def _lowered(column):
    folded = func.lower(column)
    for capital in _FRENCH_CAPITALS:
        folded = func.replace(folded, capital, capital.lower())
    return folded


def customer_label(customer) -> str:
    return " ".join(p for p in (customer.civility, customer.first_name, customer.last_name) if p)


def search_customers(session: Session, viewer: Viewer, query: str, limit: int = SEARCH_LIMIT) -> list[dict[str, str]]:
    """Customers whose name, e-mail or phone contains `query`, among those the viewer may see;
    no query: the viewer's customers, by name. One statement."""
    text = clean_text(query, "Recherche").strip().lower()
    stmt = select(Customer).where(customer_clause(viewer))
    if text:
        pattern = _like(text)
        full_name = _lowered(col(Customer.first_name) + " " + col(Customer.last_name))
        reverse_name = _lowered(col(Customer.last_name) + " " + col(Customer.first_name))
        matches = [
            full_name.like(pattern, escape="\\"),
            reverse_name.like(pattern, escape="\\"),
            func.lower(col(Customer.email)).like(pattern, escape="\\"),
        ]
        digits = phone_digits(text)
        if len(digits) >= 4:
            # "06 12 34" finds "+33 6 12 34 56 78" too: compared without the leading 0 / 33.
            tail = digits.lstrip("0")
            matches.append(_squeezed_phone().like(_like(tail or digits), escape="\\"))
        stmt = stmt.where(or_(*matches))
    stmt = stmt.order_by(func.lower(col(Customer.last_name)), func.lower(col(Customer.first_name)), col(Customer.id))
    rows = session.exec(stmt.limit(limit)).all()
    return [
        {
            "id": str(c.id),
            "label": customer_label(c),
            "email": c.email,
            "phone": c.phone,
        }
        for c in rows
    ]


@dataclass
class CustomerRecord:
    customer: dict[str, str]
    opportunities: list[dict[str, str]] = field(default_factory=list)
    orders: list[dict[str, str]] = field(default_factory=list)
    payments: list[dict[str, str]] = field(default_factory=list)


def _customer_fields(customer: Customer) -> dict[str, str]:
    return {
        "id": str(customer.id),
        "label": customer_label(customer),
        "civility": customer.civility,
        "last_name": customer.last_name,
        "first_name": customer.first_name,
        "email": customer.email,
        "phone": customer.phone,
    }


def customer_record(session: Session, viewer: Viewer, customer_id: int) -> CustomerRecord:
    """The customer and what the viewer may see of their opportunities, orders and e-payments.
    Raises CustomerNotFound outside the viewer's scope, as for a customer that does not exist."""
    customer = scoped_customer(session, viewer, customer_id)
    # Five entities, beyond sqlmodel's typed select(): the row type is spelled out (outer joins: None).
    rows: Select[Opportunity, Offer | None, Vehicle | None, User, PointOfSale] = Select(
        Opportunity, Offer, Vehicle, User, PointOfSale
    )
    opportunities = session.exec(
        rows.outerjoin(Offer, col(Offer.opportunity_id) == col(Opportunity.id))
        .outerjoin(Vehicle, col(Vehicle.id) == col(Offer.vehicle_id))
        .join(User, col(User.id) == col(Opportunity.seller_id))
        .join(PointOfSale, col(PointOfSale.id) == col(Opportunity.pos_id))
        .where(Opportunity.customer_id == customer.id, opportunity_clause(viewer))
        .order_by(col(Opportunity.created_at).desc(), col(Opportunity.id).desc())
    ).all()
    orders = session.exec(
        select(SalesOrder, Offer)
        .join(Offer, col(Offer.id) == col(SalesOrder.offer_id))
        .join(Opportunity, col(Opportunity.id) == col(Offer.opportunity_id))
        .where(Opportunity.customer_id == customer.id, opportunity_clause(viewer))
        .order_by(col(SalesOrder.number).desc())
    ).all()
    payments: Sequence[EPayment] = []
    if viewer.epay_option:
        payments = session.exec(
            select(EPayment)
            .where(EPayment.customer_id == customer.id, payment_clause(viewer))
            .order_by(col(EPayment.created_at).desc(), col(EPayment.id).desc())
        ).all()
    return CustomerRecord(
        customer=_customer_fields(customer),
        opportunities=[
            {
                "number": str(opp.number),
                "status": opp.status,
                "created": format_day(opp.created_at),
                "offer": str(offer.number) if offer else "",
                "vehicle": f"{vehicle.make} {vehicle.model}" if vehicle else "",
                "seller": seller.display_name,
                "pos": pos.name,
            }
            for opp, offer, vehicle, seller, pos in opportunities
        ],
        orders=[
            {
                "number": str(order.number),
                "status": order_status_label(order.status),
                "offer": str(offer.number),
                "deposit": format_eur(order.deposit_amount_cents),
                "validated": format_day(order.validated_at),
            }
            for order, offer in orders
        ],
        payments=[
            {
                "id": str(p.id),
                "reference": p.reference,
                "kind": PaymentKind(p.kind).label,
                "status": CARD_BADGES[PaymentStatus(p.status)],
                "amount": format_eur(p.amount_cents),
                "date": format_paris(p.status_changed_at),
            }
            for p in payments
        ],
    )


def update_customer(session: Session, viewer: Viewer, customer_id: int, values: dict[str, object]) -> Customer:
    """Civility, names, e-mail and phone. Raises ValidationError (nothing is changed) or the
    customer's not found outside the scope; a secretary reads the record without editing it."""
    if viewer.group not in EDIT_ROLES:
        raise TrackingRefused(EDIT_REFUSED)
    customer = scoped_customer(session, viewer, customer_id)
    clean = check_customer(values)
    for name, value in clean.items():
        setattr(customer, name, value)
    session.add(customer)
    session.flush()
    return customer
