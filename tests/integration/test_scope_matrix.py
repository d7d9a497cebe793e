"""Issue 12: every record a page, handler, route or export reads or changes is scoped to who may
see it — a seller their own opportunities' records, a sales manager and a secretary their point
of sale's, a director and an administrator their entity's — and out of scope looks exactly like
not found.

The matrix: 5 group types × 4 relations of the record to the viewer × every handler and route
that reaches a record. Each handler is run on the server as Reflex runs it (its guard included)
on a state object holding what the browser could have sent; a fresh record per case. The
coverage tests fail when a handler or an API route is added without an entry here.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

import epay_app.epay_app  # noqa: F401  (registers every page, state and API route)
from epay_app.api.routes import API_ROUTES
from epay_app.config import get_settings
from epay_app.db import reset_engines, session_scope
from epay_app.domain.dates import PARIS, utcnow
from epay_app.domain.references import PaymentKind, TransactionReference
from epay_app.domain.roles import GroupType
from epay_app.domain.statuses import PaymentStatus
from epay_app.domain.tracking import SortOrder
from epay_app.models import (
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
)
from epay_app.services.access import auth
from epay_app.services.admin.secrets import encrypt_secret
from epay_app.services.dashboards import export as export_service
from epay_app.services.dashboards import tracking
from epay_app.services.demo import demo_data
from epay_app.services.payment.refunds import RefundResult
from epay_app.services.reservation import reservations
from epay_app.state import AppState
from tests.integration.test_guard_coverage import PUBLIC, PUBLIC_STATES
from tests.support import database

G = GroupType
GROUPS = list(GroupType)
RELATIONS = ("own", "same_pos", "other_pos", "other_entity")
# What each group type sees, by relation of the record's opportunity to the viewer.
SEES = {
    G.VENDEUR: {"own"},
    G.CHEF_DES_VENTES: {"own", "same_pos"},
    G.SECRETAIRE: {"own", "same_pos"},
    G.DIRECTEUR: {"own", "same_pos", "other_pos"},
    G.ADMINISTRATEUR: {"own", "same_pos", "other_pos"},
}
ALL = frozenset(GroupType)
SELLING = frozenset({G.ADMINISTRATEUR, G.DIRECTEUR, G.CHEF_DES_VENTES, G.VENDEUR})
VIEWER_EMAIL = {
    G.ADMINISTRATEUR: "admin@openflex.demo",
    G.DIRECTEUR: "directeur@openflex.demo",
    G.CHEF_DES_VENTES: "chef@openflex.demo",
    G.VENDEUR: "vendeur@openflex.demo",
    G.SECRETAIRE: "secretaire@openflex.demo",
}
# The owners of the other relations' records; "own" is the viewer's own.
OWNER_EMAIL = {
    "same_pos": "autre.vendeur@scope.test",
    "other_pos": "vendeur62@scope.test",
    "other_entity": "audrey.villien@openflex.demo",
}
MISSING_NUMBER = 9_999_999
MISSING_PAYMENT_ID = 99_999_999
_numbers = itertools.count(7_100_001)


# ---------------------------------------------------------------- the world


@dataclass
class Record:
    number: int  # opportunity = offer = order number
    order_id: int = 0
    payment_id: int = 0
    reference: str = ""
    customer_id: int = 0
    vehicle_id: int = 0
    amount_cents: int = 0

    def words(self) -> list[str]:
        """What identifies the record in a message, to compare a refusal with "not found"."""
        return [w for w in (self.reference, str(self.payment_id or ""), str(self.number)) if w]


MISSING = Record(
    number=MISSING_NUMBER,
    payment_id=MISSING_PAYMENT_ID,
    reference=str(TransactionReference(45, 61, PaymentKind.DEPOSIT, MISSING_NUMBER, 1)),
)


@dataclass
class World:
    url: str
    users: dict[str, int] = field(default_factory=dict)  # email → id
    tokens: dict[str, str] = field(default_factory=dict)  # email → session token
    refunds: list[int] = field(default_factory=list)

    def owner_email(self, group: GroupType, relation: str) -> str:
        return VIEWER_EMAIL[group] if relation == "own" else OWNER_EMAIL[relation]

    def record(
        self, owner_email: str, *, status: PaymentStatus | None, order: bool = True, reserved: bool = False
    ) -> Record:
        """A customer, a vehicle, an opportunity of `owner_email` at their point of sale, its
        validated offer and — unless order=False — its order with a card deposit paid online,
        whose e-payment is in `status`."""
        number = next(_numbers)
        now = utcnow()
        with session_scope(self.url) as s:
            owner = s.get(User, self.users[owner_email])
            pos, entity = s.get(PointOfSale, owner.pos_id), s.get(Entity, owner.entity_id)
            customer = Customer(
                civility="M.",
                first_name="Client",
                last_name=f"SCOPE{number}",
                email=f"client{number}@example.com",
                phone="+33 6 00 00 00 00",
            )
            vehicle = Vehicle(
                pos_id=pos.id,
                make="SCOPE",
                model=f"M{number}",
                condition="Neuf",
                price_cents=2_000_000,
                vin=f"VIN{number}",
            )
            s.add_all([customer, vehicle])
            s.flush()
            opportunity = Opportunity(number=number, customer_id=customer.id, seller_id=owner.id, pos_id=pos.id)
            s.add(opportunity)
            s.flush()
            offer = Offer(
                number=number, opportunity_id=opportunity.id, vehicle_id=vehicle.id, vehicle_price_cents=2_000_000
            )
            s.add(offer)
            s.flush()
            rec = Record(number=number, customer_id=customer.id, vehicle_id=vehicle.id)
            if not order:
                return rec
            sales_order = SalesOrder(
                number=number,
                offer_id=offer.id,
                validated_by_id=owner.id,
                validated_at=now,
                delivery_date=date.today() + timedelta(days=8),
                extreme_delivery_date=date.today() + timedelta(days=300),
                pos_id=pos.id,
                balance_method="Virement",
                deposit_amount_cents=10_000,
                deposit_method="Carte bancaire",
                deposit_online=True,
            )
            s.add(sales_order)
            s.flush()
            ref = TransactionReference(entity.number, pos.number, PaymentKind.DEPOSIT, number, 1)
            payment = EPayment(
                reference=str(ref),
                psp_reference=ref.psp_reference,
                kind=PaymentKind.DEPOSIT.value,
                amount_cents=10_000,
                status=status.value,
                order_id=sales_order.id,
                opportunity_id=opportunity.id,
                customer_id=customer.id,
                vehicle_id=vehicle.id,
                seller_id=owner.id,
                pos_id=pos.id,
                entity_id=entity.id,
                created_at=now,
                status_changed_at=now,
                sent_at=now,
                authorised_at=now if status is not PaymentStatus.ENVOYE else None,
                link_expires_at=now + timedelta(hours=72),
            )
            s.add(payment)
            s.flush()
            if reserved:
                vehicle.stock_status, vehicle.reserved_until = reservations.RESERVED, now + timedelta(days=1)
                vehicle.reservation_payment_id = payment.id
                s.add(vehicle)
            rec.order_id, rec.payment_id, rec.reference, rec.amount_cents = (
                sales_order.id,
                payment.id,
                payment.reference,
                payment.amount_cents,
            )
            return rec


def _add_user(s, email: str, pos: PointOfSale, group: GroupType = G.VENDEUR) -> User:
    user = User(
        first_name="Scope",
        last_name=email.split("@")[0].upper(),
        email=email,
        password_hash=auth.hash_password(demo_data.DEMO_PASSWORD),
        group_type=group.value,
        entity_id=pos.entity_id,
        pos_id=pos.id,
    )
    s.add(user)
    s.flush()
    return user


@pytest.fixture(scope="module", params=database.backends())
def world(request, tmp_path_factory):
    """The demo data (its five group types at point of sale 61 of entity 45, Audrey V. at entity
    51), plus another seller at 61 and a seller at 62 (configured for e-paiement too)."""
    url = database.create_migrated_database(request.param, tmp_path_factory.mktemp("scope"))
    patch = pytest.MonkeyPatch()
    patch.setenv("REFLEX_DB_URL", url)
    get_settings.cache_clear()
    reset_engines()
    w = World(url)
    with session_scope(url) as s:
        demo_data.seed(s)
        pos61 = s.exec(select(PointOfSale).where(PointOfSale.number == 61)).one()
        pos62 = s.exec(select(PointOfSale).where(PointOfSale.number == 62)).one()
        _add_user(s, OWNER_EMAIL["same_pos"], pos61)
        _add_user(s, OWNER_EMAIL["other_pos"], pos62)
        s.add(
            PspConfig(
                pos_id=pos62.id,
                merchant_id=demo_data.DEMO_MERCHANT_ID,
                key_ciphertext=encrypt_secret(demo_data.DEMO_MERCHANT_KEY),
                key_version=1,
            )
        )
    with session_scope(url) as s:
        for user in s.exec(select(User)).all():
            w.users[user.email] = user.id
        for email in VIEWER_EMAIL.values():
            w.tokens[email] = auth.login(s, email, demo_data.DEMO_PASSWORD)
    yield w
    patch.undo()
    get_settings.cache_clear()
    reset_engines()
    database.drop_database(url)


@pytest.fixture
def fake_refunds(world, monkeypatch):
    """The PSP refund itself is not what is tested here: it answers "done" and records the call."""

    def prepare_refund(session, payment_id, actor, **_):
        world.refunds.append(payment_id)
        return RefundResult(True, PaymentStatus.REMBOURSE, "Le remboursement a été effectué.")

    monkeypatch.setattr(tracking, "prepare_refund_of", prepare_refund)
    world.refunds.clear()
    return world.refunds


# ---------------------------------------------------------------- driving a page state


def page_state(cls, world: World, group: GroupType, path: str = "/", query: dict | None = None, **values):
    """The state's vars with their defaults, its helpers, and the session of the viewer."""
    fields = {}
    for name, f in cls.get_fields().items():
        if name.startswith(("router", "rx_router", "is_hydrated", "_reflex")):
            continue
        factory = getattr(f, "default_factory", None)
        fields[name] = factory() if callable(factory) else f.default
    state = SimpleNamespace(**fields)
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, AppState)):
            continue
        for name, value in vars(klass).items():
            if inspect.isfunction(value) and not name.startswith("__") and name not in cls.event_handlers:
                setattr(state, name, value.__get__(state))
    state.current_user = state._current_user
    state.session_token = world.tokens[VIEWER_EMAIL[group]]
    state.router = SimpleNamespace(url=SimpleNamespace(path=path, query_parameters=query or {}))
    for name, value in values.items():
        setattr(state, name, value)
    return state


