"""Passing an order from an offer with its deposit (F-04..F-08, F-21..F-23), and the
e-payment attempts that follow on the order page (F-24: resend, new attempt).

Every rule is checked here, on the server; a refused form raises ValidationError with one
French message per field and writes nothing. The order, its e-payment, the first event and
the payment-request e-mail are written in the caller's single transaction (F-06: the
payment's outcome never conditions the order; only the order's validity is checked).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ...config import get_settings
from ...documents.facts import PartyFacts, PriceFacts, VehicleFacts
from ...domain.dates import PARIS, as_utc, utcnow
from ...domain.errors import DomainError, ValidationError
from ...domain.events import EventSource
from ...domain.money import format_eur, parse_eur
from ...domain.orders import OrderStatus
from ...domain.references import PaymentKind, TransactionReference
from ...domain.roles import GroupType
from ...domain.statuses import RETRYABLE, PaymentStatus
from ...models import (
    Customer,
    Entity,
    EPayment,
    Offer,
    Opportunity,
    OutboxMail,
    PointOfSale,
    PspConfig,
    SalesOrder,
    User,
    Vehicle,
    required_row,
    stored_id,
)
from ..access.scope import (
    scoped_customer,
    scoped_offer,
    scoped_order,
    viewer_for,
)
from ..mail.notifications import queue_payment_request
from ..payment import paylinks
from ..payment.payments import record_event
from .sale_facts import customer_label, offer_prices, vehicle_card

log = logging.getLogger(__name__)

G = GroupType
# Who may pass, cancel an order and act on its e-payment; the secretary only reads.
SELLING_ROLES = (G.ADMINISTRATEUR, G.DIRECTEUR, G.CHEF_DES_VENTES, G.VENDEUR)
VIEW_ROLES = (*SELLING_ROLES, G.SECRETAIRE)

CARD = "Carte bancaire"
CASH = "Espèces"
BALANCE_METHODS = ("Virement", "Chèque", "Espèces", "Carte bancaire", "Financement")
DEPOSIT_METHODS = ("Carte bancaire", "Chèque", "Espèces", "Virement")
CASH_LIMIT_CENTS = 100_000
CASH_LIMIT_MESSAGE = 'Le moyen de paiement "Espèces" ne peut pas être utilisé pour un montant supérieur à 1 000 €.'
EPAY_NOT_CONFIGURED = "Le e-paiement n'est pas configuré pour ce point de vente."
ONLINE_NOTICE = (
    "L'acompte se fera par un paiement en ligne, un e-mail sera envoyé au client à la validation de la commande."
)
OFFER_VALIDATED = "Validée"
RESEND_COOLDOWN_SECONDS = 30
DELIVERY_DAYS = 8  # default delivery date proposed on the form
EXTREME_DELIVERY_DAYS = 876  # default extreme delivery date (the guide's example: ~29 months)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class OrderAlreadyExists(DomainError):
    """An offer has at most one order: a second submit (double click) lands here."""

    def __init__(self, order_number: int):
        self.order_number = order_number
        super().__init__(f"Cette offre a déjà été commandée (commande n°{order_number}).")


class ResendTooSoon(DomainError):
    pass


@dataclass(frozen=True)
class CheckoutForm:
    """What the payment tab submits, as typed by the user."""

    balance_method: str
    deposit_amount: str
    deposit_method: str
    decline_online: bool = False
    delivery_date: date | None = None
    extreme_delivery_date: date | None = None


@dataclass(frozen=True)
class EpayAvailability:
    option: bool  # the entity subscribed to the paid option (F-02)
    configured: bool  # the point of sale has its PSP credentials (F-03)

    @property
    def available(self) -> bool:
        return self.option and self.configured

    @property
    def reason(self) -> str:
        """Why a card deposit will not be paid online; empty when it will, or when the entity has
        no option at all (then no e-payment UI appears, F-02)."""
        return EPAY_NOT_CONFIGURED if self.option and not self.configured else ""


@dataclass(frozen=True)
class CheckedForm:
    deposit_cents: int
    online: bool
    delivery_date: date
    extreme_delivery_date: date


@dataclass
class ValidatedOrder:
    order: SalesOrder
    payment: EPayment | None


def paris_today(now: datetime | None = None) -> date:
    return as_utc(now or utcnow()).astimezone(PARIS).date()


def default_delivery_dates(today: date) -> tuple[date, date]:
    return today + timedelta(days=DELIVERY_DAYS), today + timedelta(days=EXTREME_DELIVERY_DAYS)


def payment_link_for(payment: EPayment) -> str:
    """The customer's signed /pay/<token> link (services.payment.paylinks, F-60)."""
    return paylinks.pay_url(payment)


# ---------------------------------------------------------------- rules (pure)


