"""e-Réservation (F-40): a web visitor blocks a published vehicle by paying online.

The block lives on the vehicle row (`reserved_until`, `reservation_payment_id`). It is taken with
one conditional UPDATE — "… WHERE the vehicle is free" — so two visitors racing for the same
vehicle cannot both win: on PostgreSQL the second UPDATE waits for the first one's row lock and
then re-reads the row (now blocked, zero rows); on SQLite the writer transaction (BEGIN IMMEDIATE,
see db.py) already serialises them.

Locks are always taken payment first, then vehicle (as the PSP callback does: it holds the
payment's lock when it calls `after_status_change`), so two writers never wait on each other.

Time comes in as `now` everywhere so tests (and the lapse job) control it.

The public form is bounded (F-69): an unpaid reservation holds the vehicle only for the PSP session
(EPAY_RESERVATION_HOLD_MINUTES, ≤ 30 min); the group's configured block (e.g. 48 h) starts when the
payment is authorised. Reservations are limited per client address and per e-mail address, and a
visitor's e-mail alone never attaches the reservation to an existing customer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from ...config import get_settings
from ...domain.dates import as_utc, utcnow
from ...domain.errors import DomainError
from ...domain.events import EventSource
from ...domain.orders import OrderStatus, StockStatus
from ...domain.references import PaymentKind, TransactionReference
from ...domain.roles import GroupType
from ...domain.statuses import PaymentStatus
from ...domain.visitor import VisitorDetails, is_same_person, validate_visitor
from ...models import (
    Customer,
    DealerGroup,
    Entity,
    EPayment,
    Offer,
    Opportunity,
    PointOfSale,
    PspConfig,
    ReservationAttempt,
    SalesOrder,
    User,
    Vehicle,
    required_row,
    stored_id,
)
from ..mail import notifications
from ..payment import paylinks
from ..payment.payments import change_status, lock_payment, record_event

log = logging.getLogger(__name__)

# The stored stock codes, for the comparisons and the SQL below (and the stock pages).
IN_STOCK, RESERVED, SOLD = StockStatus.IN_STOCK.value, StockStatus.RESERVED.value, StockStatus.SOLD.value
OPPORTUNITY_LOST = "perdue"
EMAIL_LIMIT_WINDOW = timedelta(hours=24)
MSG_TOO_MANY_FROM_CLIENT = (
    "Trop de réservations ont été demandées depuis votre connexion. "
    "Réessayez plus tard ou contactez directement le point de vente."
)
MSG_TOO_MANY_FOR_EMAIL = (
    "Trop de réservations ont été demandées avec cette adresse e-mail aujourd'hui. "
    "Réessayez demain ou contactez directement le point de vente."
)
MSG_ORDERED = "Ce véhicule fait déjà l'objet d'une commande : il n'est plus disponible."
SOURCE = EventSource.RESERVATION.value
# The payment statuses after which an unpaid block is given back at once.
UNPAID_FAILURES = frozenset({PaymentStatus.ANNULE, PaymentStatus.REJETE, PaymentStatus.ERREUR})
# Who follows a reservation made by a visitor, in order of preference.
SELLER_PREFERENCE = (GroupType.CHEF_DES_VENTES, GroupType.VENDEUR, GroupType.DIRECTEUR, GroupType.ADMINISTRATEUR)


class ReservationUnavailable(DomainError):
    """The vehicle cannot be reserved (not offered, blocked, sold). The message is for visitors."""


class ReservationLimitReached(DomainError):
    """Too many reservations from this client address or for this e-mail. For visitors."""


@dataclass(frozen=True)
class Availability:
    offered: bool  # e-réservation is possible for this vehicle at all (settings, PSP, option)
    blocked_until: datetime | None  # the vehicle is blocked until then (by anyone)
    reason: str = ""  # why it cannot be reserved now, in French ("" when it can)

    @property
    def can_reserve(self) -> bool:
        return self.offered and self.blocked_until is None and not self.reason


@dataclass(frozen=True)
class Reservation:
    payment_id: int
    reference: str
    opportunity_number: int
    amount_cents: int
    blocked_until: datetime
    pay_url: str  # /pay/<token>: sends the visitor to the PSP's hosted page


@dataclass(frozen=True)
class _Context:
    vehicle: Vehicle
    pos: PointOfSale
    entity: Entity
    group: DealerGroup
    seller: User | None
    has_psp: bool
    ordered: bool  # a validated (not cancelled) order is on the vehicle


def _now(now: datetime | None) -> datetime:
    return as_utc(now) if now is not None else utcnow()


def blocked_until(vehicle: Vehicle, now: datetime | None = None) -> datetime | None:
    """When the vehicle's block ends, or None when it is free (an expired block counts as free
    even before the lapse job has cleaned it)."""
    if vehicle.reserved_until is None or vehicle.stock_status == SOLD:
        return None
    until = as_utc(vehicle.reserved_until)
    return until if until > _now(now) else None


def has_active_order() -> ColumnElement[bool]:
    """SQL: the vehicle (`Vehicle` in the enclosing query) is on a validated, not cancelled order."""
    return (
        select(SalesOrder.id)
        .join(Offer, col(Offer.id) == col(SalesOrder.offer_id))
        .where(Offer.vehicle_id == Vehicle.id, SalesOrder.status != OrderStatus.CANCELLED.value)
        .exists()
    )


def offered_in_stock() -> list[ColumnElement[bool]]:
    """SQL conditions of a vehicle the public stock shows: published, not sold, not ordered."""
    return [col(Vehicle.published) == True, col(Vehicle.stock_status) != SOLD, ~has_active_order()]  # noqa: E712


def _seller_for(session: Session, pos_id: int) -> User | None:
    users = session.exec(
        select(User).where(User.pos_id == pos_id, col(User.active).is_(True)).order_by(col(User.id))
    ).all()
    for group_type in SELLER_PREFERENCE:
        for user in users:
            if user.group_type == group_type.value:
                return user
    return users[0] if users else None


def _context(session: Session, vehicle: Vehicle) -> _Context:
    pos = required_row(session, PointOfSale, vehicle.pos_id)
    entity = required_row(session, Entity, pos.entity_id)
    group = required_row(session, DealerGroup, entity.group_id)
    has_psp = session.exec(select(PspConfig.id).where(PspConfig.pos_id == pos.id)).first() is not None
    ordered = (
        session.exec(select(Vehicle.id).where(col(Vehicle.id) == vehicle.id, has_active_order())).first() is not None
    )
    return _Context(vehicle, pos, entity, group, _seller_for(session, stored_id(pos)), has_psp, ordered)


def _availability(ctx: _Context, now: datetime) -> Availability:
    vehicle = ctx.vehicle
    offered = bool(
        vehicle.published
        and ctx.group.reservation_enabled
        and ctx.entity.epay_option
        and ctx.has_psp
        and ctx.seller is not None
    )
    until = blocked_until(vehicle, now)
    if not vehicle.published:
        return Availability(False, None, "Ce véhicule n'est pas proposé à la vente en ligne.")
    if vehicle.stock_status == SOLD:
        return Availability(False, None, "Ce véhicule a été vendu.")
    if ctx.ordered:
        return Availability(False, None, MSG_ORDERED)
    if not offered:
        return Availability(False, until, "La e-réservation n'est pas proposée pour ce véhicule.")
    if until is not None:
        return Availability(True, until, "Ce véhicule est déjà réservé.")
    return Availability(True, None)


def availability(session: Session, vehicle: Vehicle, now: datetime | None = None) -> Availability:
    return _availability(_context(session, vehicle), _now(now))


def published_vehicle(session: Session, pos_number: int, vehicle_id: int) -> Vehicle | None:
    """A published vehicle of that point of sale (the public page shows nothing else)."""
    return session.exec(
        select(Vehicle)
        .join(PointOfSale, col(PointOfSale.id) == col(Vehicle.pos_id))
        .where(PointOfSale.number == pos_number, Vehicle.id == vehicle_id, Vehicle.published == True)  # noqa: E712
    ).first()


# --- Reserving ----------------------------------------------------------------------------------


def _claim(session: Session, vehicle_id: int, until: datetime, now: datetime, payment_id: int | None = None) -> bool:
    """Take the block if the vehicle is free. True when this transaction got it."""
    result = session.exec(
        update(Vehicle)
        .where(
            col(Vehicle.id) == vehicle_id,
            *offered_in_stock(),
            or_(col(Vehicle.reserved_until).is_(None), col(Vehicle.reserved_until) <= now),
        )
        .values(reserved_until=until, reservation_payment_id=payment_id, stock_status=RESERVED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _customer(session: Session, details: VisitorDetails) -> Customer:
    """The known customer with that e-mail *and* the same name and phone, or a new prospect record.
    A known customer's record is never changed from the public form."""
    for known in session.exec(
        select(Customer).where(func.lower(Customer.email) == details.email).order_by(col(Customer.id))
    ):
        if is_same_person(details, last_name=known.last_name, first_name=known.first_name, phone=known.phone):
            return known
    customer = Customer(
        civility=details.civility,
        last_name=details.last_name,
        first_name=details.first_name,
        email=details.email,
        phone=details.phone,
    )
    session.add(customer)
    session.flush()
    return customer


