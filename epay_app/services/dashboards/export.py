"""CSV export of the e-Paiements list (F-63): exactly the list's filters, search and scope, every
page, one SQL statement streamed in chunks; `;`-separated, UTF-8 with a BOM, amounts "500,00",
so that Excel in French opens it as is.

The browser reaches the export through a plain GET (a download), which carries no Reflex
session: the guarded "Exporter (CSV)" handler mints a short-lived signed ticket for the user,
and the route re-reads that user (still active) and scopes everything on them, as the list does.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from ...config import Settings, get_settings
from ...domain.dates import PARIS, as_utc, utcnow
from ...domain.errors import DomainError
from ...domain.inputs import ascii_int
from ...domain.references import PaymentKind
from ...domain.statuses import PaymentStatus
from ...domain.tracking import Narrowing, SortOrder, statuses_for
from ...models import User
from ..access.scope import Viewer, payment_clause
from ..admin.secrets import master_keys
from .tracking import CARD_COLUMNS, E, check_option, narrowing_conditions, search_hits, with_card_tables

PATH = "/api/e-paiements/export.csv"
TICKET_SECONDS = 60
HEADERS = (
    "Type",
    "N° transaction",
    "Commande/Opportunité",
    "Statut",
    "Client",
    "Vendeur",
    "Entité",
    "Point de vente",
    "Montant TTC",
    "Date",
)
BOM = "\ufeff"
CHUNK_ROWS = 500


_TICKET = re.compile(r"([0-9]{1,18})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})", re.ASCII)
# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): prefixed with a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TicketInvalid(DomainError):
    pass


def neutralise(cell: str) -> str:
    """'=HYPERLINK(…)' → "'=HYPERLINK(…)": shown as text by Excel and LibreOffice."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


# ---------------------------------------------------------------- ticket


def _secret(settings: Settings) -> bytes:
    base = settings.link_secret.encode() if settings.link_secret else master_keys(settings)[0].encode()
    return hmac.new(base, b"epay:export:v1", hashlib.sha256).digest()


def _sign(settings: Settings, user_id: int, expiry: int) -> str:
    digest = hmac.new(_secret(settings), f"{user_id}.{expiry}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_ticket(user_id: int, *, now: datetime | None = None, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    expiry = int((now or utcnow()).timestamp()) + TICKET_SECONDS
    return f"{user_id}.{expiry}.{_sign(settings, user_id, expiry)}"


def user_for_ticket(
    session: Session, ticket: str, *, now: datetime | None = None, settings: Settings | None = None
) -> User:
    settings = settings or get_settings()
    match = _TICKET.fullmatch(ticket) if isinstance(ticket, str) and len(ticket) <= 100 else None
    user_id, expiry = (ascii_int(match[1]), ascii_int(match[2])) if match else (None, None)
    # ASCII digits only: "٣٤" is not another spelling of 34
    if match is None or user_id is None or expiry is None:
        raise TicketInvalid("Lien d'export invalide.")
    if not hmac.compare_digest(_sign(settings, user_id, expiry), match[3]):
        raise TicketInvalid("Lien d'export invalide.")
    if (now or utcnow()).timestamp() >= expiry:
        raise TicketInvalid("Lien d'export expiré : cliquez à nouveau sur « Exporter (CSV) ».")
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise TicketInvalid("Lien d'export invalide.")
    return user


# ---------------------------------------------------------------- rows


def export_statement(
    session: Session,
    viewer: Viewer,
    *,
    filter_keys: list[str] | None = None,
    query: str = "",
    order: SortOrder = SortOrder.OLDEST_FIRST,
    narrowing: Narrowing | None = None,
):
    """The whole filtered list in one statement, in the list's order. Raises TrackingRefused
    like the list (no option, a status the viewer does not follow)."""
    check_option(viewer)
    statuses = statuses_for(viewer.group, list(filter_keys or []))
    hits, search_params, _hint = search_hits(session, query, viewer)
    stmt = with_card_tables(select(*CARD_COLUMNS).select_from(E)).where(
        payment_clause(viewer), E.c.status.in_([s.value for s in statuses]), *narrowing_conditions(narrowing)
    )
    if hits is not None:
        stmt = stmt.where(E.c.id.in_(select(hits.c.id))).params(search_params)
    if order is SortOrder.OLDEST_FIRST:
        return stmt.order_by(E.c.status_changed_at.asc(), E.c.id.asc())
    return stmt.order_by(E.c.status_changed_at.desc(), E.c.id.desc())


def amount_text(cents: int) -> str:
    """500,00 — no currency sign, no thousands separator: a number for Excel in French."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def date_text(moment: datetime | None) -> str:
    return "" if moment is None else f"{as_utc(moment).astimezone(PARIS):%d/%m/%Y %H:%M}"


def row_values(row) -> list[str]:
    kind = PaymentKind(row.kind)
    number = row.order_number if kind is PaymentKind.DEPOSIT else row.opportunity_number
    return [
        kind.label,
        row.reference,
        "" if number is None else str(number),
        PaymentStatus(row.status).label,
        " ".join(p for p in (row.civility, row.customer_first, row.customer_last) if p),
        f"{row.seller_first} {row.seller_last}",
        row.entity_name,
        row.pos_name,
        amount_text(row.amount_cents),
        date_text(row.status_changed_at),
    ]


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([neutralise(c) for c in row] for row in rows)
    return buffer.getvalue()


def csv_chunks(session: Session, stmt) -> Iterator[str]:
    """BOM + header, then the rows CHUNK_ROWS at a time, read from one streamed result."""
    yield BOM + csv_text([list(HEADERS)])
    result = session.connection().execution_options(yield_per=CHUNK_ROWS).execute(stmt)
    for partition in result.partitions():
        yield csv_text([row_values(r) for r in partition])


def filename(now: datetime | None = None) -> str:
    local = as_utc(now or utcnow()).astimezone(PARIS)
    return f"e-paiements-{local:%Y%m%d-%H%M}.csv"
