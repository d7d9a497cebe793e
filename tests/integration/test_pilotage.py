"""Pilotage (F-66): every figure is the count and the amount of the e-Paiements list opened by its
link (same statuses, same period, point of sale or seller), for a directeur and a chef des
ventes, on SQLite and PostgreSQL; the median time to pay; the refusal for the other profiles."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from sqlmodel import select

from epay_app.db import reset_engines, session_scope
from epay_app.domain.dates import utcnow
from epay_app.domain.errors import DomainError
from epay_app.domain.statuses import PaymentStatus
from epay_app.domain.tracking import Narrowing, TrackingRefused
from epay_app.models import EPayment, PointOfSale, User
from epay_app.services.access.scope import viewer_for
from epay_app.services.dashboards import pilotage, tracking
from epay_app.services.demo import demo_data
from tests.support import database
from tests.support.payments import add_payment

S = PaymentStatus


@pytest.fixture(scope="module", params=database.backends())
def url(request, tmp_path_factory):
    url = database.create_migrated_database(request.param, tmp_path_factory.mktemp("pilotage"))
    with session_scope(url) as s:
        demo_data.seed(s, activity=True)
        pos62 = s.exec(select(PointOfSale).where(PointOfSale.number == 62)).one()
        seller62 = User(
            first_name="Paul",
            last_name="SOIXANTEDEUX",
            email="paul62@pilotage.test",
            password_hash="x",
            group_type="vendeur",
            entity_id=pos62.entity_id,
            pos_id=pos62.id,
        )
        s.add(seller62)
        s.flush()
        for status, cents, hours in [
            (S.AUTORISE, 10_000, 1),
            (S.AUTORISE, 20_000, 2),
            (S.A_REMBOURSER, 30_000, 10),
            (S.REMBOURSE, 40_000, 30),
            (S.ENVOYE, 50_000, None),
            (S.REJETE, 60_000, None),
            (S.ERREUR, 70_000, None),
            (S.ANNULE, 80_000, None),
        ]:
            add_payment(s, seller62, status, cents, timedelta(days=3), timedelta(hours=hours or 1))
        add_payment(s, seller62, S.AUTORISE, 99_000, timedelta(days=200))  # outside the period
    yield url
    reset_engines()
    database.drop_database(url)


def _viewer(s, email):
    return viewer_for(s, s.exec(select(User).where(User.email == email)).one())


def _listed(s, viewer, keys, narrowing) -> tuple[int, int]:
    """What the e-Paiements list shows for these filters: its number of cards and their amount."""
    page = tracking.list_payments(s, viewer, filter_keys=list(keys), narrowing=narrowing, limit=100_000)
    ids = [c.id for c in page.cards]
    cents = sum(s.exec(select(EPayment.amount_cents).where(EPayment.id.in_(ids))).all()) if ids else 0
    return len(ids), cents


def _period() -> Narrowing:
    today = utcnow().date()
    return Narrowing(today - timedelta(days=30), today + timedelta(days=1))


def _assert_figures_match_the_list(s, viewer, figures: pilotage.Figures, narrowing: Narrowing) -> None:
    for name, keys in pilotage.FIGURE_FILTERS.items():
        count, cents = getattr(figures, name), getattr(figures, f"{name}_cents")
        assert _listed(s, viewer, keys, narrowing) == (count, cents), name
    for key, count in figures.by_filter.items():
        assert _listed(s, viewer, [key], narrowing)[0] == count, key


@pytest.mark.parametrize("email", ["directeur@openflex.demo", "chef@openflex.demo"])
def test_every_figure_equals_the_lists_count_and_amount_for_the_same_filters(url, email):
    narrowing = _period()
    with session_scope(url, write=False) as s:
        viewer = _viewer(s, email)
        totals = pilotage.totals(s, viewer, narrowing)
        _assert_figures_match_the_list(s, viewer, totals, narrowing)
        rows = pilotage.by_point_of_sale(s, viewer, narrowing)
        for row in rows:
            narrowed = Narrowing(narrowing.day_from, narrowing.day_to, pos_id=row.key)
            _assert_figures_match_the_list(s, viewer, row.figures, narrowed)
        sellers = pilotage.by_seller(s, viewer, narrowing)
        for row in sellers:
            narrowed = Narrowing(narrowing.day_from, narrowing.day_to, seller_id=row.key)
            _assert_figures_match_the_list(s, viewer, row.figures, narrowed)
        weeks = pilotage.weekly(s, viewer, narrowing)
    assert sum(r.figures.requested for r in rows) == sum(r.figures.requested for r in sellers) == totals.requested
    assert sum(w.requested_cents for w in weeks) == totals.requested_cents
    assert sum(w.collected_cents for w in weeks) == totals.collected_cents
    if email.startswith("directeur"):  # the entity: the demo activity at 61 and the payments at 62
        assert len(rows) == 2 and totals.requested == 5 + 8
        row62 = next(r for r in rows if r.figures.requested == 8)
        assert (row62.figures.collected, row62.figures.collected_cents) == (4, 100_000)
        assert (row62.figures.to_refund_cents, row62.figures.refunded_cents) == (30_000, 40_000)
        assert row62.figures.conversion == 0.5
        assert row62.figures.median_seconds == pytest.approx(6 * 3600, abs=1)  # 1 h, 2 h, 10 h, 30 h
        assert row62.figures.by_filter == {
            "a_rembourser": 1,
            "en_attente": 1,
            "payes": 2,
            "rembourses": 1,
            "annules": 1,
            "refuses": 2,
        }
    else:  # their point of sale only
        assert len(rows) == 1 and totals.requested == 5


@pytest.mark.parametrize("email", ["vendeur@openflex.demo", "secretaire@openflex.demo", "admin@openflex.demo"])
def test_the_other_profiles_are_refused(url, email):
    refused = pytest.raises(TrackingRefused, match="réservé aux directeurs et aux chefs des ventes")
    with session_scope(url, write=False) as s, refused:
        pilotage.totals(s, _viewer(s, email), _period())


def test_a_period_is_required_and_bad_dates_are_refused_in_french(url):
    with session_scope(url, write=False) as s, pytest.raises(DomainError, match="Choisissez une période"):
        pilotage.totals(s, _viewer(s, "directeur@openflex.demo"), Narrowing())
    for params in ({"du": "2026-02-30"}, {"du": "2026-03-02", "au": "2026-03-01"}, {"au": "٢٠٢٦-01-01"}):
        with pytest.raises(TrackingRefused, match=r"^Période invalide"):
            Narrowing.parse(params)
    with pytest.raises(TrackingRefused, match=r"^Point de vente invalide\.$"):
        Narrowing.parse({"pdv": "-1"})


def test_the_table_export_neutralises_formulas_and_keeps_every_figure(url):
    from epay_app.pages.pilotage import table_csv, table_rows

    narrowing = _period()
    with session_scope(url, write=False) as s:
        rows = pilotage.by_point_of_sale(s, _viewer(s, "directeur@openflex.demo"), narrowing)
    rows[0].name = '=HYPERLINK("http://evil")'
    text = table_csv(table_rows(rows, narrowing, "pos_id"), [], "du 01/11/2026 au 30/11/2026")
    lines = text.removeprefix("\ufeff").splitlines()
    assert lines[1].startswith("Regroupement;Nom;Demandés;Encaissés;À rembourser;Remboursés;Conversion;")
    cells = [row for row in csv.reader(lines, delimiter=";") if row[0] == "Point de vente"]
    assert '\'=HYPERLINK("http://evil")' in [row[1] for row in cells]
    assert len(lines) == 2 + len(rows)
