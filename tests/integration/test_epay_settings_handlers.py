"""The settings page's handlers for the e-paiement configuration, run on the server as Reflex
would run them: the secrets typed in the form reach the service, and nothing secret stays in the
page's state (the only thing a state delta could carry back to a browser)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.models import PointOfSale, PspConfig, User
from epay_app.pages.settings import epay
from epay_app.pages.settings.epay import EpayConfigState
from epay_app.services.admin.secrets import decrypt_secret
from epay_app.services.demo import demo_data
from tests.support import database
from tests.support.pages import drive, seam_for

API_SECRET = "handler-Api-Secret-9f8e7d6c5b4a"
HOOK_SECRET = "handler-Webhook-Secret-1a2b3c4d5e"
SIPS_KEY = "handler-Sips-Key-0011223344"
POS2 = "Point de vente 2 (Vincent S.)"


@pytest.fixture
def admin_state(tmp_path, monkeypatch):
    url = database.create_migrated_database("sqlite", tmp_path, "h.db")
    with session_scope(url) as s:
        demo_data.seed(s)
    monkeypatch.setenv("REFLEX_DB_URL", url)
    from epay_app.config import get_settings

    get_settings.cache_clear()
    with session_scope(url) as s:
        admin = s.exec(select(User).where(User.email == "admin@openflex.demo")).one()
        pos2 = s.exec(select(PointOfSale).where(PointOfSale.name == POS2)).one()
    # The state's own fields with their defaults, its helper methods, and the guard's hooks.
    fields = {
        name: f.default
        for name, f in EpayConfigState.get_fields().items()
        if name in EpayConfigState.base_vars and not callable(f.default)
    }
    state = SimpleNamespace(**fields)
    seam_for(state, admin)
    for name in ("_clear_errors", "_reset_form", "_reload"):
        setattr(state, name, getattr(EpayConfigState, name).__get__(state))
    state.url, state.pos2 = url, pos2.id
    yield state
    get_settings.cache_clear()


def _run(state, handler: str, *args):
    return drive(EpayConfigState.event_handlers[handler].fn(state, *args))


def _state_text(state) -> str:
    return repr({k: v for k, v in vars(state).items() if not callable(v)})


def test_a_direct_configuration_is_saved_from_the_form_and_no_secret_stays_in_state(admin_state):
    s = admin_state
    _run(s, "load_configs")
    _run(s, "open_add")
    assert s.form_protocol == "direct" and s.dialog_open
    _run(s, "set_form_pos", str(s.pos2))
    form = {
        "protocol": "direct",
        "merchant_id": "Bee2LinkTest1",
        "api_key_id": "KEYID",
        "api_secret": API_SECRET,
        "webhook_key_id": "HOOKID",
        "webhook_secret": HOOK_SECRET,
    }
    _run(s, "submit_config", {**form, "webhook_secret": " " + HOOK_SECRET})  # refused first
    assert s.error_webhook_secret.startswith("La clé webhook (secret) ne doit pas commencer")
    assert s.dialog_open and API_SECRET not in _state_text(s) and HOOK_SECRET not in _state_text(s)
    _run(s, "submit_config", form)
    assert not s.dialog_open and s.error_webhook_secret == ""
    assert API_SECRET not in _state_text(s) and HOOK_SECRET not in _state_text(s)
    direct_row = next(r for r in s.rows if r.pos == POS2)
    assert direct_row.protocol == "Worldline Direct"
    assert direct_row.key == "KEYID · ••••••••" + API_SECRET[-4:]
    assert direct_row.webhook == "HOOKID · ••••••••" + HOOK_SECRET[-4:]
    assert direct_row.version == epay.NOT_APPLICABLE
    with session_scope(s.url) as db:
        stored = db.exec(select(PspConfig).where(PspConfig.pos_id == s.pos2)).one()
    assert (
        stored.protocol,
        decrypt_secret(stored.key_ciphertext),
        decrypt_secret(stored.webhook_secret_ciphertext),
    ) == ("direct", API_SECRET, HOOK_SECRET)


def test_a_sips_configuration_reads_the_sips_key_field_and_shows_french_errors_per_field(admin_state):
    s = admin_state
    _run(s, "load_configs")
    _run(s, "open_add")
    _run(s, "set_form_protocol", "sips2")
    _run(s, "set_form_pos", str(s.pos2))
    _run(s, "submit_config", {"protocol": "sips2", "merchant_id": "abc", "key": "", "key_version": "0"})
    assert (s.error_merchant, s.error_key, s.error_version) == (
        epay.psp_config.MSG_MERCHANT_FORMAT,
        epay.psp_config.MSG_KEY_REQUIRED,
        epay.psp_config.MSG_VERSION,
    )
    assert s.error_api_key_id == s.error_webhook_secret == ""
    _run(
        s, "submit_config", {"protocol": "sips2", "merchant_id": "002001000000099", "key": SIPS_KEY, "key_version": "3"}
    )
    assert not s.dialog_open and SIPS_KEY not in _state_text(s)
    sips_row = next(r for r in s.rows if r.pos == POS2)
    assert (sips_row.protocol, sips_row.version, sips_row.webhook) == (
        "Worldline Sips 2.0 (historique)",
        "3",
        epay.NOT_APPLICABLE,
    )


def test_an_unknown_protocol_from_a_forged_event_is_ignored(admin_state):
    s = admin_state
    _run(s, "open_add")
    _run(s, "set_form_protocol", "<script>")
    assert s.form_protocol == "direct"