def run(cls, handler: str, state, *args) -> list:
    """Run the event handler as Reflex would (its require_roles guard included); the events it
    returns or yields, flattened."""
    result = cls.event_handlers[handler].fn(state, *args)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    elif inspect.isasyncgen(result):

        async def drain(gen):
            return [item async for item in gen]

        result = asyncio.run(drain(result))
    elif inspect.isgenerator(result):
        result = list(result)
    items = result if isinstance(result, list) else [result]
    return [item for item in items if item is not None]


def describe(events: list) -> list[str]:
    """What reaches the browser: each event's handler and arguments as the client gets them."""
    out = []
    for event in events:
        handler = getattr(event, "handler", None)
        if handler is None:
            out.append(getattr(event, "__qualname__", repr(event)))
            continue
        args = ";".join(str(value) for _, value in getattr(event, "args", ()))
        args = re.sub(r"(;base64,)[A-Za-z0-9+/=]+", r"\1…", args)  # a PDF's bytes: only its presence
        out.append(f"{handler.fn.__name__}({args})")
    return out


def _is_download(events: list) -> bool:
    return any("data:application/pdf;base64," in line for line in describe(events))


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    """One handler or route on one kind of record: how to make the record, who may act at all
    (their group type, before any scope), and how to drive it. `drive` returns (reached: the
    handler saw or changed the record, shown: what the viewer got back)."""

    status: PaymentStatus | None
    roles: frozenset
    drive: Callable[[World, GroupType, Record], tuple[bool, list[str]]]
    order: bool = True
    reserved: bool = False
    on_page: frozenset = frozenset(RELATIONS)  # where the page looks at all, whatever the scope
    sees: dict | None = None  # another scope than the opportunity's (SEES): the stock's