def epay_availability(session: Session, pos_id: int) -> EpayAvailability:
    pos = session.get(PointOfSale, pos_id)
    entity = session.get(Entity, pos.entity_id) if pos else None
    configured = session.exec(select(func.count()).select_from(PspConfig).where(PspConfig.pos_id == pos_id)).one() > 0
    return EpayAvailability(option=bool(entity and entity.epay_option), configured=configured)


def customer_errors(customer: Customer) -> dict[str, str]:
    """F-04: what an e-payment request needs to reach the customer."""
    errors: dict[str, str] = {}
    if (customer.civility or "").strip() not in ("M.", "Mme."):
        errors["customer_civility"] = "La civilité du client est obligatoire pour le e-paiement."
    if not (customer.last_name or "").strip():
        errors["customer_last_name"] = "Le nom du client est obligatoire pour le e-paiement."
    if not (customer.first_name or "").strip():
        errors["customer_first_name"] = "Le prénom du client est obligatoire pour le e-paiement."
    email = (customer.email or "").strip()
    if not email:
        errors["customer_email"] = "L'adresse e-mail du client est obligatoire pour le e-paiement."
    elif not _EMAIL.match(email):
        errors["customer_email"] = "L'adresse e-mail du client n'est pas valide."
    return errors


def check_form(
    form: CheckoutForm,
    *,
    sale_price_cents: int,
    availability: EpayAvailability,
    customer: Customer,
    today: date,
) -> CheckedForm:
    """Every rule of the payment tab. Raises ValidationError({field: message})."""
    errors: dict[str, str] = {}
    deposit: int | None = None
    try:
        deposit = parse_eur(form.deposit_amount)
    except DomainError as exc:
        errors["deposit_amount"] = (
            "Le montant de l'acompte est obligatoire." if not (form.deposit_amount or "").strip() else str(exc)
        )
    if deposit is not None:
        if deposit <= 0:
            errors["deposit_amount"] = "Le montant de l'acompte doit être supérieur à 0 €."
        elif deposit > sale_price_cents:
            errors["deposit_amount"] = (
                f"Le montant de l'acompte ne peut pas dépasser le prix de vente ({format_eur(sale_price_cents)})."
            )
    valid_deposit = deposit if deposit is not None and "deposit_amount" not in errors else 0

    if form.deposit_method not in DEPOSIT_METHODS:
        errors["deposit_method"] = "Le moyen de paiement de l'acompte est obligatoire."
    elif form.deposit_method == CASH and valid_deposit > CASH_LIMIT_CENTS:
        errors["deposit_method"] = CASH_LIMIT_MESSAGE

    if form.balance_method not in BALANCE_METHODS:
        errors["balance_method"] = "Choisissez le moyen de paiement du solde."
    elif form.balance_method == CASH and sale_price_cents - valid_deposit > CASH_LIMIT_CENTS:
        errors["balance_method"] = CASH_LIMIT_MESSAGE

    if form.delivery_date is None:
        errors["delivery_date"] = "La date de livraison est obligatoire."
    elif form.delivery_date < today:
        errors["delivery_date"] = "La date de livraison ne peut pas être dans le passé."
    if form.extreme_delivery_date is None:
        errors["extreme_delivery_date"] = "La date de livraison extrême est obligatoire."
    elif form.delivery_date and form.extreme_delivery_date < form.delivery_date:
        errors["extreme_delivery_date"] = "La date de livraison extrême ne peut pas précéder la date de livraison."

    # F-07 by construction: only a card deposit is ever paid online.
    online = form.deposit_method == CARD and availability.available and not form.decline_online
    if online:
        errors.update(customer_errors(customer))
    if errors:
        raise ValidationError(errors)
    # No error: every field above was read and checked.
    assert deposit is not None and form.delivery_date is not None and form.extreme_delivery_date is not None
    return CheckedForm(deposit, online, form.delivery_date, form.extreme_delivery_date)


# ---------------------------------------------------------------- loading


def order_for_offer(session: Session, offer_id: int) -> SalesOrder | None:
    return session.exec(select(SalesOrder).where(SalesOrder.offer_id == offer_id)).first()


def require_seller(user: User) -> None:
    if user.group_type not in {r.value for r in SELLING_ROLES}:
        raise DomainError("Accès refusé : votre profil ne permet pas cette action.")


def attempts(session: Session, order_id: int) -> list[EPayment]:
    return list(
        session.exec(select(EPayment).where(EPayment.order_id == order_id).order_by(col(EPayment.attempt))).all()
    )


# ---------------------------------------------------------------- use cases


