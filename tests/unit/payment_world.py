"""An e-Paiement in memory for the use-case tests: the app's schema, one dealer with its points of
sale and offers, and readers of what the use cases wrote.

The schema is the app's own: alembic migrates a SQLite file once per run, and each test gets a
copy of it in an in-memory database (SQLite's backup API, well under a millisecond) that the
app's `db.UnitOfWork` opens by URL — the same engine set-up (pragmas, writer gate) as in
production on SQLite.
"""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, func, select

from epay_app import db
from epay_app.domain.roles import GroupType
from epay_app.models import (
    Customer,
    DealerGroup,
    Entity,
    EPayment,
    EPaymentEvent,
    Offer,
    Opportunity,
    OutboxMail,
    PointOfSale,
    PspConfig,
    User,
    Vehicle,
)
from epay_app.psp.interface import PspProtocol
from epay_app.services.admin.secrets import encrypt_secret
from epay_app.services.sales.checkout import CheckoutForm, paris_today


@lru_cache(maxsize=1)
def _migrated_template() -> Path:
    from tests.support.database import migrate

    path = Path(tempfile.mkdtemp(prefix="epay-usecases-")) / "template.db"
    migrate(f"sqlite:///{path}")
    return path


class MemoryDatabase:
    """A migrated in-memory database. Calling it opens a `db.UnitOfWork` on it (the session the
    use cases take; commits when the block ends, rolls back on an error), so it is also the
    `session_factory` of the use cases that open their own units of work."""

    def __init__(self) -> None:
        name = f"file:epay-uc-{uuid.uuid4().hex}?mode=memory&cache=shared"
        # Shared-cache memory databases live as long as one connection to them is open.
        self._anchor = sqlite3.connect(name, uri=True, check_same_thread=False)
        self.url = f"sqlite:///{name}&uri=true"
        self.restore()

    def restore(self, snapshot: sqlite3.Connection | None = None) -> None:
        """Back to `snapshot`; by default to the freshly migrated schema, with no rows."""
        if snapshot is not None:
            snapshot.backup(self._anchor)
            return
        with sqlite3.connect(_migrated_template()) as template:
            template.backup(self._anchor)

    def snapshot(self) -> sqlite3.Connection:
        """A copy of what the database holds now, to `restore` later."""
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        self._anchor.backup(copy)
        return copy

    def __call__(self, write: bool = True) -> db.UnitOfWork:
        return db.UnitOfWork(write=write, url=self.url)


@lru_cache(maxsize=1)
def _process_database() -> MemoryDatabase:
    return MemoryDatabase()


def fresh_database() -> MemoryDatabase:
    """The process's in-memory database, emptied. One database (hence one engine, whose compiled
    statements are cached) for every test: a new engine per test would compile every statement
    again, which is most of a test's time."""
    database = _process_database()
    database.restore()
    return database


# ---------------------------------------------------------------- the dealer


@dataclass(frozen=True)
class Merchant:
    """A point of sale's PSP account, in clear (the database holds it encrypted)."""

    pos_id: int
    protocol: PspProtocol
    merchant_id: str
    secret_key: str
    webhook_key_id: str = ""
    webhook_secret: str = ""


def add_point_of_sale(session: Session, entity_id: int, number: int, protocol: PspProtocol) -> Merchant:
    """A point of sale with its PSP account: Sips (merchantId, key) or Direct (PSPID, API key,
    webhook key), every secret encrypted as the settings page stores it."""
    pos = PointOfSale(entity_id=entity_id, number=number, name=f"Point de vente {number}")
    session.add(pos)
    session.flush()
    assert pos.id is not None
    if protocol is PspProtocol.SIPS2:
        merchant = Merchant(pos.id, protocol, f"0020010000{number:05d}", f"sips-key-{number}")
    else:
        merchant = Merchant(
            pos.id, protocol, f"PSPID{number}", f"api-secret-{number}", f"whk-{number}", f"whs-{number}"
        )
    session.add(
        PspConfig(
            pos_id=pos.id,
            protocol=protocol.value,
            merchant_id=merchant.merchant_id,
            key_ciphertext=encrypt_secret(merchant.secret_key),
            key_hint=merchant.secret_key[-4:],
            api_key_id=f"api-{number}" if protocol is PspProtocol.DIRECT else "",
            webhook_key_id=merchant.webhook_key_id,
            webhook_secret_ciphertext=encrypt_secret(merchant.webhook_secret) if merchant.webhook_secret else "",
        )
    )
    session.flush()
    return merchant