def _order_state(world, group, rec, **values):
    from epay_app.pages.order import OrderState

    values = {"number": str(rec.number), **values}
    return OrderState, page_state(OrderState, world, group, path=f"/commandes/{rec.number}", **values)


def _order_loaded(state, rec) -> bool:
    return state.not_found == "" and state.order.get("number") == str(rec.number)


def drive_load_order(world, group, rec):
    cls, state = _order_state(world, group, rec, number="")
    events = run(cls, "load_order", state)
    return _order_loaded(state, rec), [state.not_found, *describe(events)]


def drive_open_modal(world, group, rec):
    cls, state = _order_state(world, group, rec)
    events = run(cls, "open_modal", state)
    seen = _order_loaded(state, rec) and any(a.reference == rec.reference for a in state.attempts)
    return seen, [state.not_found, str(state.attempts), *describe(events)]


def drive_print_order(world, group, rec):
    cls, state = _order_state(world, group, rec)
    events = run(cls, "print_order", state)
    return _is_download(events), describe(events)


def drive_payment_receipt(world, group, rec):
    """The e-Paiement modal's "Reçu d'acompte": by payment id, whatever order page is open."""
    cls, state = _order_state(world, group, rec)
    events = run(cls, "download_payment_document", state, str(rec.payment_id), "receipt")
    return _is_download(events), describe(events)


def _mails(world, rec) -> int:
    with session_scope(world.url, write=False) as s:
        return len(s.exec(select(OutboxMail.id).where(OutboxMail.payment_id == rec.payment_id)).all())


def drive_order_resend(world, group, rec):
    cls, state = _order_state(world, group, rec)
    events = run(cls, "resend_link", state)
    return _mails(world, rec) > 0, [state.not_found, *describe(events)]


def drive_retry(world, group, rec):
    cls, state = _order_state(world, group, rec)
    events = run(cls, "retry_payment", state)
    with session_scope(world.url, write=False) as s:
        attempts = s.exec(select(EPayment.id).where(EPayment.order_id == rec.order_id)).all()
    return len(attempts) > 1, [state.not_found, *describe(events)]


def drive_cancel(world, group, rec):
    cls, state = _order_state(world, group, rec)
    events = run(cls, "cancel_order", state)
    with session_scope(world.url, write=False) as s:
        order = s.get(SalesOrder, rec.order_id) if rec.order_id else None
        payment = s.get(EPayment, rec.payment_id)
        changed = order is not None and (order.status != "placed" or payment.status != PaymentStatus.AUTORISE.value)
    return changed, [state.not_found, *describe(events)]


def _offer_state(world, group, rec, **values):
    from epay_app.pages.offer import OfferState

    values = {"number": str(rec.number), **values}
    return OfferState, page_state(OfferState, world, group, path=f"/offres/{rec.number}", **values)


def drive_load_offer(world, group, rec):
    cls, state = _offer_state(world, group, rec, number="")
    events = run(cls, "load_offer", state)
    seen = state.not_found == "" and state.offer.get("number") == str(rec.number)
    assert seen == (state.customer.get("email") == f"client{rec.number}@example.com")
    return seen, [state.not_found, *describe(events)]


def drive_print_offer(world, group, rec):
    cls, state = _offer_state(world, group, rec)
    events = run(cls, "print_offer", state)
    return _is_download(events), describe(events)


def drive_submit_checkout(world, group, rec):
    cls, state = _offer_state(world, group, rec, deposit_method="Chèque", balance_method="Virement")
    day = date.today()
    form = {
        "deposit_amount": "100",
        "delivery_date": (day + timedelta(days=8)).isoformat(),
        "extreme_delivery_date": (day + timedelta(days=300)).isoformat(),
    }
    events = run(cls, "submit_checkout", state, form)
    with session_scope(world.url, write=False) as s:
        ordered = s.exec(select(SalesOrder.id).where(SalesOrder.number == rec.number)).first() is not None
    return ordered, [str(state.errors), *describe(events)]


def drive_save_customer(world, group, rec):
    cls, state = _offer_state(world, group, rec, customer_civility="Mme.")
    form = {"last_name": "CHANGED", "first_name": "Forged", "email": "forged@example.com", "phone": ""}
    events = run(cls, "save_customer", state, form)
    with session_scope(world.url, write=False) as s:
        customer = s.get(Customer, rec.customer_id) if rec.customer_id else None
        changed = customer is not None and customer.last_name == "CHANGED"
    return changed, [str(state.customer_form_errors), *describe(events)]


def _epayments_state(world, group, **values):
    from epay_app.pages.epayments import EPaymentsState

    return EPaymentsState, page_state(EPaymentsState, world, group, path="/e-paiements", **values)


def drive_load_epayments(world, group, rec):
    cls, state = _epayments_state(world, group, query={"tri": "desc", "statut": "payes"})
    run(cls, "load_epayments", state)
    return rec.reference in [c.reference for c in state.cards], [state.refusal]


