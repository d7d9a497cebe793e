"""Parcours de vente digitalisé and e-réservation settings: validated, persisted, all or nothing."""
from __future__ import annotations

import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.errors import ValidationError
from epay_app.models import DealerGroup, Entity
from epay_app.services import demo_data
from epay_app.services import settings as gs
from tests.support import database


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    database.migrate(url)
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


@pytest.mark.parametrize("days,delay,errors", [
    ("", "", {gs.F_INACTIVE: gs.MSG_INACTIVE_REQUIRED}),
    ("0", "", {gs.F_INACTIVE: gs.MSG_INACTIVE}),
    ("abc", "", {gs.F_INACTIVE: gs.MSG_INACTIVE}),
    ("3651", "", {gs.F_INACTIVE: gs.MSG_INACTIVE}),
    ("-5", "", {gs.F_INACTIVE: gs.MSG_INACTIVE}),
    ("30", "0", {gs.F_STOCK: gs.MSG_STOCK}),
    ("30", "2,5", {gs.F_STOCK: gs.MSG_STOCK}),
    ("30", "366", {gs.F_STOCK: gs.MSG_STOCK}),
    ("x", "y", {gs.F_INACTIVE: gs.MSG_INACTIVE, gs.F_STOCK: gs.MSG_STOCK}),
])
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


@pytest.mark.parametrize("hours,amount,errors", [
    ("", "200", {gs.F_HOURS: gs.MSG_HOURS_REQUIRED}),
    ("0", "200", {gs.F_HOURS: gs.MSG_HOURS}),
    ("721", "200", {gs.F_HOURS: gs.MSG_HOURS}),
    ("1.5", "200", {gs.F_HOURS: gs.MSG_HOURS}),
    ("48", "", {gs.F_AMOUNT: "Le montant de la e-réservation est obligatoire."}),
    ("48", "deux cents", {gs.F_AMOUNT: "Le montant de la e-réservation doit être un nombre (ex. 500,00)."}),
    ("48", "0", {gs.F_AMOUNT: gs.MSG_AMOUNT_POSITIVE}),
    ("48", "10 000,01", {gs.F_AMOUNT: gs.MSG_AMOUNT_MAX}),
])
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