def _serialise_attempts(session: Session, *keys: str) -> None:
    """Concurrent reservations from one address or for one e-mail wait for each other, so the
    counts below see every earlier attempt. PostgreSQL: transaction-scoped advisory locks (in a
    fixed order, no deadlock); SQLite already serialises writers (BEGIN IMMEDIATE, db.py)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"reservation:{key}"})


def _check_limits(session: Session, client_address: str, email: str, now: datetime) -> None:
    """Raise ReservationLimitReached when this client address or e-mail reserved too often."""
    settings = get_settings()
    _serialise_attempts(session, f"address:{client_address}", f"email:{email}")

    def count(*conditions) -> int:
        return session.exec(select(func.count()).select_from(ReservationAttempt).where(*conditions)).one()

    window_start = now - timedelta(minutes=settings.reservation_limit_window_minutes)
    if (
        count(ReservationAttempt.client_address == client_address, ReservationAttempt.created_at > window_start)
        >= settings.reservation_max_per_client
    ):
        log.warning("e-réservation refused: limit per client address reached (%s)", client_address)
        raise ReservationLimitReached(MSG_TOO_MANY_FROM_CLIENT)
    if (
        count(ReservationAttempt.email == email, ReservationAttempt.created_at > now - EMAIL_LIMIT_WINDOW)
        >= settings.reservation_max_per_email
    ):
        log.warning("e-réservation refused: limit per e-mail address reached")
        raise ReservationLimitReached(MSG_TOO_MANY_FOR_EMAIL)


def hold_duration(group: DealerGroup) -> timedelta:
    """How long an unpaid reservation holds the vehicle: the PSP session, never more than the
    group's block."""
    return min(timedelta(minutes=get_settings().reservation_hold_minutes), timedelta(hours=group.reservation_hours))


