"""Tracking use cases (F-50..F-55): tile counts, the e-Paiements list, and the card actions.

Every query is scoped on the server to the e-payments the user follows (services.access.scope):
a seller their own, a sales manager and a secretary their point of sale, a director and an
administrator their entity. Counts and pages are single SQL statements served by the indexes
of alembic revision 0006_tracking; the list pages by keyset, never by OFFSET.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Text,
    any_,
    bindparam,
    column,
    func,
    inspect,
    literal_column,
    select,
    table,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col

from ...domain.errors import DomainError, InvalidReference
from ...domain.inputs import clean_text
from ...domain.references import PaymentKind, TransactionReference
from ...domain.roles import REFUND_ROLES, tiles_for
from ...domain.search import MIN_SUBSTRING, normalise
from ...domain.statuses import PaymentStatus
from ...domain.tracking import Narrowing, Scope, SortOrder, TrackingRefused, may_follow, statuses_for
from ...models import Customer, Entity, EPayment, Opportunity, PointOfSale, SalesOrder, User, Vehicle
from ...psp.interface import MoneyBack
from ..access.scope import Viewer, payment_clause, payment_scope_is, scoped_payment, viewer_for  # noqa: F401  (viewer_for: callers' import)
from ..payment.refunds import RefundPlan, RefundResult, refund_payment
from ..payment.refunds import prepare_refund as prepare_refund_of
from ..payment.refunds import record_refund as record_refund_of
from ..sales import checkout

log = logging.getLogger(__name__)

PAGE_SIZE = 20
NO_OPTION = "L'option e-paiement n'est pas activée pour votre entité."


class CardAction(str, Enum):
    """What a card offers the viewer."""

    NONE = ""
    RESEND = "resend"
    REFUND = "refund"


E = inspect(EPayment).local_table


def check_option(viewer: Viewer) -> None:
    if not viewer.epay_option:
        raise TrackingRefused(NO_OPTION)


# ---------------------------------------------------------------- tiles


def tile_counts(session: Session, viewer: Viewer) -> dict[PaymentStatus, int]:
    """The viewer's tiles and their counts, in one conditional-aggregation query.
    No option or no tile: an empty dict (nothing is shown)."""
    tiles = tiles_for(viewer.group)
    if not viewer.epay_option or not tiles:
        return {}
    stmt = select(*[func.count().filter(E.c.status == s.value).label(s.value) for s in tiles]).where(
        payment_clause(viewer), E.c.status.in_([s.value for s in tiles])
    )
    row = session.connection().execute(stmt).one()
    return {s: int(row[i] or 0) for i, s in enumerate(tiles)}


# ---------------------------------------------------------------- list


@dataclass
class Page:
    cards: list[CardFacts]
    next_cursor: str = ""  # empty: no more rows
    statuses: tuple[PaymentStatus, ...] = field(default_factory=tuple)
    search_hint: str = ""


def encode_cursor(moment: datetime, payment_id: int) -> str:
    return f"{moment.isoformat()}|{payment_id}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        moment, payment_id = cursor.rsplit("|", 1)
        if not (payment_id.isascii() and payment_id.isdigit() and len(payment_id) <= 18 and moment.isascii()):
            raise ValueError(cursor)
        return datetime.fromisoformat(moment), int(payment_id)
    except (ValueError, AttributeError, TypeError) as exc:
        raise DomainError("Page demandée invalide.") from exc


class SearchKind(Enum):
    NONE = "none"
    TEXT = "text"  # a substring of the search document
    REFERENCE = "reference"  # a whole transaction number, by its unique index
    NUMBER = "number"  # a short order or opportunity number, exactly


@dataclass(frozen=True)
class Search:
    """What the search box asks for: its kind, the value bound into the statement, or a hint."""

    kind: SearchKind = SearchKind.NONE
    value: str | int = ""
    hint: str = ""


def _whole_reference(query: str) -> str | None:
    """A whole transaction number (either form) is found by its unique index: its trigrams
    ("000", "_00"…) are in every document, so the text index would read them all."""
    try:
        return str(TransactionReference.parse(query))
    except InvalidReference:
        try:
            return str(TransactionReference.from_psp_reference(query))
        except InvalidReference:
            return None


def parse_search(query: str) -> Search:
    """Substrings need three characters; a shorter number matches an order or opportunity
    number exactly."""
    query = clean_text(query, "Recherche")  # NUL, control characters, overlong: a French refusal
    text_q = normalise(query)
    if not text_q:
        return Search()
    reference = _whole_reference(query.strip())
    if reference is not None:
        return Search(SearchKind.REFERENCE, reference)
    if len(text_q) >= MIN_SUBSTRING:
        return Search(SearchKind.TEXT, text_q)
    if text_q.isascii() and text_q.isdigit():
        return Search(SearchKind.NUMBER, int(text_q))
    return Search(hint=f"Saisissez au moins {MIN_SUBSTRING} caractères pour rechercher.")


# The PostgreSQL search table (alembic 0006_tracking, scope and sort columns since 0015_scale_pg).
SEARCH = table(
    "epayment_search",
    column("payment_id", Integer),
    column("entity_id", Integer),
    column("pos_id", Integer),
    column("seller_id", Integer),
    column("status", String),
    column("status_changed_at", DateTime(timezone=True)),
    column("doc", Text),
)


def _search_scope_is(scope: Scope) -> ColumnElement[bool]:
    """The search table's copy of the scope's column equals the bound `scope_value`."""
    return SEARCH.c[scope.value] == _SCOPE_VALUE


def _like_pattern(fragment: str) -> str:
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _bound_search(search: Search, scope: Scope, dialect: str) -> str | int:
    """The value of the `search` parameter for the statement `_hits` builds."""
    if search.kind is not SearchKind.TEXT:
        return search.value
    fragment = str(search.value)
    if dialect != "postgresql":
        return '"' + fragment.replace('"', '""') + '"'  # an FTS5 phrase
    return fragment if scope is Scope.SELLER else _like_pattern(fragment)


def _hits(kind: SearchKind, scope: Scope, dialect: str):
    """A CTE of the ids of the payments matching the bound `search` parameter (within the
    scope, on PostgreSQL), or None without a search."""
    if kind is SearchKind.NONE:
        return None
    if kind is SearchKind.REFERENCE:
        return select(E.c.id).where(E.c.reference == bindparam("search", type_=String)).cte("exact_hits")
    if kind is SearchKind.NUMBER:
        number = bindparam("search", type_=Integer)
        return union_all(
            select(E.c.id).where(E.c.order_id.in_(select(col(SalesOrder.id)).where(col(SalesOrder.number) == number))),
            select(E.c.id).where(
                E.c.opportunity_id.in_(select(col(Opportunity.id)).where(col(Opportunity.number) == number))
            ),
        ).cte("exact_hits")
    term = bindparam("search", type_=String)
    if dialect == "postgresql":
        # A seller's few thousand documents are read from the covering btree of 0019_seller_search:
        # strpos, unlike LIKE, cannot use the trigram index, so the planner takes the btree.
        contains = func.strpos(SEARCH.c.doc, term) > 0 if scope is Scope.SELLER else SEARCH.c.doc.like(term)
        hits = select(SEARCH.c.payment_id.label("id")).where(_search_scope_is(scope), contains)
    else:
        hits = (
            select(literal_column("rowid").label("id"))
            .select_from(table("epayment_fts"))
            .where(text("epayment_fts MATCH :search").bindparams(term))
        )
    return hits.cte("hits").prefix_with("MATERIALIZED")


def search_hits(session: Session, query: str, viewer: Viewer):
    """The export's search, the same as the list's: (a CTE of the ids matching `query` or None,
    the values its statement binds, the hint)."""
    search = parse_search(query)
    dialect = session.get_bind().dialect.name
    params = {"search": _bound_search(search, viewer.scope, dialect), "scope_value": viewer.scope_value}
    return _hits(search.kind, viewer.scope, dialect), params, search.hint


def narrowing_conditions(narrowing: Narrowing | None) -> list:
    """Pilotage's links (F-66): creation period, point of sale, seller — always within the scope."""
    if narrowing is None:
        return []
    conditions = []
    start, end = narrowing.bounds()
    if start is not None:
        conditions.append(E.c.created_at >= start)
    if end is not None:
        conditions.append(E.c.created_at < end)
    if narrowing.pos_id is not None:
        conditions.append(E.c.pos_id == narrowing.pos_id)
    if narrowing.seller_id is not None:
        conditions.append(E.c.seller_id == narrowing.seller_id)
    return conditions


