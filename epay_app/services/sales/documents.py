"""The printed documents' use cases: gather the facts of an order, an offer or an e-payment
(scoped to the viewer) and hand them to documents/ for the words and the layout.

Each returns (file name, PDF bytes). The unscoped `*_for_payment` builders serve the outbox,
which attaches a payment's receipt to its confirmation e-mail at send time."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import Session, select

from ...documents import order_form, receipt, refund_notice
from ...documents.facts import (
    DealerFacts,
    DepositFacts,
    OrderFormFacts,
    PartyFacts,
    PaymentDocumentFacts,
    PriceFacts,
    VehicleFacts,
)
from ...domain.dates import as_utc, utcnow
from ...domain.errors import DomainError
from ...domain.statuses import PaymentStatus
from ...models import (
    Customer,
    Entity,
    EPayment,
    Offer,
    Opportunity,
    PointOfSale,
    SalesOrder,
    User,
    Vehicle,
    required_row,
    stored_id,
)
from ..access.scope import PaymentNotInScope, scoped_offer, scoped_order, scoped_payment, viewer_for
from ..payment import paylinks
from . import checkout

RECEIPT = "receipt"
REFUND_NOTICE = "refund_notice"
# Which e-payments have which document: paid once (a receipt stays true after a refund).
RECEIPT_STATUSES = {PaymentStatus.AUTORISE, PaymentStatus.A_REMBOURSER, PaymentStatus.REMBOURSE}
REFUND_STATUSES = {PaymentStatus.REMBOURSE}


class DocumentUnavailable(DomainError):
    """The payment has no such document (not paid, not refunded)."""


@dataclass(frozen=True)
class PdfFile:
    filename: str
    content: bytes


# ---------------------------------------------------------------- facts


def dealer_facts(entity: Entity, pos: PointOfSale) -> DealerFacts:
    return DealerFacts(
        entity_name=entity.name,
        pos_name=pos.name,
        pos_address=pos.address,
        pos_phone=pos.phone,
        pos_email=pos.email,
        legal_address=entity.legal_address,
        legal_phone=entity.legal_phone,
        legal_email=entity.legal_email,
        siret=entity.siret,
        rcs=entity.rcs,
        vat_number=entity.vat_number,
        share_capital_cents=entity.share_capital_cents,
    )


def party(person: Customer | User) -> PartyFacts:
    return PartyFacts(
        first_name=person.first_name,
        last_name=person.last_name,
        civility=getattr(person, "civility", ""),
        email=person.email,
        phone=person.phone,
    )


def vehicle_facts(vehicle: Vehicle) -> VehicleFacts:
    return VehicleFacts(
        make=vehicle.make,
        model=vehicle.model,
        version=vehicle.version,
        condition=vehicle.condition,
        plate=vehicle.plate,
        vin=vehicle.vin,
        fuel=vehicle.fuel,
        fiscal_power=vehicle.fiscal_power,
        power_hp=vehicle.power_hp,
        colour=vehicle.colour,
        mileage_km=vehicle.mileage_km,
        first_registration=vehicle.first_registration,
    )


def _dealer_of_pos(session: Session, pos_id: int) -> DealerFacts:
    pos = required_row(session, PointOfSale, pos_id)
    return dealer_facts(required_row(session, Entity, pos.entity_id), pos)


def _deposit(order: SalesOrder, payments: list[EPayment]) -> DepositFacts:
    latest = payments[-1] if payments else None
    if latest is None:
        return DepositFacts(order.deposit_amount_cents, order.deposit_method, online=order.deposit_online)
    status = PaymentStatus(latest.status)
    link = ""
    if status is PaymentStatus.ENVOYE and paylinks.link_expiry(latest) > utcnow():
        link = paylinks.pay_url(latest)
    return DepositFacts(
        amount_cents=order.deposit_amount_cents,
        method=order.deposit_method,
        online=True,
        reference=latest.reference,
        status=latest.status,
        paid_at=latest.authorised_at,
        pay_url=link,
    )


def _form_facts(
    session: Session, offer: Offer, opportunity: Opportunity, pos_id: int, order: SalesOrder | None = None
) -> OrderFormFacts:
    entity_pos = required_row(session, PointOfSale, pos_id)
    entity = required_row(session, Entity, entity_pos.entity_id)
    validator = session.get(User, order.validated_by_id) if order and order.validated_by_id else None
    offer_facts = OrderFormFacts(
        offer_number=offer.number,
        opportunity_number=opportunity.number,
        dealer=dealer_facts(entity, entity_pos),
        seller=party(required_row(session, User, opportunity.seller_id)),
        customer=party(required_row(session, Customer, opportunity.customer_id)),
        vehicle=vehicle_facts(required_row(session, Vehicle, offer.vehicle_id)),
        prices=PriceFacts(offer.vehicle_price_cents, offer.customer_advantage_cents, offer.accessories_cents),
        created_at=opportunity.created_at,
        sales_conditions=entity.sales_conditions,
    )
    if order is None:
        return offer_facts
    return replace(
        offer_facts,
        order_number=order.number,
        order_status=order.status,
        validated_at=order.validated_at,
        validated_by=validator.display_name if validator else "",
        balance_method=order.balance_method,
        deposit=_deposit(order, checkout.attempts(session, stored_id(order))),
        delivery_date=order.delivery_date,
        extreme_delivery_date=order.extreme_delivery_date,
    )


def payment_facts(session: Session, payment: EPayment) -> PaymentDocumentFacts:
    order = session.get(SalesOrder, payment.order_id) if payment.order_id else None
    return PaymentDocumentFacts(
        reference=payment.reference,
        kind=payment.kind,
        amount_cents=payment.amount_cents,
        status=payment.status,
        dealer=_dealer_of_pos(session, payment.pos_id),
        customer=party(required_row(session, Customer, payment.customer_id)),
        seller=party(required_row(session, User, payment.seller_id)),
        vehicle=vehicle_facts(required_row(session, Vehicle, payment.vehicle_id)),
        opportunity_number=required_row(session, Opportunity, payment.opportunity_id).number,
        order_number=order.number if order else None,
        authorised_at=as_utc(payment.authorised_at) if payment.authorised_at else None,
        refunded_at=as_utc(payment.refunded_at) if payment.refunded_at else None,
        authorisation_id=payment.psp_authorisation_id,
        masked_pan=payment.psp_masked_pan,
    )


# ---------------------------------------------------------------- scoped entry points (pages)


def order_form_pdf(session: Session, order_number: int, user: User) -> PdfFile:
    """The bon de commande, if the user may see the order (OrderNotFound otherwise)."""
    order, offer, opportunity = scoped_order(session, viewer_for(session, user), order_number)
    facts = _form_facts(session, offer, opportunity, order.pos_id, order)
    return PdfFile(f"bon-de-commande-{order.number}.pdf", order_form.render_order_form(facts))


def offer_pdf(session: Session, offer_number: int, user: User) -> PdfFile:
    offer, opportunity, pos = scoped_offer(session, viewer_for(session, user), offer_number)
    facts = _form_facts(session, offer, opportunity, stored_id(pos))
    return PdfFile(f"offre-{offer.number}.pdf", order_form.render_offer(facts))


def payment_document_pdf(session: Session, payment_id: int, document: str, user: User) -> PdfFile:
    """A payment's receipt or refund notice, if the user follows the payment (not found otherwise)."""
    payment = scoped_payment(session, viewer_for(session, user), payment_id)
    if document == RECEIPT:
        return receipt_for_payment(session, payment)
    if document == REFUND_NOTICE:
        return refund_notice_for_payment(session, payment)
    raise PaymentNotInScope("Document introuvable.")


