"""Pilotage (F-66): the managers' e-payment dashboard, for the directeur and the chef des ventes.

Everything is over the e-payments the viewer follows (services.access.scope.payment_clause, as the
e-Paiements list) created in the chosen period (domain.tracking.Narrowing). Each figure comes
from one scoped SQL statement aggregated in the database (conditional aggregation, GROUP BY,
window functions for the median), written the same for SQLite and PostgreSQL:

- requested: every e-payment created in the period ("Tous les e-Paiements");
- collected: the money the PSP took — Autorisé, À rembourser or Remboursé (as the home chart);
- to refund / refunded: À rembourser / Remboursé;
- conversion: collected ÷ requested (sent → paid); median time to pay: from the link's sending
  to the authorisation, over the collected ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, case, extract, func, literal, literal_column, select
from sqlmodel import Session, col

from ...domain.dates import PARIS, as_utc
from ...domain.errors import DomainError
from ...domain.roles import GroupType
from ...domain.statuses import PaymentStatus
from ...domain.tracking import FILTERS, Narrowing, TrackingRefused
from ...models import PointOfSale, User
from ..access.scope import Viewer, payment_clause
from .collected import COLLECTED
from .tracking import NO_OPTION, E, narrowing_conditions

PILOT_ROLES = frozenset({GroupType.DIRECTEUR, GroupType.CHEF_DES_VENTES})
REFUSED = "Accès refusé : le pilotage est réservé aux directeurs et aux chefs des ventes."
NEEDS_PERIOD = "Choisissez une période (du … au …)."
S = PaymentStatus
# Each figure opens the e-Paiements list with these "Afficher:" filters (and the same narrowing).
FIGURE_FILTERS: dict[str, tuple[str, ...]] = {
    "requested": (),
    "collected": ("payes", "a_rembourser", "rembourses"),
    "to_refund": ("a_rembourser",),
    "refunded": ("rembourses",),
}


@dataclass
class Figures:
    requested: int = 0
    requested_cents: int = 0
    collected: int = 0
    collected_cents: int = 0
    to_refund: int = 0
    to_refund_cents: int = 0
    refunded: int = 0
    refunded_cents: int = 0
    median_seconds: float | None = None
    by_filter: dict[str, int] = field(default_factory=dict)  # the list's "Afficher:" keys → count

    @property
    def conversion(self) -> float | None:
        return self.collected / self.requested if self.requested else None


@dataclass
class Row:
    key: int  # point of sale or seller id
    name: str
    figures: Figures


@dataclass
class Week:
    monday: date
    requested_cents: int
    collected_cents: int


def check_viewer(viewer: Viewer, narrowing: Narrowing) -> None:
    if viewer.group not in PILOT_ROLES:
        raise TrackingRefused(REFUSED)
    if not viewer.epay_option:
        raise TrackingRefused(NO_OPTION)
    if narrowing.day_from is None or narrowing.day_to is None:
        raise DomainError(NEEDS_PERIOD)


def _in(statuses) -> ColumnElement[bool]:
    return E.c.status.in_([s.value for s in statuses])


def _aggregates():
    """The figures' columns, one conditional aggregate each."""
    zero = literal(0)
    columns = [
        func.count().label("requested"),
        func.coalesce(func.sum(E.c.amount_cents), zero).label("requested_cents"),
        func.count().filter(_in(COLLECTED)).label("collected"),
        func.coalesce(func.sum(E.c.amount_cents).filter(_in(COLLECTED)), zero).label("collected_cents"),
        func.count().filter(_in([S.A_REMBOURSER])).label("to_refund"),
        func.coalesce(func.sum(E.c.amount_cents).filter(_in([S.A_REMBOURSER])), zero).label("to_refund_cents"),
        func.count().filter(_in([S.REMBOURSE])).label("refunded"),
        func.coalesce(func.sum(E.c.amount_cents).filter(_in([S.REMBOURSE])), zero).label("refunded_cents"),
    ]
    columns += [func.count().filter(_in(f.statuses)).label(f"n_{f.key}") for f in FILTERS]
    return columns


def _figures(row) -> Figures:
    return Figures(
        requested=int(row.requested),
        requested_cents=int(row.requested_cents),
        collected=int(row.collected),
        collected_cents=int(row.collected_cents),
        to_refund=int(row.to_refund),
        to_refund_cents=int(row.to_refund_cents),
        refunded=int(row.refunded),
        refunded_cents=int(row.refunded_cents),
        by_filter={f.key: int(getattr(row, f"n_{f.key}")) for f in FILTERS},
    )


def _where(viewer: Viewer, narrowing: Narrowing) -> list:
    return [payment_clause(viewer), *narrowing_conditions(narrowing)]