def narrowing_label(session: Session, viewer: Viewer, narrowing: Narrowing) -> str:
    """ "créés du 01/11/2026 au 30/11/2026 · Garage du Centre · Vincent DURAND": names read only
    within the viewer's entity (anything else simply lists nothing)."""
    parts = [narrowing.period_label()]
    if narrowing.pos_id is not None:
        pos = session.get(PointOfSale, narrowing.pos_id)
        parts.append(pos.name if pos is not None and pos.entity_id == viewer.entity_id else "point de vente inconnu")
    if narrowing.seller_id is not None:
        seller = session.get(User, narrowing.seller_id)
        if seller is not None and seller.entity_id == viewer.entity_id:
            parts.append(seller.display_name)
        else:
            parts.append("vendeur inconnu")
    return " · ".join(p for p in parts if p)


@dataclass(frozen=True)
class Shape:
    """What a list statement's SQL depends on; the values (scope, search, cursor, limit) are
    bound parameters, so one statement per shape is built once and reused."""

    scope: Scope
    statuses: tuple[PaymentStatus, ...]
    search: SearchKind
    keyset: bool  # a page after a cursor
    order: SortOrder
    dialect: str


_SCOPE_VALUE = bindparam("scope_value", type_=Integer)
_LIMIT = bindparam("limit", type_=Integer)
_AFTER = tuple_(bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=Integer))