@dataclass(frozen=True)
class Dealer:
    """Entity 45 with the e-paiement option, point of sale 61 (its merchant), a seller there."""

    entity_id: int
    merchant: Merchant
    seller_id: int

    def seller(self, session: Session) -> User:
        user = session.get(User, self.seller_id)
        assert user is not None
        return user


def add_dealer(session: Session, protocol: PspProtocol) -> Dealer:
    group = DealerGroup(name="bee2link")
    session.add(group)
    session.flush()
    assert group.id is not None
    entity = Entity(group_id=group.id, number=45, name="bee2link PP Vincent S.", epay_option=True)
    session.add(entity)
    session.flush()
    assert entity.id is not None
    merchant = add_point_of_sale(session, entity.id, 61, protocol)
    seller = User(
        first_name="Adrien",
        last_name="PATISSON",
        email="seller@test.local",
        password_hash="x",
        group_type=GroupType.VENDEUR.value,
        entity_id=entity.id,
        pos_id=merchant.pos_id,
    )
    session.add(seller)
    session.flush()
    assert seller.id is not None
    return Dealer(entity.id, merchant, seller.id)


_dealers: dict[tuple[PspProtocol, int], tuple[sqlite3.Connection, Dealer]] = {}


def dealer_world(protocol: PspProtocol, offer_number: int) -> tuple[MemoryDatabase, Dealer]:
    """The process's database holding only a dealer on `protocol` with offer n°`offer_number`:
    built once, then restored from its snapshot for each test."""
    database = _process_database()
    key = (protocol, offer_number)
    if key not in _dealers:
        database.restore()
        with database() as session:
            dealer = add_dealer(session, protocol)
            add_offer(session, dealer, offer_number)
        _dealers[key] = (database.snapshot(), dealer)
    snapshot, dealer = _dealers[key]
    database.restore(snapshot)
    return database, dealer


def add_offer(session: Session, dealer: Dealer, number: int, price_cents: int = 3_000_000) -> int:
    """A validated offer n°`number` of the dealer's seller for M. Patrick PONS; its number."""
    customer = Customer(civility="M.", last_name="PONS", first_name="Patrick", email="client@test.local")
    vehicle = Vehicle(pos_id=dealer.merchant.pos_id, make="KIA", model="CEED", price_cents=price_cents)
    session.add_all([customer, vehicle])
    session.flush()
    assert customer.id is not None and vehicle.id is not None
    opportunity = Opportunity(
        number=number, customer_id=customer.id, seller_id=dealer.seller_id, pos_id=dealer.merchant.pos_id
    )
    session.add(opportunity)
    session.flush()
    assert opportunity.id is not None
    session.add(
        Offer(number=number, opportunity_id=opportunity.id, vehicle_id=vehicle.id, vehicle_price_cents=price_cents)
    )
    session.flush()
    return number


def card_deposit(now: datetime, amount: str = "500") -> CheckoutForm:
    """The payment tab filled for a card deposit paid online."""
    today = paris_today(now)
    return CheckoutForm(
        balance_method="Virement",
        deposit_amount=amount,
        deposit_method="Carte bancaire",
        delivery_date=today + timedelta(days=8),
        extreme_delivery_date=today + timedelta(days=876),
    )


# ---------------------------------------------------------------- reading what was written


@dataclass(frozen=True)
class Move:
    """One event of a payment, as the history shows it."""

    from_status: str | None
    to_status: str
    source: str
    psp_code: str = ""


@contextmanager
def reading(database: MemoryDatabase) -> Iterator[Session]:
    with database(write=False) as session:
        yield session


def payment(database: MemoryDatabase, payment_id: int) -> EPayment:
    with reading(database) as session:
        found = session.get(EPayment, payment_id)
        assert found is not None
        return found


def moves(database: MemoryDatabase, payment_id: int) -> list[Move]:
    with reading(database) as session:
        events = session.exec(
            select(EPaymentEvent).where(EPaymentEvent.payment_id == payment_id).order_by(EPaymentEvent.id)  # type: ignore[arg-type]
        ).all()
        return [Move(e.from_status, e.to_status, e.source, e.psp_code) for e in events]


def mails(database: MemoryDatabase) -> list[tuple[str, int | None]]:
    """(kind, payment id) of every queued mail, in order."""
    with reading(database) as session:
        rows = session.exec(select(OutboxMail.kind, OutboxMail.payment_id).order_by(OutboxMail.id)).all()  # type: ignore[arg-type]
        return [(kind, payment_id) for kind, payment_id in rows]


def count(database: MemoryDatabase, model: type) -> int:
    with reading(database) as session:
        return session.exec(select(func.count()).select_from(model)).one()