def _new_opportunity(
    session: Session, customer: Customer, seller: User, pos: PointOfSale, now: datetime
) -> Opportunity:
    """Next opportunity number. Two transactions may pick the same one on PostgreSQL: the loser
    retries inside a savepoint, after the winner committed (the unique index waits for it)."""
    for _ in range(5):
        number = (session.exec(select(func.max(Opportunity.number))).one() or 0) + 1
        opportunity = Opportunity(
            number=number,
            customer_id=stored_id(customer),
            seller_id=stored_id(seller),
            pos_id=stored_id(pos),
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(opportunity)
                session.flush()
            return opportunity
        except IntegrityError:
            log.info("opportunity number %s taken meanwhile, retrying", number)
    raise DomainError("Impossible de créer l'opportunité, veuillez réessayer.")


def _pay_url(payment: EPayment) -> str:
    return paylinks.pay_url(payment)


def reserve_vehicle(
    session: Session, vehicle_id: int, form: dict, *, client_address: str = "", now: datetime | None = None
) -> Reservation:
    """The visitor's "Réserver ce véhicule" (`client_address`: the visitor's IP as the app sees it).

    Raises ValidationError (field-level, nothing written), ReservationLimitReached or
    ReservationUnavailable. On success the vehicle is held for the PSP session
    (`hold_duration`) and a payment waits for the visitor; the group's block starts once paid."""
    details = validate_visitor(form)
    now = _now(now)
    _check_limits(session, client_address, details.email, now)
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise ReservationUnavailable("Ce véhicule n'existe pas ou n'est plus en ligne.")
    ctx = _context(session, vehicle)
    if not ctx.vehicle.published or not _availability(ctx, now).offered:
        raise ReservationUnavailable(_availability(ctx, now).reason)
    # An expired block is cleaned first, so its unpaid payment is cancelled, not orphaned.
    _lapse_vehicle(session, vehicle_id, now)
    until = now + hold_duration(ctx.group)
    if not _claim(session, vehicle_id, until, now):
        raise ReservationUnavailable("Ce véhicule vient d'être réservé ou vendu : il n'est plus disponible.")

    customer = _customer(session, details)
    seller = ctx.seller
    assert seller is not None  # _availability offers no vehicle without one
    opportunity = _new_opportunity(session, customer, seller, ctx.pos, now)
    reference = TransactionReference(ctx.entity.number, ctx.pos.number, PaymentKind.RESERVATION, opportunity.number, 1)
    payment = EPayment(
        reference=str(reference),
        psp_reference=reference.psp_reference,
        kind=PaymentKind.RESERVATION.value,
        attempt=1,
        amount_cents=ctx.group.reservation_amount_cents,
        status=PaymentStatus.ENVOYE.value,
        order_id=None,
        opportunity_id=stored_id(opportunity),
        customer_id=stored_id(customer),
        vehicle_id=vehicle_id,
        seller_id=stored_id(seller),
        pos_id=stored_id(ctx.pos),
        entity_id=stored_id(ctx.entity),
        created_at=now,
        status_changed_at=now,
        sent_at=now,
        link_expires_at=until,  # the payment link dies with the hold
    )
    session.add(payment)
    session.flush()
    session.add(
        ReservationAttempt(
            created_at=now,
            client_address=client_address,
            email=details.email,
            vehicle_id=vehicle_id,
            payment_id=payment.id,
        )
    )
    record_event(
        session,
        payment,
        PaymentStatus.ENVOYE,
        source=SOURCE,
        actor=f"{customer.civility} {customer.first_name} {customer.last_name}",
        at=now,
    )
    session.exec(
        update(Vehicle)
        .where(col(Vehicle.id) == vehicle_id)
        .values(reservation_payment_id=payment.id)
        .execution_options(synchronize_session=False)
    )
    url = _pay_url(payment)
    notifications.queue_reservation_request(session, payment, url, blocked_until=until)
    session.expire(vehicle)
    log.info("vehicle %s held until %s for payment %s", vehicle_id, until, payment.reference)
    return Reservation(stored_id(payment), payment.reference, opportunity.number, payment.amount_cents, until, url)


# --- Releasing ----------------------------------------------------------------------------------


def _release(session: Session, payment: EPayment, *, only_expired_at: datetime | None = None) -> bool:
    """Give the vehicle back if this payment still holds its block."""
    conditions = [col(Vehicle.id) == payment.vehicle_id, col(Vehicle.reservation_payment_id) == payment.id]
    if only_expired_at is not None:
        conditions.append(col(Vehicle.reserved_until) <= only_expired_at)
    result = session.exec(
        update(Vehicle)
        .where(*conditions)
        .values(
            reserved_until=None,
            reservation_payment_id=None,
            stock_status=case((col(Vehicle.stock_status) == RESERVED, IN_STOCK), else_=col(Vehicle.stock_status)),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_if_unpaid(session: Session, payment: EPayment) -> bool:
    """Call after a reservation payment became Annulé, Rejeté or Erreur: the vehicle is free again.
    No-op (False) for any other payment or status. The caller holds the payment's lock."""
    if payment.kind != PaymentKind.RESERVATION.value or PaymentStatus(payment.status) not in UNPAID_FAILURES:
        return False
    released = _release(session, payment)
    if released:
        log.info(
            "reservation %s not paid (%s): vehicle %s released", payment.reference, payment.status, payment.vehicle_id
        )
    return released


def _holds_block(session: Session, payment: EPayment) -> bool:
    held = session.exec(select(Vehicle.reservation_payment_id).where(Vehicle.id == payment.vehicle_id)).one()
    return held == payment.id


def after_status_change(session: Session, payment: EPayment, *, now: datetime | None = None) -> None:
    """The PSP callback's hook, after it applied a status to a payment (it holds the lock).

    Unpaid failures release the vehicle. An authorisation starts the group's block (from the
    authorisation: a replay gives the same end) and confirms the reservation (mail to the visitor,
    notification to the point of sale); if the hold was lost meanwhile and the vehicle went to
    someone else (or was ordered or sold), the money is to be given back."""
    if payment.kind != PaymentKind.RESERVATION.value:
        return
    status = PaymentStatus(payment.status)
    if status in UNPAID_FAILURES:
        release_if_unpaid(session, payment)
        return
    if status is not PaymentStatus.AUTORISE:
        return
    if now is None and payment.authorised_at is not None:
        now = payment.authorised_at
    now = _now(now)
    hours = session.exec(
        select(DealerGroup.reservation_hours)
        .join(Entity, col(Entity.group_id) == col(DealerGroup.id))
        .where(Entity.id == payment.entity_id)
    ).one()
    until = now + timedelta(hours=hours)
    if _holds_block(session, payment):
        session.exec(
            update(Vehicle)
            .where(col(Vehicle.id) == payment.vehicle_id, col(Vehicle.reservation_payment_id) == payment.id)
            .values(reserved_until=until)
            .execution_options(synchronize_session=False)
        )
    elif not _claim(session, payment.vehicle_id, until, now, payment.id):
        change_status(
            session,
            payment,
            PaymentStatus.A_REMBOURSER,
            source=EventSource.SYSTEM.value,
            actor="e-réservation : véhicule plus disponible",
        )
        return
    # Both are deduplicated per payment: a replayed authorisation mails nobody twice.
    notifications.queue_reservation_confirmation(session, payment)
    notifications.queue_reservation_staff_notification(session, payment, blocked_until=until)


def _lapse_vehicle(session: Session, vehicle_id: int, now: datetime) -> bool:
    """End the vehicle's block if its time is over; an unpaid payment is then cancelled."""
    row = session.exec(
        select(Vehicle.reservation_payment_id, Vehicle.reserved_until).where(Vehicle.id == vehicle_id)
    ).one()
    payment_id, until = row
    if until is None or as_utc(until) > now:
        return False
    if payment_id is None:
        return _clear_expired(session, vehicle_id, now)
    payment = lock_payment(session, payment_id)
    if not _release(session, payment, only_expired_at=now):
        return False  # someone else already moved the block
    if payment.status == PaymentStatus.ENVOYE.value:
        change_status(
            session,
            payment,
            PaymentStatus.ANNULE,
            source=EventSource.SYSTEM.value,
            actor="e-réservation expirée sans paiement",
        )
    log.info("reservation %s lapsed (%s)", payment.reference, payment.status)
    return True


def _clear_expired(session: Session, vehicle_id: int, now: datetime) -> bool:
    result = session.exec(
        update(Vehicle)
        .where(
            col(Vehicle.id) == vehicle_id,
            col(Vehicle.reservation_payment_id).is_(None),
            col(Vehicle.reserved_until) <= now,
        )
        .values(
            reserved_until=None,
            stock_status=case((col(Vehicle.stock_status) == RESERVED, IN_STOCK), else_=col(Vehicle.stock_status)),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def lapse_expired_reservations(session: Session, now: datetime | None = None) -> list[int]:
    """The periodic job: every block whose time is over ends (an unpaid payment is cancelled, a
    paid one stays Autorisé). Returns the ids of the vehicles made available again."""
    now = _now(now)
    vehicle_ids = session.exec(
        select(Vehicle.id)
        .where(col(Vehicle.reserved_until).is_not(None), col(Vehicle.reserved_until) <= now)
        .order_by(col(Vehicle.id))
    ).all()
    return [vehicle_id for vehicle_id in filter(None, vehicle_ids) if _lapse_vehicle(session, vehicle_id, now)]


# --- When the sale does not happen --------------------------------------------------------------


def _settle(session: Session, payment_ids: list[int], actor: str, reason: str) -> list[EPayment]:
    """Paid reservations become À rembourser, unpaid ones are cancelled; their blocks end."""
    settled = []
    for payment_id in sorted(payment_ids):
        payment = lock_payment(session, payment_id)
        status = PaymentStatus(payment.status)
        if status is PaymentStatus.AUTORISE:
            change_status(
                session, payment, PaymentStatus.A_REMBOURSER, source=EventSource.USER.value, actor=actor, raw=reason
            )
        elif status is PaymentStatus.ENVOYE:
            change_status(
                session, payment, PaymentStatus.ANNULE, source=EventSource.USER.value, actor=actor, raw=reason
            )
        _release(session, payment)
        settled.append(payment)
    return settled


def mark_opportunity_lost(session: Session, opportunity_id: int, *, actor: str) -> list[EPayment]:
    """The opportunity is lost: its reservation payments are settled and the vehicle freed."""
    payment_ids = list(
        filter(
            None,
            session.exec(
                select(EPayment.id).where(
                    EPayment.opportunity_id == opportunity_id, EPayment.kind == PaymentKind.RESERVATION.value
                )
            ).all(),
        )
    )
    settled = _settle(session, payment_ids, actor, "Opportunité perdue")
    opportunity = required_row(session, Opportunity, opportunity_id)
    opportunity.status = OPPORTUNITY_LOST
    session.add(opportunity)
    session.flush()
    return settled


def mark_vehicle_sold(
    session: Session, vehicle_id: int, *, buyer_customer_id: int | None, actor: str
) -> list[EPayment]:
    """The vehicle is sold (to `buyer_customer_id`): the other customers' reservations on it are
    settled — paid ones À rembourser — and the vehicle leaves the stock."""
    conditions = [EPayment.vehicle_id == vehicle_id, EPayment.kind == PaymentKind.RESERVATION.value]
    if buyer_customer_id is not None:
        conditions.append(EPayment.customer_id != buyer_customer_id)
    payment_ids = list(filter(None, session.exec(select(EPayment.id).where(*conditions)).all()))
    settled = _settle(session, payment_ids, actor, "Véhicule vendu à un autre client")
    session.exec(
        update(Vehicle)
        .where(col(Vehicle.id) == vehicle_id)
        .values(stock_status=SOLD, reserved_until=None, reservation_payment_id=None)
        .execution_options(synchronize_session=False)
    )
    return settled


# --- The periodic job ---------------------------------------------------------------------------


async def run_lapse_job(interval_seconds: float = 60.0) -> None:
    """Lifespan task of the app: ends expired blocks every minute (safe with several workers: each
    block is ended under its payment's lock, once)."""
    import asyncio

    from ...db import session_scope

    def once() -> list[int]:
        with session_scope() as session:
            return lapse_expired_reservations(session)

    while True:
        try:
            released = await asyncio.to_thread(once)
            if released:
                log.info("reservations lapsed, vehicles available again: %s", released)
        except Exception:
            log.exception("reservation lapse job failed")
        await asyncio.sleep(interval_seconds)