def _ordered(stmt: Select, sort_at, sort_id, shape: Shape) -> Select:
    """`stmt` after the cursor (if any), in the shape's order, cut to the limit."""
    keys = tuple_(sort_at, sort_id)
    if shape.keyset:
        stmt = stmt.where(keys > _AFTER if shape.order is SortOrder.OLDEST_FIRST else keys < _AFTER)
    if shape.order is SortOrder.OLDEST_FIRST:
        return stmt.order_by(sort_at.asc(), sort_id.asc()).limit(_LIMIT)
    return stmt.order_by(sort_at.desc(), sort_id.desc()).limit(_LIMIT)


def _in_scope(shape: Shape, narrowing: Narrowing | None) -> list:
    return [payment_scope_is(shape.scope, _SCOPE_VALUE), *narrowing_conditions(narrowing)]


def ids_statement(shape: Shape, narrowing: Narrowing | None = None) -> Select:
    """The ids of the page, in order. Without a search: per status, the next `limit` rows from
    the scope index in sort order, merged and cut to `limit` — cost ~ statuses × limit, not the
    table size (a multi-value IN cannot walk one index in sort order, hence the branches).
    With a search: one pass over the scope index entries of the wanted statuses (covering: no
    table row is read), each id checked against the hits; only the matches are sorted. On
    SQLite `id + 0` keeps the planner from driving by the hits instead, which would read one
    table row per hit (a common name has thousands)."""
    hits = _hits(shape.search, shape.scope, shape.dialect)
    if hits is not None:
        few = hits.name == "exact_hits"  # a handful of rows: reading them by id is cheapest
        probe = E.c.id if few or shape.dialect == "postgresql" else (E.c.id + 0)
        searched = select(E.c.id, E.c.status_changed_at).where(
            *_in_scope(shape, narrowing),
            E.c.status.in_([s.value for s in shape.statuses]),
            probe.in_(select(hits.c.id)),
        )
        merged = _ordered(searched, E.c.status_changed_at, E.c.id, shape).subquery("merged")
    else:
        branches = [
            _ordered(
                select(E.c.id, E.c.status_changed_at).where(*_in_scope(shape, narrowing), E.c.status == s.value),
                E.c.status_changed_at,
                E.c.id,
                shape,
            ).subquery()
            for s in shape.statuses
        ]
        if len(branches) == 1:
            merged = branches[0]
        else:
            merged = union_all(*[select(b.c.id, b.c.status_changed_at) for b in branches]).subquery("merged")
    direction = "asc" if shape.order is SortOrder.OLDEST_FIRST else "desc"
    sort = [getattr(merged.c.status_changed_at, direction)(), getattr(merged.c.id, direction)()]
    return select(merged.c.id).order_by(*sort).limit(_LIMIT)


