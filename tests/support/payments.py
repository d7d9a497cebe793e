"""Payments written straight into a database, for tests that need e-payments of given statuses
and dates (Pilotage figures), and benches that need pending ones, without going through the PSP."""

from __future__ import annotations

import itertools
from datetime import timedelta

from epay_app.domain.dates import utcnow
from epay_app.domain.references import PaymentKind, TransactionReference
from epay_app.domain.statuses import PaymentStatus
from epay_app.models import Customer, Entity, EPayment, Opportunity, PointOfSale, User, Vehicle

S = PaymentStatus
_numbers = itertools.count(8_100_001)


def add_payment(s, seller: User, status: PaymentStatus, cents: int, age: timedelta, pay_after: timedelta | None = None):
    """A reservation payment of `seller`'s point of sale, created `age` ago, authorised `pay_after`
    its sending when it reached a paid status."""
    number = next(_numbers)
    pos, entity = s.get(PointOfSale, seller.pos_id), s.get(Entity, seller.entity_id)
    customer = Customer(civility="M.", first_name="Pilote", last_name=f"P{number}", email=f"p{number}@example.com")
    vehicle = Vehicle(pos_id=pos.id, make="PILOT", model=f"M{number}", price_cents=1_000_000)
    s.add_all([customer, vehicle])
    s.flush()
    opportunity = Opportunity(number=number, customer_id=customer.id, seller_id=seller.id, pos_id=pos.id)
    s.add(opportunity)
    s.flush()
    created = utcnow() - age
    ref = TransactionReference(entity.number, pos.number, PaymentKind.RESERVATION, number, 1)
    paid = status in (S.AUTORISE, S.A_REMBOURSER, S.REMBOURSE)
    s.add(
        EPayment(
            reference=str(ref),
            psp_reference=ref.psp_reference,
            kind=PaymentKind.RESERVATION.value,
            amount_cents=cents,
            status=status.value,
            opportunity_id=opportunity.id,
            customer_id=customer.id,
            vehicle_id=vehicle.id,
            seller_id=seller.id,
            pos_id=pos.id,
            entity_id=entity.id,
            created_at=created,
            status_changed_at=created,
            sent_at=created,
            authorised_at=created + (pay_after or timedelta(hours=1)) if paid else None,
        )
    )


def pending_deposits(
    opportunity: Opportunity, vehicle_id: int, entity: Entity, pos: PointOfSale, first_number: int, count: int
) -> list[EPayment]:
    """`count` deposits of 500 € on the opportunity, sent now and waiting for the PSP at `pos`
    (order numbers from `first_number`); not yet added to a session."""
    now = utcnow()
    payments = []
    for number in range(first_number, first_number + count):
        reference = TransactionReference(entity.number, pos.number, PaymentKind.DEPOSIT, number, 1)
        payments.append(
            EPayment(
                reference=str(reference),
                psp_reference=reference.psp_reference,
                kind=PaymentKind.DEPOSIT.value,
                amount_cents=50_000,
                opportunity_id=opportunity.id,
                customer_id=opportunity.customer_id,
                vehicle_id=vehicle_id,
                seller_id=opportunity.seller_id,
                pos_id=pos.id,
                entity_id=entity.id,
                sent_at=now,
            )
        )
    return payments