# ---------------------------------------------------------------- unscoped (the outbox)


def receipt_filename(reference: str) -> str:
    return f"recu-acompte-{reference}.pdf"


def has_receipt(payment: EPayment) -> bool:
    return PaymentStatus(payment.status) in RECEIPT_STATUSES and payment.authorised_at is not None


def has_refund_notice(payment: EPayment) -> bool:
    return PaymentStatus(payment.status) in REFUND_STATUSES


def receipt_for_payment(session: Session, payment: EPayment) -> PdfFile:
    if not has_receipt(payment):
        raise DocumentUnavailable("Le reçu est disponible une fois l'e-Paiement payé.")
    return PdfFile(receipt_filename(payment.reference), receipt.render_receipt(payment_facts(session, payment)))


def refund_notice_for_payment(session: Session, payment: EPayment) -> PdfFile:
    if not has_refund_notice(payment):
        raise DocumentUnavailable("L'avis de remboursement est disponible une fois l'e-Paiement remboursé.")
    return PdfFile(
        f"avis-remboursement-{payment.reference}.pdf",
        refund_notice.render_refund_notice(payment_facts(session, payment)),
    )


def payment_by_id(session: Session, payment_id: int) -> EPayment | None:
    return session.exec(select(EPayment).where(EPayment.id == payment_id)).first()
