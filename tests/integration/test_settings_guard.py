"""F-01: every settings handler runs on the server only for an administrator. A forged event
from another group type is refused before the handler runs, and changes nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.roles import GroupType
from epay_app.models import DealerGroup, Entity, PspConfig, User
from epay_app.pages.settings.epay import EpayConfigState
from epay_app.pages.settings.home import SettingsHomeState
from epay_app.pages.settings.journey import JourneyState
from epay_app.pages.settings.opportunities import OpportunitySettingsState
from epay_app.pages.settings.pdf_print import LegalIdentityState
from epay_app.pages.settings.reservation import ReservationState
from epay_app.services.demo import demo_data
from epay_app.state import ACCESS_DENIED, AppState
from tests.support import database
from tests.support.pages import drive, seam_for

STATES = [
    SettingsHomeState,
    OpportunitySettingsState,
    JourneyState,
    EpayConfigState,
    ReservationState,
    LegalIdentityState,
]
INHERITED = set(AppState.event_handlers)


def _own_handlers():
    for state in STATES:
        for name, handler in state.event_handlers.items():
            if name not in INHERITED:
                yield state, name, handler


def test_every_settings_handler_is_for_administrators_only():
    handlers = list(_own_handlers())
    assert len(handlers) >= 20
    for state, name, handler in handlers:
        assert getattr(handler.fn, "allowed_roles", None) == {GroupType.ADMINISTRATEUR.value}, (
            f"{state.__name__}.{name} is not guarded"
        )


# Arguments a forger could send to each handler.
FORGED_ARGS = {
    "search_configs": ("Point",),
    "open_edit": ("1",),
    "ask_delete": ("1",),
    "dialog_open_changed": (False,),
    "delete_open_changed": (False,),
    "set_form_pos": ("2",),
    "set_form_contracts": (False,),
    "set_form_enabled": (False,),
    "submit_config": ({"merchant_id": "002001000000099", "key": "FORGED-KEY-123456", "key_version": "1"},),
    "submit_journey": ({"inactive_days": "1", "stock_delay_days": "1"},),
    "submit_reservation": ({"hours": "1", "amount": "1"},),
    "submit_legal_identity": ({"siret": "81234567800021", "conditions": "Forgées"},),
}


@pytest.mark.parametrize("group", [g for g in GroupType if g is not GroupType.ADMINISTRATEUR])
def test_forged_events_from_other_group_types_are_refused_and_change_nothing(tmp_path, monkeypatch, group):
    url = database.create_migrated_database("sqlite", tmp_path, "g.db")
    with session_scope(url) as s:
        demo_data.seed(s)
    monkeypatch.setenv("REFLEX_DB_URL", url)
    from epay_app.config import get_settings

    get_settings.cache_clear()

    def snapshot():
        with session_scope(url) as s:
            configs = [(c.id, c.pos_id, c.merchant_id, c.key_ciphertext) for c in s.exec(select(PspConfig))]
            g = s.exec(select(DealerGroup)).one()
            entities = [e.model_dump() for e in s.exec(select(Entity).order_by(Entity.id))]
            return configs, g.model_dump(), entities

    with session_scope(url) as s:
        user = s.exec(select(User).where(User.group_type == group.value)).first()
    before = snapshot()
    for state, name, handler in _own_handlers():
        remembered = []
        fake = SimpleNamespace(
            editing_id=0,
            delete_id=1,
            form_pos_id="2",
            form_contracts=False,
            form_enabled=False,
            search="",
        )
        seam_for(fake, user)
        fake._remember = lambda u, _profile=None, remembered=remembered: remembered.append(u)
        result = drive(handler.fn(fake, *FORGED_ARGS.get(name, ())))
        assert remembered == [], f"{state.__name__}.{name} ran for a {group.value}"
        assert ACCESS_DENIED in str(result), f"{state.__name__}.{name} did not answer with the refusal"
    assert snapshot() == before