def drive_search(world, group, rec):
    cls, state = _epayments_state(world, group)
    run(cls, "search", state, rec.reference)
    return rec.reference in [c.reference for c in state.cards], [state.refusal, str(len(state.cards))]


def drive_card_resend(world, group, rec):
    cls, state = _epayments_state(world, group)
    events = run(cls, "resend", state, str(rec.payment_id))
    return _mails(world, rec) > 0, describe(events)


def drive_confirm_refund(world, group, rec):
    cls, state = _epayments_state(world, group, refund_id=str(rec.payment_id), refund_reference=rec.reference)
    before = len(world.refunds)
    events = run(cls, "confirm_refund", state)
    return len(world.refunds) > before, describe(events)


def drive_export(world, group, rec):
    """The "Exporter (CSV)" handler mints the ticket; the route streams the rows."""
    cls, state = _epayments_state(world, group, query="")
    state.query = rec.reference
    events = run(cls, "export_csv", state)
    url = next(str(v) for e in events for _, v in e.args if "export.csv" in str(v)).strip('"')
    parts = urlsplit(url)
    app = Starlette(routes=[r for r in API_ROUTES if r.path == export_service.PATH])

    async def get():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://epay") as client:
            return await client.get(parts.path, params={k: v[0] for k, v in parse_qs(parts.query).items()})

    response = asyncio.run(get())
    body = response.content.decode("utf-8-sig")
    return rec.reference in body, [str(response.status_code), str(len(body.splitlines()))]


def drive_opportunities(world, group, rec):
    from epay_app.pages.opportunities import OpportunitiesState

    state = page_state(OpportunitiesState, world, group, path="/opportunites")
    run(OpportunitiesState, "load_opportunities", state)
    return str(rec.number) in [r.opportunity for r in state.rows], []


def _in_stock_scope(world, group, rec) -> bool:
    """Whether the record's vehicle is in the viewer's stock (STOCK_SEES, by where it stands)."""
    with session_scope(world.url, write=False) as s:
        vehicle = s.get(Vehicle, rec.vehicle_id) if rec.vehicle_id else None
        if vehicle is None:
            return False
        viewer = s.get(User, world.users[VIEWER_EMAIL[group]])
        pos = s.get(PointOfSale, vehicle.pos_id)
        if "other_pos" in STOCK_SEES[group]:
            return pos.entity_id == viewer.entity_id
        return pos.id == viewer.pos_id


def drive_vehicles(world, group, rec):
    """The viewer's stock (their point of sale's, their entity's for a director or an administrator)
    shows the record's vehicle as reserved to all; who holds the reservation (its reference, its
    opportunity) only to those who follow the payment."""
    from epay_app.pages.vehicles import VehiclesState

    state = page_state(VehiclesState, world, group, path="/vehicules")
    run(VehiclesState, "load_vehicles", state)
    row = next((r for r in state.rows if r.id == str(rec.vehicle_id)), None)
    assert (row is not None) == _in_stock_scope(world, group, rec)
    assert row is None or row.status.startswith("Réservé")
    return row is not None and rec.reference in row.detail, []


def _set_payment(world, rec, **values) -> None:
    with session_scope(world.url) as s:
        payment = s.get(EPayment, rec.payment_id)
        if payment is None:
            return
        for name, value in values.items():
            setattr(payment, name, value)
        s.add(payment)


def drive_home_tiles(world, group, rec):
    """The "en attente" tile counts the record's pending payment, then not once it is paid."""
    from epay_app.pages.home import HomeState

    def pending_count() -> int:
        state = page_state(HomeState, world, group, path="/")
        run(HomeState, "load_home", state)
        return sum(int(t.count) for t in state.tiles if t.key == "en_attente")

    with_record = pending_count()
    _set_payment(world, rec, status=PaymentStatus.AUTORISE.value)
    return with_record - pending_count() == 1, []


def drive_collected(world, group, rec):
    """The weekly chart counts the record's authorised amount, then not once it is dated outside."""
    from epay_app.components.collected_chart import CollectedState

    def total() -> str:
        state = page_state(CollectedState, world, group, path="/")
        run(CollectedState, "load_collected", state)
        return str([w["montant"] for w in state.weeks])

    with_record = total()
    _set_payment(world, rec, authorised_at=utcnow() - timedelta(days=3650))
    return with_record != total(), []


def drive_load_clients(world, group, rec):
    from epay_app.pages.clients import ClientsState

    state = page_state(ClientsState, world, group, path="/clients", query={"q": f"scope{rec.number}"})
    events = run(ClientsState, "load_clients", state)
    return str(rec.customer_id) in [r.id for r in state.rows], [str(len(state.rows)), *describe(events)]


def drive_search_clients(world, group, rec):
    from epay_app.pages.clients import ClientsState

    state = page_state(ClientsState, world, group, path="/clients")
    events = run(ClientsState, "search_clients", state, f"client{rec.number}@example")
    return str(rec.customer_id) in [r.id for r in state.rows], [str(len(state.rows)), *describe(events)]


def _customer_state(world, group, rec, **values):
    from epay_app.pages.customer import CustomerState

    customer_id = rec.customer_id or MISSING_PAYMENT_ID
    return CustomerState, page_state(CustomerState, world, group, path=f"/clients/{customer_id}", **values)


def drive_load_customer(world, group, rec):
    cls, state = _customer_state(world, group, rec)
    events = run(cls, "load_customer", state)
    seen = state.not_found == "" and state.customer.get("id") == str(rec.customer_id)
    # The record shows the customer's order and payment to whoever sees the customer.
    assert not seen or [o.number for o in state.orders] == [str(rec.number)]
    assert not seen or [p.reference for p in state.payments] == [rec.reference]
    return seen, [state.not_found, *describe(events)]