def text_ids_statement(shape: Shape) -> Select:
    """PostgreSQL, with a text search beyond a seller's own: the page's ids straight from the
    search table, which holds the scope, status and sort key beside the document. Its GIN index
    (scope columns and trigrams) returns only the viewer's hits; they are filtered on status
    and sorted there, without reading a payment row."""
    stmt = select(SEARCH.c.payment_id.label("id")).where(
        _search_scope_is(shape.scope),
        SEARCH.c.status.in_([s.value for s in shape.statuses]),
        SEARCH.c.doc.like(bindparam("search", type_=String)),
    )
    return _ordered(stmt, SEARCH.c.status_changed_at, SEARCH.c.payment_id, shape)


SELLER = inspect(User).local_table.alias("seller")
# What a card and an export line read, besides the payment row itself.
CARD_COLUMNS: tuple[ColumnElement[Any], ...] = (
    E.c.kind,
    E.c.reference,
    E.c.status,
    E.c.amount_cents,
    E.c.status_changed_at,
    col(SalesOrder.number).label("order_number"),
    col(Opportunity.number).label("opportunity_number"),
    col(Customer.civility).label("civility"),
    col(Customer.first_name).label("customer_first"),
    col(Customer.last_name).label("customer_last"),
    SELLER.c.first_name.label("seller_first"),
    SELLER.c.last_name.label("seller_last"),
    col(Entity.name).label("entity_name"),
    col(PointOfSale.name).label("pos_name"),
)


def with_card_tables(stmt: Select) -> Select:
    """Join, to a statement over the payment table E, the rows CARD_COLUMNS read."""
    return (
        stmt.outerjoin(SalesOrder, col(SalesOrder.id) == E.c.order_id)
        .join(Opportunity, col(Opportunity.id) == E.c.opportunity_id)
        .join(Customer, col(Customer.id) == E.c.customer_id)
        .join(SELLER, SELLER.c.id == E.c.seller_id)
        .join(Vehicle, col(Vehicle.id) == E.c.vehicle_id)
        .join(Entity, col(Entity.id) == E.c.entity_id)
        .join(PointOfSale, col(PointOfSale.id) == E.c.pos_id)
    )


CARD_SELECT = select(
    E.c.id, *CARD_COLUMNS, col(Vehicle.condition), col(Vehicle.make), col(Vehicle.model), col(Vehicle.plate)
)


class CardRow(NamedTuple):
    """A row of CARD_SELECT, its columns in order (a test checks they match). Reading a column of
    a SQLAlchemy Row by name costs ~0.5 µs (a failed attribute lookup, then its __getattr__), ten
    times a named tuple's; a card reads nineteen."""

    id: int
    kind: str
    reference: str
    status: str
    amount_cents: int
    status_changed_at: datetime
    order_number: int | None
    opportunity_number: int | None
    civility: str
    customer_first: str
    customer_last: str
    seller_first: str
    seller_last: str
    entity_name: str
    pos_name: str
    condition: str
    make: str
    model: str
    plate: str | None


# PostgreSQL, with Pilotage's narrowing: the cards of a page's ids (whose statement, a single
# table's, is cheap to plan; the narrowing's dates make its text change).
CARDS_BY_IDS = with_card_tables(CARD_SELECT.select_from(E)).where(
    E.c.id == any_(bindparam("ids", type_=ARRAY(Integer)))
)


def _page_ids(shape: Shape, narrowing: Narrowing | None) -> Select:
    # Pilotage's narrowing reads the payment rows (creation date): not the search table alone.
    search_table_only = (
        shape.dialect == "postgresql"
        and shape.search is SearchKind.TEXT
        and shape.scope is not Scope.SELLER
        and narrowing is None
    )
    return text_ids_statement(shape) if search_table_only else ids_statement(shape, narrowing)


def page_statement(shape: Shape, narrowing: Narrowing | None = None) -> Select:
    """The page's ids joined to what a card shows, in one statement. On PostgreSQL its plan is
    the generic one the read engine keeps (db.py): planning this join of nine tables at each
    call would cost ten times running it."""
    top = _page_ids(shape, narrowing).subquery("top")
    stmt = with_card_tables(CARD_SELECT.select_from(top).join(E, E.c.id == top.c.id))
    if shape.order is SortOrder.OLDEST_FIRST:
        return stmt.order_by(E.c.status_changed_at.asc(), E.c.id.asc())
    return stmt.order_by(E.c.status_changed_at.desc(), E.c.id.desc())