def _seconds_to_pay(session: Session):
    sent = func.coalesce(E.c.sent_at, E.c.created_at)
    if session.get_bind().dialect.name == "postgresql":
        return extract("epoch", E.c.authorised_at - sent)
    return (func.julianday(E.c.authorised_at) - func.julianday(sent)) * 86400.0


def _medians(session: Session, viewer: Viewer, narrowing: Narrowing, group) -> dict:
    """Median time to pay per group (None: the whole scope), by row numbers over the sorted
    durations — the same statement on both databases (no percentile_cont in SQLite)."""
    key = (group if group is not None else literal_column("0")).label("grp")
    seconds = _seconds_to_pay(session).label("seconds")
    durations = (
        select(
            key,
            seconds,
            func.row_number().over(partition_by=key, order_by=seconds).label("rn"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(*_where(viewer, narrowing), _in(COLLECTED), E.c.authorised_at.is_not(None))
        .subquery("durations")
    )
    d = durations.c
    stmt = select(d.grp, func.avg(d.seconds)).where(d.rn.in_([(d.n + 1) // 2, (d.n + 2) // 2])).group_by(d.grp)
    return {grp: float(value) for grp, value in session.connection().execute(stmt).all() if value is not None}


def totals(session: Session, viewer: Viewer, narrowing: Narrowing) -> Figures:
    check_viewer(viewer, narrowing)
    row = session.connection().execute(select(*_aggregates()).where(*_where(viewer, narrowing))).one()
    figures = _figures(row)
    figures.median_seconds = _medians(session, viewer, narrowing, None).get(0)
    return figures


def _grouped(session: Session, viewer: Viewer, narrowing: Narrowing, column, named) -> list[Row]:
    check_viewer(viewer, narrowing)
    stmt = select(column.label("grp"), *_aggregates()).where(*_where(viewer, narrowing)).group_by(column)
    rows = session.connection().execute(stmt).all()
    medians = _medians(session, viewer, narrowing, column)
    names = named([r.grp for r in rows])
    out = []
    for r in rows:
        figures = _figures(r)
        figures.median_seconds = medians.get(r.grp)
        out.append(Row(int(r.grp), names.get(r.grp, ""), figures))
    return sorted(out, key=lambda row: (row.name.lower(), row.key))


def by_point_of_sale(session: Session, viewer: Viewer, narrowing: Narrowing) -> list[Row]:
    def named(ids):
        stmt = select(col(PointOfSale.id), col(PointOfSale.name)).where(col(PointOfSale.id).in_(ids))
        rows = session.connection().execute(stmt).all()
        return dict(rows)

    return _grouped(session, viewer, narrowing, E.c.pos_id, named)


def by_seller(session: Session, viewer: Viewer, narrowing: Narrowing) -> list[Row]:
    def named(ids):
        stmt = select(col(User.id), col(User.first_name), col(User.last_name)).where(col(User.id).in_(ids))
        rows = session.connection().execute(stmt).all()
        return {i: f"{first} {last}" for i, first, last in rows}

    return _grouped(session, viewer, narrowing, E.c.seller_id, named)


def week_mondays(narrowing: Narrowing) -> list[date]:
    assert narrowing.day_from is not None and narrowing.day_to is not None  # check_viewer asked for both
    first = narrowing.day_from - timedelta(days=narrowing.day_from.weekday())
    count = (narrowing.day_to - first).days // 7 + 1
    return [first + timedelta(weeks=i) for i in range(count)]


def weekly(session: Session, viewer: Viewer, narrowing: Narrowing) -> list[Week]:
    """Requested and collected amounts per Paris week of creation over the period (zero weeks
    included). One GROUP BY; the week bounds computed here (DST-correct), compared in SQL."""
    check_viewer(viewer, narrowing)
    mondays = week_mondays(narrowing)
    bounds = [datetime.combine(m, time(0), tzinfo=PARIS) for m in mondays]
    at = E.c.created_at
    week = case(*[(at >= as_utc(bounds[i]), i) for i in range(len(bounds) - 1, 0, -1)], else_=0).label("week")
    inner = select(week, E.c.amount_cents, E.c.status).where(*_where(viewer, narrowing)).subquery("weekly")
    stmt = select(
        inner.c.week,
        func.sum(inner.c.amount_cents),
        func.coalesce(func.sum(inner.c.amount_cents).filter(inner.c.status.in_([s.value for s in COLLECTED])), 0),
    ).group_by(inner.c.week)
    found = {int(w): (int(r or 0), int(c or 0)) for w, r, c in session.connection().execute(stmt).all()}
    return [Week(m, *found.get(i, (0, 0))) for i, m in enumerate(mondays)]