def validate_order(
    session: Session,
    *,
    offer_number: int,
    form: CheckoutForm,
    user: User,
    now: datetime | None = None,
) -> ValidatedOrder:
    """ "Valider et imprimer": the order, and when the deposit is paid online its e-payment
    (Envoyé, attempt 1), first event and request e-mail — all in the caller's transaction."""
    require_seller(user)
    now = now or utcnow()
    offer, opportunity, pos = scoped_offer(session, viewer_for(session, user), offer_number)
    existing = order_for_offer(session, stored_id(offer))
    if existing is not None:
        raise OrderAlreadyExists(existing.number)
    if offer.status != OFFER_VALIDATED:
        raise DomainError(f"L'offre n°{offer.number} n'est pas validée : elle ne peut pas être commandée.")
    customer = required_row(session, Customer, opportunity.customer_id)
    availability = epay_availability(session, stored_id(pos))
    checked = check_form(
        form,
        sale_price_cents=offer.sale_price_cents,
        availability=availability,
        customer=customer,
        today=paris_today(now),
    )
    order = SalesOrder(
        number=offer.number,  # the guide's order n°26837 comes from offer n°26837
        offer_id=stored_id(offer),
        status=OrderStatus.PLACED.value,
        validated_by_id=user.id,
        validated_at=now,
        delivery_date=checked.delivery_date,
        extreme_delivery_date=checked.extreme_delivery_date,
        pos_id=stored_id(pos),
        balance_method=form.balance_method,
        deposit_amount_cents=checked.deposit_cents,
        deposit_method=form.deposit_method,
        deposit_online=checked.online,
    )
    session.add(order)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent submit won the race (PostgreSQL)
        raise OrderAlreadyExists(offer.number) from exc
    payment = None
    if checked.online:
        payment = _create_attempt(session, order, opportunity, pos, attempt=1, user=user, now=now)
    log.info("order %s validated by %s (online deposit: %s)", order.number, user.email, checked.online)
    return ValidatedOrder(order, payment)


def _create_attempt(
    session: Session,
    order: SalesOrder,
    opportunity: Opportunity,
    pos: PointOfSale,
    *,
    attempt: int,
    user: User,
    now: datetime,
) -> EPayment:
    entity = required_row(session, Entity, pos.entity_id)
    offer = required_row(session, Offer, order.offer_id)
    ref = TransactionReference(entity.number, pos.number, PaymentKind.DEPOSIT, order.number, attempt)
    payment = EPayment(
        reference=str(ref),
        psp_reference=ref.psp_reference,
        kind=PaymentKind.DEPOSIT.value,
        attempt=attempt,
        amount_cents=order.deposit_amount_cents,
        status=PaymentStatus.ENVOYE.value,
        order_id=order.id,
        opportunity_id=stored_id(opportunity),
        customer_id=opportunity.customer_id,
        vehicle_id=offer.vehicle_id,
        seller_id=opportunity.seller_id,
        pos_id=stored_id(pos),
        entity_id=stored_id(entity),
        created_at=now,
        status_changed_at=now,
        sent_at=now,
        link_expires_at=now + timedelta(hours=get_settings().link_ttl_hours),
    )
    session.add(payment)
    try:
        session.flush()
    except IntegrityError as exc:  # the same attempt created concurrently (PostgreSQL)
        raise DomainError("Ce paiement vient déjà d'être créé.") from exc
    record_event(session, payment, PaymentStatus.ENVOYE, source=EventSource.USER.value, actor=user.display_name, at=now)
    queue_payment_request(session, payment, payment_link_for(payment))
    return payment


def new_attempt(session: Session, *, order_number: int, user: User, now: datetime | None = None) -> EPayment:
    """ "Effectuer un nouveau paiement" after Annulé, Rejeté or Erreur: attempt n+1 (suffix _2,
    _3…) with a new e-mail. The previous attempt is left exactly as it was."""
    require_seller(user)
    now = now or utcnow()
    order, _offer, opportunity = scoped_order(session, viewer_for(session, user), order_number)
    if order.status == OrderStatus.CANCELLED.value:
        raise DomainError("La commande est annulée : aucun nouveau paiement n'est possible.")
    history = attempts(session, stored_id(order))
    if not history:
        raise DomainError("Cette commande n'a pas d'acompte par e-paiement.")
    latest = history[-1]
    if PaymentStatus(latest.status) not in RETRYABLE:
        raise DomainError("Un nouveau paiement n'est possible qu'après un paiement annulé, refusé ou en erreur.")
    pos = required_row(session, PointOfSale, order.pos_id)
    if not epay_availability(session, stored_id(pos)).available:
        raise DomainError(EPAY_NOT_CONFIGURED)
    missing = customer_errors(required_row(session, Customer, opportunity.customer_id))
    if missing:
        raise ValidationError(missing)
    return _create_attempt(session, order, opportunity, pos, attempt=latest.attempt + 1, user=user, now=now)