def drive_save_customer_record(world, group, rec):
    cls, state = _customer_state(world, group, rec, civility="Mme.", _customer_id=rec.customer_id or MISSING_PAYMENT_ID)
    form = {"last_name": "CHANGED", "first_name": "Forged", "email": "forged@example.com", "phone": ""}
    events = run(cls, "save_customer", state, form)
    with session_scope(world.url, write=False) as s:
        customer = s.get(Customer, rec.customer_id) if rec.customer_id else None
        changed = customer is not None and customer.last_name == "CHANGED"
    return changed, [str(state.form_errors), *describe(events)]


def _paris_today() -> date:
    """Pilotage's periods are Paris days: between 22:00/23:00 UTC and midnight, the machine's
    date.today() (UTC) is the day before the one a payment made now falls on."""
    return utcnow().astimezone(PARIS).date()


def _pilotage_drive(handler: str, *args, **values):
    """A Pilotage figure counts the record's payment, then not once it is dated out of the period."""

    def drive(world, group, rec):
        from epay_app.pages.pilotage import PilotageState

        def seen() -> list[str]:
            state = page_state(PilotageState, world, group, path="/pilotage", **values)
            events = run(PilotageState, handler, state, *args)
            return [state.totals.get("requested_count", ""), str(state.pos_rows), *describe(events)]

        with_record = seen()
        _set_payment(world, rec, created_at=utcnow() - timedelta(days=3650))
        without = seen()
        return with_record != without, without

    return drive


# Stock belongs to a point of sale (services.access.scope.vehicle_clause): a seller acts on their point of sale's.
STOCK_SEES = {
    G.VENDEUR: {"own", "same_pos"},
    G.CHEF_DES_VENTES: {"own", "same_pos"},
    G.SECRETAIRE: {"own", "same_pos"},
    G.DIRECTEUR: {"own", "same_pos", "other_pos"},
    G.ADMINISTRATEUR: {"own", "same_pos", "other_pos"},
}


def drive_confirm_lose(world, group, rec):
    from epay_app.pages.opportunities import OpportunitiesState

    state = page_state(OpportunitiesState, world, group, path="/opportunites", lose_number=str(rec.number))
    events = run(OpportunitiesState, "confirm_lose", state)
    with session_scope(world.url, write=False) as s:
        opportunity = s.exec(select(Opportunity).where(Opportunity.number == rec.number)).first()
        lost = opportunity is not None and opportunity.status == "perdue"
    return lost, describe(events)


def _vehicle(world, rec) -> Vehicle | None:
    with session_scope(world.url, write=False) as s:
        return s.get(Vehicle, rec.vehicle_id) if rec.vehicle_id else None


def drive_set_published(world, group, rec):
    from epay_app.pages.vehicles import VehiclesState

    state = page_state(VehiclesState, world, group, path="/vehicules")
    events = run(VehiclesState, "set_published", state, str(rec.vehicle_id or MISSING_PAYMENT_ID), True)
    vehicle = _vehicle(world, rec)
    return vehicle is not None and vehicle.published, describe(events)[:1]


def drive_confirm_sold(world, group, rec):
    from epay_app.pages.vehicles import VehiclesState

    values = {"sold_id": str(rec.vehicle_id or MISSING_PAYMENT_ID), "sold_buyer": "autre"}
    state = page_state(VehiclesState, world, group, path="/vehicules", **values)
    events = run(VehiclesState, "confirm_sold", state)
    vehicle = _vehicle(world, rec)
    return vehicle is not None and vehicle.stock_status == "sold", describe(events)[:1]