def _by_ids(shape: Shape, narrowing: Narrowing | None) -> bool:
    """PostgreSQL with Pilotage's narrowing: the ids, then CARDS_BY_IDS (see there)."""
    return shape.dialect == "postgresql" and narrowing is not None


def _statement(shape: Shape, narrowing: Narrowing | None) -> Select:
    return _page_ids(shape, narrowing) if _by_ids(shape, narrowing) else page_statement(shape, narrowing)


@lru_cache(maxsize=512)
def _shared_statement(shape: Shape) -> Select:
    """Building a statement costs more Python time than the database takes to run it (~1 ms
    against 0.5 ms at a million payments): without Pilotage's narrowing, one per shape (whose
    text stays the same, so the driver prepares it)."""
    return _statement(shape, None)


def _page_rows(
    session: Session,
    viewer: Viewer,
    statuses: tuple[PaymentStatus, ...],
    search: Search,
    after: tuple[datetime, int] | None,
    order: SortOrder,
    limit: int,
    narrowing: Narrowing | None = None,
) -> list[CardRow]:
    dialect = session.get_bind().dialect.name
    shape = Shape(viewer.scope, statuses, search.kind, after is not None, order, dialect)
    stmt = _shared_statement(shape) if narrowing is None else _statement(shape, narrowing)
    params: dict[str, Any] = {"scope_value": viewer.scope_value, "limit": limit}
    if after is not None:
        params["after_at"], params["after_id"] = after
    if search.kind is not SearchKind.NONE:
        params["search"] = _bound_search(search, viewer.scope, dialect)
    conn = session.connection()
    if not _by_ids(shape, narrowing):
        return [CardRow._make(row) for row in conn.execute(stmt, params).all()]
    ids = conn.execute(stmt, params).scalars().all()
    if not ids:
        return []
    rows = conn.execute(CARDS_BY_IDS, {"ids": list(ids)}).all()
    by_id = {row.id: CardRow._make(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


class CardFacts(NamedTuple):
    """One payment of the list, as facts: codes, cents, UTC. pages/payment_cards.py words them.
    A named tuple, immutable as a frozen dataclass but built in ~1 µs rather than ~3.5 µs (whose
    __init__ sets each of the seventeen fields through object.__setattr__)."""

    id: int
    kind: PaymentKind
    reference: str
    status: PaymentStatus
    order_number: int | None  # a deposit's order
    opportunity_number: int | None  # a reservation's opportunity
    condition: str  # "Neuf" / "Occasion", as stored on the vehicle
    make: str
    model: str
    plate: str
    seller: str  # first and last name
    customer: str  # civility, first and last name
    entity: str
    pos: str
    amount_cents: int
    status_changed_at: datetime
    action: CardAction


# A stored code's member by a dict lookup: calling the Enum (its metaclass's __call__) costs
# ~0.5 µs, and a page converts forty codes.
_STATUS_OF_CODE = {s.value: s for s in PaymentStatus}
_KIND_OF_CODE = {k.value: k for k in PaymentKind}


def card(row: CardRow, viewer: Viewer) -> CardFacts:
    status = _STATUS_OF_CODE[row.status]
    kind = _KIND_OF_CODE[row.kind]
    action = CardAction.NONE
    if status is PaymentStatus.ENVOYE and kind is PaymentKind.DEPOSIT:
        action = CardAction.RESEND
    elif status is PaymentStatus.A_REMBOURSER and viewer.group in REFUND_ROLES:
        action = CardAction.REFUND
    return CardFacts(
        id=row.id,
        kind=kind,
        reference=row.reference,
        status=status,
        order_number=row.order_number if kind is PaymentKind.DEPOSIT else None,
        opportunity_number=row.opportunity_number if kind is not PaymentKind.DEPOSIT else None,
        condition=row.condition,
        make=row.make,
        model=row.model,
        plate=row.plate or "",
        seller=f"{row.seller_first} {row.seller_last}",
        customer=" ".join(p for p in (row.civility, row.customer_first, row.customer_last) if p),
        entity=row.entity_name,
        pos=row.pos_name,
        amount_cents=row.amount_cents,
        status_changed_at=row.status_changed_at,
        action=action,
    )


def list_payments(
    session: Session,
    viewer: Viewer,
    *,
    filter_keys: list[str] | None = None,
    query: str = "",
    order: SortOrder = SortOrder.OLDEST_FIRST,
    after: str = "",
    limit: int = PAGE_SIZE,
    narrowing: Narrowing | None = None,
) -> Page:
    """A page of the cards the viewer follows. Raises TrackingRefused for a status the
    viewer's group may not follow, or without the e-paiement option."""
    check_option(viewer)
    statuses = statuses_for(viewer.group, list(filter_keys or []))
    bound = decode_cursor(after) if after else None
    search = parse_search(query)
    rows = _page_rows(session, viewer, tuple(statuses), search, bound, order, limit + 1, narrowing)
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].status_changed_at, rows[-1].id) if more and rows else ""
    return Page(cards=[card(r, viewer) for r in rows], next_cursor=cursor, statuses=statuses, search_hint=search.hint)


