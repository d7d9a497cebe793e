"""Parcours de vente digitalisé and e-réservation settings: validated, persisted, all or nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.errors import ValidationError
from epay_app.models import DealerGroup, Entity
from epay_app.services.admin import settings as gs
from epay_app.services.demo import demo_data
from tests.support import database
from tests.support.pages import drive, seam_for


@pytest.fixture
def db(tmp_path):
    url = database.create_migrated_database("sqlite", tmp_path, "s.db")
    with session_scope(url) as s:
        demo_data.seed(s)
        group_id = s.exec(select(DealerGroup.id)).one()
    return url, group_id


def _entity_id(url, number: int = 45) -> int:
    """45: bee2link PP Vincent S., with the e-paiement option; 99: Sans Option, without."""
    with session_scope(url, write=False) as s:
        return s.exec(select(Entity.id).where(Entity.number == number)).one()


def test_defaults_are_the_guides(db):
    url, gid = db
    with session_scope(url) as s:
        assert gs.get_digital_journey(s, gid) == gs.DigitalJourneySettings(183, None, True)
        assert gs.get_reservation(s, gid) == gs.ReservationSettings(True, 48, 20_000)


def test_digital_journey_is_saved_and_an_empty_delay_means_not_defined(db):
    url, gid = db
    with session_scope(url) as s:
        gs.update_digital_journey(s, gid, " 90 ", "15", False)
    with session_scope(url) as s:
        assert gs.get_digital_journey(s, gid) == gs.DigitalJourneySettings(90, 15, False)
        gs.update_digital_journey(s, gid, "183", "", True)
    with session_scope(url) as s:
        assert gs.get_digital_journey(s, gid) == gs.DigitalJourneySettings(183, None, True)


@pytest.mark.parametrize(
    "days,delay,errors",
    [
        ("", "", {gs.F_INACTIVE: gs.MSG_INACTIVE_REQUIRED}),
        ("0", "", {gs.F_INACTIVE: gs.MSG_INACTIVE}),
        ("abc", "", {gs.F_INACTIVE: gs.MSG_INACTIVE}),
        ("3651", "", {gs.F_INACTIVE: gs.MSG_INACTIVE}),
        ("-5", "", {gs.F_INACTIVE: gs.MSG_INACTIVE}),
        ("30", "0", {gs.F_STOCK: gs.MSG_STOCK}),
        ("30", "2,5", {gs.F_STOCK: gs.MSG_STOCK}),
        ("30", "366", {gs.F_STOCK: gs.MSG_STOCK}),
        ("x", "y", {gs.F_INACTIVE: gs.MSG_INACTIVE, gs.F_STOCK: gs.MSG_STOCK}),
    ],
)
def test_invalid_digital_journey_values_are_refused_and_nothing_saved(db, days, delay, errors):
    url, gid = db
    with pytest.raises(ValidationError) as caught, session_scope(url) as s:
        gs.update_digital_journey(s, gid, days, delay, False)
    assert caught.value.errors == errors
    with session_scope(url) as s:
        assert gs.get_digital_journey(s, gid) == gs.DigitalJourneySettings(183, None, True)


def test_reservation_is_saved_with_the_amount_in_cents(db):
    url, gid = db
    with session_scope(url) as s:
        gs.update_reservation(s, gid, False, "72", "350,50 €", by_entity_id=_entity_id(url))
    with session_scope(url) as s:
        assert gs.get_reservation(s, gid) == gs.ReservationSettings(False, 72, 35_050)


@pytest.mark.parametrize(
    "hours,amount,errors",
    [
        ("", "200", {gs.F_HOURS: gs.MSG_HOURS_REQUIRED}),
        ("0", "200", {gs.F_HOURS: gs.MSG_HOURS}),
        ("721", "200", {gs.F_HOURS: gs.MSG_HOURS}),
        ("1.5", "200", {gs.F_HOURS: gs.MSG_HOURS}),
        ("48", "", {gs.F_AMOUNT: "Le montant de la e-réservation est obligatoire."}),
        ("48", "deux cents", {gs.F_AMOUNT: "Le montant de la e-réservation doit être un nombre (ex. 500,00)."}),
        ("48", "0", {gs.F_AMOUNT: gs.MSG_AMOUNT_POSITIVE}),
        ("48", "10 000,01", {gs.F_AMOUNT: gs.MSG_AMOUNT_MAX}),
    ],
)
def test_invalid_reservation_values_are_refused_and_nothing_saved(db, hours, amount, errors):
    url, gid = db
    with pytest.raises(ValidationError) as caught, session_scope(url) as s:
        gs.update_reservation(s, gid, False, hours, amount, by_entity_id=_entity_id(url))
    assert caught.value.errors == errors
    with session_scope(url) as s:
        assert gs.get_reservation(s, gid) == gs.ReservationSettings(True, 48, 20_000)


def test_reservation_settings_are_refused_to_an_entity_without_the_option_and_nothing_saved(db):
    """Finding of issue 12: an administrator of an entity without e-paiement changed the
    group-wide settings (720 h, 1,00 €) for every entity."""
    url, gid = db
    no_option = _entity_id(url, 99)
    with session_scope(url) as s:
        assert gs.can_edit_reservation(s, no_option) is False
        assert gs.can_edit_reservation(s, _entity_id(url)) is True
    with pytest.raises(gs.SettingsRefused) as caught, session_scope(url) as s:
        gs.update_reservation(s, gid, True, "720", "1,00", by_entity_id=no_option)
    assert str(caught.value) == gs.MSG_RESERVATION_NO_OPTION
    with session_scope(url) as s:
        assert gs.get_reservation(s, gid) == gs.ReservationSettings(True, 48, 20_000)


def test_reservation_settings_are_refused_to_an_entity_of_another_group(db):
    url, _ = db
    with session_scope(url) as s:
        other = DealerGroup(name="Autre groupe")
        s.add(other)
        s.flush()
        other_id = other.id
    with pytest.raises(gs.SettingsRefused), session_scope(url) as s:
        gs.update_reservation(s, other_id, True, "720", "1,00", by_entity_id=_entity_id(url))


@pytest.mark.parametrize(
    "admin_email, allowed", [("admin.sansoption@openflex.demo", False), ("admin@openflex.demo", True)]
)
def test_the_reservation_settings_handlers_refuse_an_administrator_without_the_option(
    db, monkeypatch, admin_email, allowed
):
    """The page's handlers as Reflex runs them, with a forged submit from the administrator of
    the entity without e-paiement: refused in French, nothing saved."""
    from types import SimpleNamespace

    from epay_app.config import get_settings
    from epay_app.models import User
    from epay_app.pages.settings.reservation import ReservationState

    url, gid = db
    monkeypatch.setenv("REFLEX_DB_URL", url)
    get_settings.cache_clear()
    with session_scope(url, write=False) as s:
        admin = s.exec(select(User).where(User.email == admin_email)).one()
    fields = {
        name: f.default
        for name, f in ReservationState.get_fields().items()
        if name in ReservationState.base_vars and not callable(f.default)
    }
    state = SimpleNamespace(**fields)
    seam_for(state, admin)
    for name in ("_show", "_clear_errors"):
        setattr(state, name, getattr(ReservationState, name).__get__(state))

    def run(handler, *args):
        return drive(ReservationState.event_handlers[handler].fn(state, *args))

    try:
        run("load_reservation")
        assert state.can_edit is allowed
        run("edit_reservation")
        assert state.editing is allowed
        state.form_enabled = True
        run("submit_reservation", {"hours": "720", "amount": "1,00"})
        with session_scope(url, write=False) as s:
            saved = gs.get_reservation(s, gid)
        if allowed:
            assert saved == gs.ReservationSettings(True, 720, 100)
        else:
            assert state.error_form == gs.MSG_RESERVATION_NO_OPTION and not state.editing
            assert saved == gs.ReservationSettings(True, 48, 20_000)
    finally:
        get_settings.cache_clear()