MATRIX: dict[tuple[str, str], Case] = {
    ("OrderState", "load_order"): Case(PaymentStatus.AUTORISE, ALL, drive_load_order),
    ("OrderState", "open_modal"): Case(PaymentStatus.AUTORISE, ALL, drive_open_modal),
    ("OrderState", "print_order"): Case(PaymentStatus.AUTORISE, ALL, drive_print_order),
    ("OrderState", "download_payment_document"): Case(PaymentStatus.AUTORISE, ALL, drive_payment_receipt),
    ("OrderState", "resend_link"): Case(PaymentStatus.ENVOYE, SELLING, drive_order_resend),
    ("OrderState", "retry_payment"): Case(PaymentStatus.REJETE, SELLING, drive_retry),
    ("OrderState", "cancel_order"): Case(PaymentStatus.AUTORISE, SELLING, drive_cancel),
    ("OfferState", "load_offer"): Case(None, ALL, drive_load_offer, order=False),
    ("OfferState", "print_offer"): Case(None, ALL, drive_print_offer, order=False),
    ("OfferState", "submit_checkout"): Case(None, SELLING, drive_submit_checkout, order=False),
    ("OfferState", "save_customer"): Case(None, SELLING, drive_save_customer, order=False),
    ("EPaymentsState", "load_epayments"): Case(PaymentStatus.AUTORISE, ALL, drive_load_epayments),
    ("EPaymentsState", "search"): Case(PaymentStatus.AUTORISE, ALL, drive_search),
    # A secretary does not chase pending links (domain.roles.TILE_EN_ATTENTE) nor sells.
    ("EPaymentsState", "resend"): Case(PaymentStatus.ENVOYE, SELLING, drive_card_resend),
    ("EPaymentsState", "confirm_refund"): Case(
        PaymentStatus.A_REMBOURSER,
        frozenset({G.ADMINISTRATEUR, G.DIRECTEUR, G.CHEF_DES_VENTES, G.SECRETAIRE}),
        drive_confirm_refund,
    ),
    ("EPaymentsState", "export_csv"): Case(PaymentStatus.AUTORISE, ALL, drive_export),
    ("OpportunitiesState", "load_opportunities"): Case(PaymentStatus.AUTORISE, ALL, drive_opportunities),
    # "Véhicules" lists the viewer's stock (STOCK_SEES); the holder shows to whom follows the payment.
    ("VehiclesState", "load_vehicles"): Case(PaymentStatus.AUTORISE, ALL, drive_vehicles, reserved=True),
    # Tiles and chart: only the group types that have them (domain.roles.TILES, collected.CHART_ROLES).
    ("HomeState", "load_home"): Case(
        PaymentStatus.ENVOYE, frozenset({G.VENDEUR, G.CHEF_DES_VENTES, G.DIRECTEUR}), drive_home_tiles
    ),
    # Clients (F-67): a customer is seen through an opportunity the viewer sees; a secretary reads only.
    ("ClientsState", "load_clients"): Case(PaymentStatus.AUTORISE, ALL, drive_load_clients),
    ("ClientsState", "search_clients"): Case(PaymentStatus.AUTORISE, ALL, drive_search_clients),
    ("CustomerState", "load_customer"): Case(PaymentStatus.AUTORISE, ALL, drive_load_customer),
    ("CustomerState", "save_customer"): Case(PaymentStatus.AUTORISE, SELLING, drive_save_customer_record),
    # Pilotage (F-66): the directeur and the chef des ventes, scoped as the e-Paiements list.
    **{
        ("PilotageState", name): Case(
            PaymentStatus.AUTORISE, frozenset({G.DIRECTEUR, G.CHEF_DES_VENTES}), _pilotage_drive(name, *args, **values)
        )
        for name, args, values in (
            ("load_pilotage", (), {}),
            ("set_last_days", (30,), {}),
            (
                "submit_period",
                ({"du": (_paris_today() - timedelta(days=5)).isoformat(), "au": _paris_today().isoformat()},),
                {},
            ),
            (
                "export_table",
                (),
                {"day_from": (_paris_today() - timedelta(days=5)).isoformat(), "day_to": _paris_today().isoformat()},
            ),
        )
    },
    # How a sale ends (issue 14): opportunity lost, vehicle sold / published — the selling profiles.
    ("OpportunitiesState", "confirm_lose"): Case(None, SELLING, drive_confirm_lose, order=False),
    ("VehiclesState", "set_published"): Case(None, SELLING, drive_set_published, order=False, sees=STOCK_SEES),
    ("VehiclesState", "confirm_sold"): Case(None, SELLING, drive_confirm_sold, order=False, sees=STOCK_SEES),
    ("CollectedState", "load_collected"): Case(
        PaymentStatus.AUTORISE, frozenset({G.DIRECTEUR, G.CHEF_DES_VENTES, G.ADMINISTRATEUR}), drive_collected
    ),
}

# API routes that reach records: path → the matrix entry that drives them.
ROUTE_MATRIX = {export_service.PATH: ("EPaymentsState", "export_csv")}
# The others are not staff's: each says who it is for and what it trusts instead of a session.
PUBLIC_ROUTES = {
    "/pay/{token}": "the customer's payment link: an HMAC-signed capability for one payment "
    "(services.payment.paylinks)",
    "/api/psp/direct/return": "Worldline Direct return: the hosted checkout id, re-checked at the PSP",
    "/api/psp/direct/webhook": "Worldline Direct webhooks: signed by the platform",
    "/api/psp/sips/notify": "Sips notification: sealed by the PSP",
    "/api/psp/sips/return": "Sips customer return: sealed by the PSP",
    "/api/session/open": "trades the login's one-time ticket for the HttpOnly session cookie (api/session.py)",
    "/api/session/close": "clears the session cookie; the logout handler has revoked the token",
}

# Handlers that reach no record of these kinds: each with the reason.
NO_RECORD = {
    ("AccountState", "load_account"): "clears the forms of the viewer's own account page",
    (
        "AccountState",
        "submit_password",
    ): "changes the viewer's own password only (services.access.auth.change_own_password)",
    ("AccountState", "submit_unlock"): "administrators; accounts of their own entity, others read as not found "
    "(services.access.auth.unlock_entity_account, tests/integration/test_account_page.py)",
    ("OrderState", "toggle_ht"): "switches TTC/HT on the loaded page",
    ("MailboxState", "load_mailbox"): "the demo mailbox: administrators only, demo mode only (services.mail.mailbox)",
    ("MailboxState", "open_mail"): "the demo mailbox: administrators only, demo mode only (services.mail.mailbox)",
    ("OrderState", "set_modal_open"): "opens/closes the dialog already loaded",
    ("OrderState", "not_available"): "a notice",
    ("OfferState", "set_tab"): "switches tab",
    ("OfferState", "toggle_ht"): "switches TTC/HT",
    ("OfferState", "start_order"): "opens the tab, or redirects to the order page (which is scoped)",
    ("OfferState", "set_balance_method"): "form field",
    ("OfferState", "set_deposit_method"): "form field",
    ("OfferState", "set_decline_online"): "form field",
    ("OfferState", "cancel_checkout"): "closes the tab",
    ("OfferState", "not_available"): "a notice",
    ("OfferState", "open_customer"): "opens the dialog on the customer already loaded (scoped)",
    ("OfferState", "close_customer"): "closes the dialog",
    ("OfferState", "set_customer_civility"): "form field",
    ("EPaymentsState", "toggle_filter"): "reloads the list, scoped like load_epayments",
    ("EPaymentsState", "reset_filters"): "reloads the list, scoped like load_epayments",
    ("EPaymentsState", "set_sort_label"): "reloads the list, scoped like load_epayments",
    ("EPaymentsState", "load_more"): "next page after the state's cursor, scoped like load_epayments",
    ("EPaymentsState", "open_card"): "a redirect to a page that is itself scoped",
    ("EPaymentsState", "ask_refund"): "picks a card among those already shown (scoped)",
    ("EPaymentsState", "cancel_refund"): "closes the dialog",
    ("CustomerState", "set_civility"): "form field",
    ("EPaymentsState", "clear_narrowing"): "reloads the list, scoped like load_epayments",
    ("OpportunitiesState", "ask_lose"): "picks a row among those already shown (scoped)",
    ("OpportunitiesState", "cancel_lose"): "closes the dialog",
    ("VehiclesState", "ask_sold"): "picks a row among those already shown (scoped)",
    ("VehiclesState", "set_sold_buyer"): "form field",
    ("VehiclesState", "cancel_sold"): "closes the dialog",
}
# Settings: administrators only (test_settings_guard); they edit the entity's own point-of-sale
# PSP configurations (scoped by entity in services.admin.psp_config) and the group's settings.
SETTINGS = {
    ("SettingsHomeState", "load_settings_home"),
    ("OpportunitySettingsState", "load_opportunity_settings"),
    *(
        ("EpayConfigState", n)
        for n in (
            "load_configs",
            "search_configs",
            "open_add",
            "open_edit",
            "dialog_open_changed",
            "set_form_pos",
            "set_form_protocol",
            "submit_config",
            "ask_delete",
            "delete_open_changed",
            "confirm_delete",
        )
    ),
    *(
        ("JourneyState", n)
        for n in ("load_journey", "edit_journey", "cancel_journey", "set_form_contracts", "submit_journey")
    ),
    ("LegalIdentityState", "load_legal_identity"),
    ("LegalIdentityState", "submit_legal_identity"),
    *(
        ("ReservationState", n)
        for n in (
            "load_reservation",
            "edit_reservation",
            "cancel_reservation",
            "set_form_enabled",
            "submit_reservation",
        )
    ),
}