def data_version(session: Session) -> tuple:
    """Changes whenever a payment is created or changes status: two index lookups."""
    stmt = select(
        select(func.max(E.c.status_changed_at)).scalar_subquery(),
        select(func.max(E.c.id)).scalar_subquery(),
    )
    row = session.connection().execute(stmt).one()
    return (str(row[0]), row[1])


# ---------------------------------------------------------------- actions


def _followed_payment(session: Session, viewer: Viewer, payment_id: int) -> EPayment:
    check_option(viewer)
    payment = scoped_payment(session, viewer, payment_id)
    session.refresh(payment)
    if not may_follow(viewer.group, PaymentStatus(payment.status)):
        raise TrackingRefused("Accès refusé : votre profil ne suit pas cet e-Paiement.")
    return payment


def resend_link(session: Session, viewer: Viewer, payment_id: int) -> str:
    """ "Renvoyer le lien" from a card: the order page's resend (same rules, same cooldown),
    once the card is known to be one the viewer follows."""
    payment = _followed_payment(session, viewer, payment_id)
    if payment.status != PaymentStatus.ENVOYE.value or payment.order_id is None:
        raise DomainError("Seul un e-Acompte en attente peut être renvoyé.")
    order = session.get(SalesOrder, payment.order_id)
    user = session.get(User, viewer.user_id)
    assert order is not None and user is not None  # the payment's order; the signed-in viewer
    checkout.resend_link(session, order_number=order.number, user=user)
    log.info("link of %s resent by %s", payment.reference, viewer.display_name)
    return "Le lien de paiement a été renvoyé au client."


def prepare_refund(session: Session, viewer: Viewer, payment_id: int) -> RefundPlan | RefundResult:
    """ "Rembourser", first step: the checks for the viewer, then refunds.prepare_refund (the
    caller's unit of work commits before the PSP call)."""
    if viewer.group not in REFUND_ROLES:
        raise TrackingRefused("Accès refusé : votre profil ne permet pas de rembourser.")
    payment = _followed_payment(session, viewer, payment_id)
    if payment.status != PaymentStatus.A_REMBOURSER.value:
        raise DomainError("Seul un e-Paiement « À rembourser » peut être remboursé.")
    return prepare_refund_of(session, payment_id, viewer.display_name)


def refund_message(result: RefundResult) -> str:
    if not result.ok:
        raise DomainError(result.message)
    return result.message


def record_refund(session: Session, plan: RefundPlan, answer: MoneyBack) -> str:
    """ "Rembourser", last step: the PSP's answer recorded; its French message, or a DomainError."""
    return refund_message(record_refund_of(session, plan, answer))


async def refund(session: Session, viewer: Viewer, payment_id: int) -> str:
    """ "Rembourser" with one session the caller holds (tests, scripts): the same steps, the
    session's transaction ended before the PSP call, its database work in worker threads."""
    if viewer.group not in REFUND_ROLES:
        raise TrackingRefused("Accès refusé : votre profil ne permet pas de rembourser.")
    payment = await asyncio.to_thread(_followed_payment, session, viewer, payment_id)
    if payment.status != PaymentStatus.A_REMBOURSER.value:
        raise DomainError("Seul un e-Paiement « À rembourser » peut être remboursé.")
    return refund_message(await refund_payment(session, payment_id, viewer.display_name))