def _resends(session: Session, payment_id: int) -> list[tuple[int, datetime]]:
    """(resend number, queued at) of every payment-request mail of this payment."""
    prefix = f"request:{payment_id}:"
    rows = session.exec(
        select(OutboxMail.dedupe_key, OutboxMail.created_at).where(OutboxMail.dedupe_key.startswith(prefix))
    ).all()
    result = []
    for key, created in rows:
        suffix = key[len(prefix) :]
        if suffix.isdigit():
            result.append((int(suffix), as_utc(created)))
    return result


def resend_link(session: Session, *, order_number: int, user: User, now: datetime | None = None) -> OutboxMail:
    """ "Renvoyer le lien de e-paiement": the same link, a new mail (resend=n). At most one
    resend per RESEND_COOLDOWN_SECONDS, whatever the browser does."""
    require_seller(user)
    now = now or utcnow()
    order, _offer, _opportunity = scoped_order(session, viewer_for(session, user), order_number)
    if order.status == OrderStatus.CANCELLED.value:
        raise DomainError("La commande est annulée : le lien ne peut plus être renvoyé.")
    history = attempts(session, stored_id(order))
    if not history or history[-1].status != PaymentStatus.ENVOYE.value:
        raise DomainError("Aucun e-paiement en attente sur cette commande.")
    payment = history[-1]
    sent = _resends(session, stored_id(payment))
    last_resend = max((at for n, at in sent if n > 0), default=None)
    if last_resend is not None and now - last_resend < timedelta(seconds=RESEND_COOLDOWN_SECONDS):
        raise ResendTooSoon(
            "Le lien de e-paiement vient d'être renvoyé : patientez quelques secondes avant un nouvel envoi."
        )
    resend = max((n for n, _ in sent), default=0) + 1
    # The same link while it is valid; once expired, a fresh lifetime (hence a new link, F-60).
    if payment.link_expires_at is not None and as_utc(payment.link_expires_at) <= now:
        payment.link_expires_at = now + timedelta(hours=get_settings().link_ttl_hours)
        session.add(payment)
    mail = queue_payment_request(session, payment, payment_link_for(payment), resend=resend)
    mail.created_at = now
    session.add(mail)
    return mail


def update_customer(session: Session, *, offer_number: int, user: User, values: dict[str, str]) -> Customer:
    """The small customer form reached from an F-04 error: civility, names, e-mail, phone."""
    require_seller(user)
    viewer = viewer_for(session, user)
    _offer, opportunity, _pos = scoped_offer(session, viewer, offer_number)
    customer = scoped_customer(session, viewer, opportunity.customer_id)
    clean = {k: (values.get(k) or "").strip() for k in ("civility", "last_name", "first_name", "email", "phone")}
    probe = Customer(
        civility=clean["civility"],
        last_name=clean["last_name"],
        first_name=clean["first_name"],
        email=clean["email"],
        phone=clean["phone"],
    )
    errors = {
        k.removeprefix("customer_"): v.replace(" pour le e-paiement", "") for k, v in customer_errors(probe).items()
    }
    if errors:
        raise ValidationError(errors)
    for key, value in clean.items():
        setattr(customer, key, value)
    session.add(customer)
    return customer


# ---------------------------------------------------------------- the offer page


@dataclass(frozen=True)
class OfferFacts:
    number: int
    status: str  # the offer's
    customer_id: int
    customer: PartyFacts
    customer_name: str
    customer_errors: dict[str, str]  # what an e-payment request still needs (F-04), in French
    vehicle: VehicleFacts
    prices: PriceFacts
    epay: EpayAvailability
    order_number: int | None  # None while the offer has no order
    default_delivery: date  # proposed on the form
    default_extreme: date


def load_offer_facts(session: Session, offer_number: int, user: User, now: datetime | None = None) -> OfferFacts:
    viewer = viewer_for(session, user)
    offer, opportunity, pos = scoped_offer(session, viewer, offer_number)
    vehicle = session.get(Vehicle, offer.vehicle_id)
    if vehicle is None:
        raise LookupError(f"Vehicle {offer.vehicle_id} missing")
    customer = scoped_customer(session, viewer, opportunity.customer_id)
    order = order_for_offer(session, stored_id(offer))
    delivery, extreme = default_delivery_dates(paris_today(now))
    return OfferFacts(
        number=offer.number,
        status=offer.status,
        customer_id=stored_id(customer),
        customer=PartyFacts(
            first_name=customer.first_name,
            last_name=customer.last_name,
            civility=customer.civility,
            email=customer.email,
            phone=customer.phone,
        ),
        customer_name=customer_label(customer),
        customer_errors=customer_errors(customer),
        vehicle=vehicle_card(vehicle),
        prices=offer_prices(offer),
        epay=epay_availability(session, stored_id(pos)),
        order_number=order.number if order else None,
        default_delivery=delivery,
        default_extreme=extreme,
    )