def _states(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _states(sub)


def _all_handlers() -> set[tuple[str, str]]:
    return {
        (cls.__name__, name)
        for cls in [AppState, *_states(AppState)]
        for name in cls.event_handlers
        if name != "setvar" and (cls is AppState or name not in AppState.event_handlers)
    }


# ---------------------------------------------------------------- coverage


def test_every_handler_has_an_entry_in_the_matrix():
    """A new handler must say how it is scoped: a matrix case, or why it reaches no record."""
    classified = set(MATRIX) | set(NO_RECORD) | SETTINGS | set(PUBLIC)
    missing = sorted(f"{state}.{name}" for state, name in _all_handlers() - classified if state not in PUBLIC_STATES)
    assert missing == []
    assert sorted(f"{s}.{n}" for s, n in (set(MATRIX) | set(NO_RECORD) | SETTINGS) - _all_handlers()) == []


def test_every_api_route_has_an_entry_in_the_matrix():
    paths = {route.path for route in API_ROUTES}
    assert paths == set(ROUTE_MATRIX) | set(PUBLIC_ROUTES)
    assert set(ROUTE_MATRIX.values()) <= set(MATRIX)


def test_every_page_with_a_record_in_its_url_loads_through_the_matrix():
    from epay_app.epay_app import app

    checked = []
    for route, page in app._unevaluated_pages.items():
        if "[" not in route or route.lstrip("/").startswith("stock"):  # the public stock: no login
            continue
        handlers = page.on_load if isinstance(page.on_load, list) else [page.on_load]
        keys = {tuple(h.fn.__qualname__.split(".")[-2:]) for h in handlers} - set(PUBLIC)
        assert keys and keys <= set(MATRIX), route
        checked.append(route.lstrip("/"))
    assert {"offres/[offer_number]", "commandes/[order_number]", "clients/[customer_id]"} <= set(checked)


# ---------------------------------------------------------------- the matrix


def _normalised(shown: list[str], rec: Record) -> list[str]:
    text = "\n".join(shown)
    for word in rec.words():
        text = re.sub(rf"(?<![\d_]){re.escape(word)}(?![\d_])", "<record>", text)
    return [re.sub(r"\d{7,}", "<n>", line) for line in text.split("\n")]


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.value.replace(" ", "_"))
@pytest.mark.parametrize("key", list(MATRIX), ids=lambda k: f"{k[0]}.{k[1]}")
def test_scope_matrix(world, fake_refunds, key, group, relation):
    case = MATRIX[key]
    rec = world.record(world.owner_email(group, relation), status=case.status, order=case.order, reserved=case.reserved)
    reached, shown = case.drive(world, group, rec)
    expected = relation in (case.sees or SEES)[group] and group in case.roles and relation in case.on_page
    assert reached == expected, f"{key} by a {group.value} on a record {relation}: reached={reached}"
    if group in case.roles and not expected:
        # Out of scope: exactly what a record that does not exist gets.
        _, shown_missing = case.drive(world, group, MISSING)
        assert _normalised(shown, rec) == _normalised(shown_missing, MISSING)


@pytest.mark.parametrize("tail", ["²", "abc", "-1", "99999999999999"])
def test_a_malformed_number_in_the_url_reads_as_not_found(world, tail):
    from epay_app.pages.order import OrderState

    state = page_state(OrderState, world, G.DIRECTEUR, path=f"/commandes/{tail}")
    run(OrderState, "load_order", state)
    assert state.not_found == "Commande introuvable."


# ---------------------------------------------------------------- the stock of several points of sale


def _stock_page(world, group):
    from epay_app.pages.vehicles import VehiclesState

    state = page_state(VehiclesState, world, group, path="/vehicules")
    run(VehiclesState, "load_vehicles", state)
    return state, {r.id: r for r in state.rows}


