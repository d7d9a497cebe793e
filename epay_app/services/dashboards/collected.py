"""Totals collected per week (F-63), for the chart on the home page.

"Collected" = the amounts of the payments the PSP authorised — still Autorisé, or since moved to
À rembourser or Remboursé (the money was taken that week) — bucketed by the Paris week (Monday
00:00) of their authorisation, over the last N weeks, scoped like the tiles. One GROUP BY query;
the week boundaries are computed here (DST-correct) and compared in SQL with a CASE, which
works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session

from ...domain.dates import PARIS, as_utc, utcnow
from ...domain.money import format_eur
from ...domain.roles import GroupType
from ...domain.statuses import PaymentStatus
from ..access.scope import Viewer, payment_clause
from .tracking import E

CHART_ROLES = frozenset({GroupType.DIRECTEUR, GroupType.CHEF_DES_VENTES, GroupType.ADMINISTRATEUR})
COLLECTED = (PaymentStatus.AUTORISE, PaymentStatus.A_REMBOURSER, PaymentStatus.REMBOURSE)
WEEKS = 12


@dataclass(frozen=True)
class WeekTotal:
    monday: date  # Paris date of the week's Monday
    cents: int

    @property
    def label(self) -> str:
        return f"{self.monday:%d/%m}"


def week_starts(now: datetime, weeks: int = WEEKS) -> list[datetime]:
    """UTC instants of the Paris Mondays 00:00 of the last `weeks` weeks (the current one last),
    then the next Monday (the end bound)."""
    today = as_utc(now).astimezone(PARIS).date()
    monday = today - timedelta(days=today.weekday())
    days = [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks + 1)]
    return [datetime.combine(d, time(0), tzinfo=PARIS).astimezone(as_utc(now).tzinfo) for d in days]


def weekly_collected(
    session: Session, viewer: Viewer, now: datetime | None = None, weeks: int = WEEKS
) -> list[WeekTotal]:
    """One total per week, oldest first, zero weeks included; [] for the roles without the chart
    or without the e-paiement option."""
    if viewer.group not in CHART_ROLES or not viewer.epay_option:
        return []
    bounds = week_starts(now or utcnow(), weeks)
    at = E.c.authorised_at
    week = case(*[(at >= bounds[i], i) for i in range(weeks - 1, 0, -1)], else_=0).label("week")
    inner = (
        select(week, E.c.amount_cents)
        .where(
            payment_clause(viewer),
            E.c.status.in_([s.value for s in COLLECTED]),
            at >= bounds[0],
            at < bounds[-1],
        )
        .subquery("collected")
    )
    # GROUP BY the subquery's column: PostgreSQL would not match two copies of the CASE's parameters.
    stmt = select(inner.c.week, func.sum(inner.c.amount_cents)).group_by(inner.c.week)
    totals = {int(w): int(c or 0) for w, c in session.connection().execute(stmt).all()}
    mondays = [as_utc(b).astimezone(PARIS).date() for b in bounds[:-1]]
    return [WeekTotal(monday, totals.get(i, 0)) for i, monday in enumerate(mondays)]


def chart_rows(totals: list[WeekTotal]) -> list[dict]:
    """What the bar chart plots: euros as a number (display only; money stays in cents)."""
    return [{"semaine": t.label, "total": t.cents / 100, "montant": format_eur(t.cents)} for t in totals]