@pytest.mark.parametrize("group", [G.DIRECTEUR, G.ADMINISTRATEUR], ids=lambda g: g.value)
def test_a_director_sees_the_vehicles_of_every_point_of_sale_of_the_entity_with_their_point_of_sale(world, group):
    from epay_app import routes

    at_61 = world.record(VIEWER_EMAIL[G.VENDEUR], status=None, order=False)
    at_62 = world.record(OWNER_EMAIL["other_pos"], status=None, order=False)
    elsewhere = world.record(OWNER_EMAIL["other_entity"], status=None, order=False)
    with session_scope(world.url) as s:
        vehicle = s.get(Vehicle, at_62.vehicle_id)
        vehicle.published = True
        s.add(vehicle)
        pos_62 = s.exec(select(PointOfSale).where(PointOfSale.number == 62)).one()
        pos_61_name = s.exec(select(PointOfSale.name).where(PointOfSale.number == 61)).one()
        pos_62_name, pos_62_number = pos_62.name, pos_62.number

    state, rows = _stock_page(world, group)

    assert str(at_61.vehicle_id) in rows and str(at_62.vehicle_id) in rows
    assert str(elsewhere.vehicle_id) not in rows
    assert state.several_points_of_sale
    assert rows[str(at_61.vehicle_id)].point_of_sale == pos_61_name
    assert rows[str(at_62.vehicle_id)].point_of_sale == pos_62_name
    # The online stock link of a vehicle is its own point of sale's.
    assert rows[str(at_62.vehicle_id)].public_href == routes.public_vehicle(pos_62_number, at_62.vehicle_id)


@pytest.mark.parametrize("group", [G.CHEF_DES_VENTES, G.SECRETAIRE, G.VENDEUR], ids=lambda g: g.value)
def test_the_point_of_sale_staff_see_only_their_point_of_sale_vehicles_without_the_point_of_sale(world, group):
    at_61 = world.record(OWNER_EMAIL["same_pos"], status=None, order=False)
    at_62 = world.record(OWNER_EMAIL["other_pos"], status=None, order=False)

    state, rows = _stock_page(world, group)

    assert str(at_61.vehicle_id) in rows
    assert str(at_62.vehicle_id) not in rows
    assert not state.several_points_of_sale


def test_tabs_of_one_session_share_the_lists_live_read_but_an_action_reads_its_own(world, monkeypatch):
    """Issue 15: the tabs of one session a change wakes read the same list once (live.shared_read,
    keyed by the session and the list's query); other filters read apart; an action's reload
    never shares (it must see its own change)."""
    from epay_app.pages import epayments

    paid = world.record(OWNER_EMAIL["same_pos"], status=PaymentStatus.AUTORISE)
    reads = []
    list_page = epayments._list_page

    def counted(*args, **kwargs):
        reads.append(tuple(kwargs["filter_keys"]))
        return list_page(*args, **kwargs)

    monkeypatch.setattr(epayments, "_list_page", counted)
    cls = epayments.EPaymentsState

    def tab(*filter_keys):
        keys, newest = list(filter_keys), SortOrder.NEWEST_FIRST.value
        return page_state(cls, world, G.DIRECTEUR, path="/e-paiements", filter_keys=keys, sort=newest)

    first, second, other = tab("payes"), tab("payes"), tab("a_rembourser")

    async def woken_together():  # as live.watch_events: read outside the state lock, then show
        tabs = (first, second, other)
        reads_ = await asyncio.gather(*(epayments._read_live(t._shown_live()) for t in tabs))
        for tab_state, read in zip(tabs, reads_, strict=True):
            tab_state._show(read)

    asyncio.run(woken_together())
    assert sorted(reads) == [("a_rembourser",), ("payes",)]
    assert str(paid.payment_id) in {c.id for c in first.cards}
    assert first.cards == second.cards
    asyncio.run(first._load())
    assert len(reads) == 3


def test_a_live_refresh_that_changes_nothing_shown_sends_nothing_to_the_browser(world):
    """Issue 15: a change in the viewer's scope wakes the list, but when the page it shows is the
    same after the read, Reflex's delta for the browser is empty (Reflex sends every assigned var,
    equal or not); a change to what the page shows sends the cards."""
    from reflex.state import State
    from reflex_base.constants.state import FIELD_MARKER

    from epay_app.pages import epayments
    from epay_app.services.payment.payments import change_status, lock_payment

    shown = world.record(OWNER_EMAIL["same_pos"], status=PaymentStatus.AUTORISE)
    cancelled = world.record(OWNER_EMAIL["same_pos"], status=PaymentStatus.ENVOYE)
    authorised = world.record(OWNER_EMAIL["same_pos"], status=PaymentStatus.ENVOYE)
    root = State(_reflex_internal_init=True)
    tab = root.get_substate(epayments.EPaymentsState.get_full_name().split(".")[1:])
    token = world.tokens[VIEWER_EMAIL[G.DIRECTEUR]]
    paid_newest_first = epayments.ListQuery(("payes",), "", SortOrder.NEWEST_FIRST, tracking.PAGE_SIZE, None)

    def refresh_after(payment_id: int | None = None, status: PaymentStatus | None = None) -> dict:
        if payment_id is not None and status is not None:
            with session_scope(world.url) as s:
                change_status(s, lock_payment(s, payment_id), status, source="test")
        tab._show(asyncio.run(epayments._read_list(token, None, paid_newest_first)))
        delta = asyncio.run(root._get_resolved_delta())
        root._clean()
        return delta.get(tab.get_full_name(), {})

    cards_var = f"cards{FIELD_MARKER}"  # how Reflex 0.10 names a field in its delta
    first = refresh_after()
    assert str(shown.payment_id) in {card.id for card in first[cards_var]}
    assert refresh_after() == {}
    assert refresh_after(cancelled.payment_id, PaymentStatus.ANNULE) == {}  # not in "payés"
    cards = refresh_after(authorised.payment_id, PaymentStatus.AUTORISE)[cards_var]
    assert cards[0].id == str(authorised.payment_id)
