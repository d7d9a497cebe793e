"""PSP credentials per point of sale: encrypted at rest, validated, scoped to the entity, rotated.

The first half is the historical Sips 2.0 protocol; the Worldline Direct half follows."""

from __future__ import annotations

import logging
import os

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import func, select

from epay_app.config import Settings
from epay_app.db import session_scope
from epay_app.domain.errors import DomainError, ValidationError
from epay_app.models import Entity, PointOfSale, PspConfig
from epay_app.psp.interface import PspProtocol
from epay_app.services.admin import psp_accounts, psp_config
from epay_app.services.admin.secrets import MasterKeyError, decrypt_secret, encrypt_secret
from epay_app.services.demo import demo_data
from tests.support import database

KEY = "Zq7-DISTINCTIVE-secret-KEY9"
SIPS = "sips2"


@pytest.fixture
def keys():
    return Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def db(tmp_path, monkeypatch, keys):
    monkeypatch.setenv("EPAY_MASTER_KEYS", keys[0])
    url = database.create_migrated_database("sqlite", tmp_path, "p.db")
    with session_scope(url) as s:
        demo_data.seed(s)
    with session_scope(url) as s:  # these tests start with every demo point of sale on Sips
        pos1 = s.exec(select(PointOfSale).where(PointOfSale.number == 61)).one()
        config = s.exec(select(PspConfig).where(PspConfig.pos_id == pos1.id)).one()
        s.delete(config)
        s.flush()
        s.add(
            PspConfig(
                pos_id=pos1.id,
                protocol="sips2",
                merchant_id=demo_data.DEMO_MERCHANT_ID,
                key_ciphertext=encrypt_secret(demo_data.DEMO_MERCHANT_KEY),
                key_hint=demo_data.DEMO_MERCHANT_KEY[-4:],
                key_version=1,
            )
        )
    return url


def _ids(url):
    with session_scope(url) as s:
        vincent = s.exec(select(Entity).where(Entity.number == 45)).one()
        no_option = s.exec(select(Entity).where(Entity.number == 99)).one()
        pos2 = s.exec(select(PointOfSale).where(PointOfSale.name == "Point de vente 2 (Vincent S.)")).one()
        pos1 = s.exec(select(PointOfSale).where(PointOfSale.name == "Point de vente 1 (Vincent S.)")).one()
        audrey_pos = s.exec(select(PointOfSale).where(PointOfSale.number == 71)).one()
        return vincent.id, no_option.id, pos1.id, pos2.id, audrey_pos.id


def _count(url) -> int:
    with session_scope(url) as s:
        return s.exec(select(func.count()).select_from(PspConfig)).one()


def _settings(keys: str) -> Settings:
    return Settings(master_keys=keys)


def test_database_column_holds_ciphertext_not_the_key(db):
    vincent, _, _, pos2, _ = _ids(db)
    with session_scope(db) as s:
        row = psp_config.create_config(s, vincent, pos2, "002001000000099", KEY, "2", protocol=SIPS)
    assert row.masked_key == "••••••••KEY9" and KEY not in repr(row)
    with session_scope(db) as s:
        stored = s.exec(
            text("SELECT key_ciphertext, key_hint, key_version FROM psp_config WHERE pos_id = :p"), params={"p": pos2}
        ).one()
    assert KEY not in stored[0] and stored[0].startswith("gAAAA")  # a Fernet token
    assert decrypt_secret(stored[0]) == KEY
    assert stored[1] == "KEY9" and stored[2] == 2


def test_list_is_the_entitys_points_of_sale_searchable_without_case_or_accents(db):
    vincent, no_option, _, pos2, _ = _ids(db)
    with session_scope(db) as s:
        assert [r.pos_name for r in psp_config.list_configs(s, vincent)] == ["Point de vente 1 (Vincent S.)"]
        psp_config.create_config(s, vincent, pos2, "002001000000099", KEY, "1", protocol=SIPS)
    with session_scope(db) as s:
        assert len(psp_config.list_configs(s, vincent)) == 2
        assert [r.pos_name for r in psp_config.list_configs(s, vincent, "VENTE 2 (vincent")] == [
            "Point de vente 2 (Vincent S.)"
        ]
        assert len(psp_config.list_configs(s, vincent, "pôint de vènte")) == 2
        assert psp_config.list_configs(s, vincent, "Audrey") == []
        assert psp_config.list_configs(s, no_option) == []
        assert [c.name for c in psp_config.unconfigured_points_of_sale(s, vincent)] == []


def test_unconfigured_choices_are_the_entitys_points_of_sale_without_configuration(db):
    vincent, *_ = _ids(db)
    with session_scope(db) as s:
        assert [c.name for c in psp_config.unconfigured_points_of_sale(s, vincent)] == ["Point de vente 2 (Vincent S.)"]


@pytest.mark.parametrize(
    "field,pos,merchant,key,version,message",
    [
        ("pos_id", "", "002001000000099", KEY, "1", psp_config.MSG_POS_REQUIRED),
        ("pos_id", "AUDREY", "002001000000099", KEY, "1", psp_config.MSG_POS_FOREIGN),
        ("pos_id", "POS1", "002001000000099", KEY, "1", psp_config.MSG_POS_TAKEN),
        ("merchant_id", "POS2", "", KEY, "1", psp_config.MSG_MERCHANT_REQUIRED),
        ("merchant_id", "POS2", "Bee2LinkTest1", KEY, "1", psp_config.MSG_MERCHANT_FORMAT),
        ("merchant_id", "POS2", "12345", KEY, "1", psp_config.MSG_MERCHANT_FORMAT),
        ("merchant_id", "POS2", "1" * 21, KEY, "1", psp_config.MSG_MERCHANT_FORMAT),
        ("key", "POS2", "002001000000099", "", "1", psp_config.MSG_KEY_REQUIRED),
        ("key", "POS2", "002001000000099", "   ", "1", psp_config.MSG_KEY_REQUIRED),
        ("key", "POS2", "002001000000099", " " + KEY, "1", psp_config.MSG_KEY_SPACES),
        ("key", "POS2", "002001000000099", KEY + " ", "1", psp_config.MSG_KEY_SPACES),
        ("key", "POS2", "002001000000099", "K" * 257, "1", psp_config.MSG_KEY_TOO_LONG),
        ("key", "POS2", "002001000000099", "abc\ndef-ghijkl", "1", psp_config.MSG_KEY_CONTROL),
        ("key_version", "POS2", "002001000000099", KEY, "0", psp_config.MSG_VERSION),
        ("key_version", "POS2", "002001000000099", KEY, "-1", psp_config.MSG_VERSION),
        ("key_version", "POS2", "002001000000099", KEY, "1.5", psp_config.MSG_VERSION),
        ("key_version", "POS2", "002001000000099", KEY, "", psp_config.MSG_VERSION),
        ("key_version", "POS2", "002001000000099", KEY, "10000", psp_config.MSG_VERSION),
    ],
)
def test_each_invalid_value_is_refused_with_its_message_and_nothing_written(
    db, field, pos, merchant, key, version, message
):
    vincent, _, pos1, pos2, audrey_pos = _ids(db)
    pos_id = {"": "", "AUDREY": audrey_pos, "POS1": pos1, "POS2": pos2}[pos]
    before = _count(db)
    with pytest.raises(ValidationError) as caught, session_scope(db) as s:
        psp_config.create_config(s, vincent, pos_id, merchant, key, version, protocol=SIPS)
    assert caught.value.errors == {field: message}
    assert KEY not in str(caught.value)
    assert _count(db) == before


def test_every_error_is_reported_at_once(db):
    vincent, *_ = _ids(db)
    with pytest.raises(ValidationError) as caught, session_scope(db) as s:
        psp_config.create_config(s, vincent, "", "abc", "", "x", protocol=SIPS)
    assert set(caught.value.errors) == {"pos_id", "merchant_id", "key", "key_version"}


def test_entity_without_the_option_cannot_add_a_configuration(db):
    _, no_option, *_ = _ids(db)
    with session_scope(db) as s:
        pos = s.exec(select(PointOfSale).where(PointOfSale.entity_id == no_option)).one()
    with pytest.raises(psp_config.EpayOptionMissing) as caught, session_scope(db) as s:
        psp_config.create_config(s, no_option, pos.id, "002001000000099", KEY, "1", protocol=SIPS)
    assert str(caught.value).startswith("L'option e-paiement n'est pas souscrite")
    assert _count(db) == 5


def test_edit_with_an_empty_key_keeps_the_key_and_a_new_key_replaces_it(db):
    vincent, _, pos1, *_ = _ids(db)
    with session_scope(db) as s:
        config = s.exec(select(PspConfig).where(PspConfig.pos_id == pos1)).one()
        old_cipher = config.key_ciphertext
        row = psp_config.update_config(s, vincent, config.id, "002001000000003", "", "3")
    assert (row.merchant_id, row.key_version, row.masked_key) == ("002001000000003", 3, "••••••••KEY1")
    with session_scope(db) as s:
        stored = s.get(PspConfig, config.id)
        assert stored.key_ciphertext == old_cipher
        psp_config.update_config(s, vincent, config.id, "002001000000003", KEY, "3")
    with session_scope(db) as s:
        stored = s.get(PspConfig, config.id)
        assert decrypt_secret(stored.key_ciphertext) == KEY and stored.key_hint == "KEY9"


def test_invalid_edit_changes_nothing(db):
    vincent, _, pos1, *_ = _ids(db)
    with session_scope(db) as s:
        config = s.exec(select(PspConfig).where(PspConfig.pos_id == pos1)).one()
    with pytest.raises(ValidationError) as caught, session_scope(db) as s:
        psp_config.update_config(s, vincent, config.id, "002001000000003", " bad key", "1")
    assert caught.value.errors == {"key": psp_config.MSG_KEY_SPACES}
    with session_scope(db) as s:
        again = s.get(PspConfig, config.id)
        assert (again.merchant_id, again.key_ciphertext) == (config.merchant_id, config.key_ciphertext)


def test_another_entitys_configuration_is_unknown_for_edit_and_delete(db):
    vincent, _, _, _, audrey_pos = _ids(db)
    with session_scope(db) as s:
        foreign = s.exec(select(PspConfig).where(PspConfig.pos_id == audrey_pos)).one()
    for action in (
        lambda s: psp_config.update_config(s, vincent, foreign.id, "002001000000003", "", "1"),
        lambda s: psp_config.delete_config(s, vincent, foreign.id),
        lambda s: psp_config.get_config(s, vincent, foreign.id),
    ):
        with pytest.raises(DomainError, match="n'existe pas"), session_scope(db) as s:
            action(s)
    assert _count(db) == 5


def test_delete_removes_the_configuration(db):
    vincent, _, pos1, *_ = _ids(db)
    with session_scope(db) as s:
        config = s.exec(select(PspConfig).where(PspConfig.pos_id == pos1)).one()
        assert psp_config.delete_config(s, vincent, config.id) == "Point de vente 1 (Vincent S.)"
    with session_scope(db) as s:
        assert s.get(PspConfig, config.id) is None
        assert [c.name for c in psp_config.unconfigured_points_of_sale(s, vincent)] == [
            "Point de vente 1 (Vincent S.)",
            "Point de vente 2 (Vincent S.)",
        ]


def test_short_keys_are_masked_without_a_hint(db):
    vincent, _, _, pos2, _ = _ids(db)
    with session_scope(db) as s:
        row = psp_config.create_config(s, vincent, pos2, "002001000000099", "abcdef", "1", protocol=SIPS)
    assert row.masked_key == "••••••••"


def test_rotation_reencrypts_every_row_and_old_ciphertexts_decrypt_meanwhile(db, keys):
    old_key, new_key = keys
    vincent, _, _, pos2, _ = _ids(db)
    with session_scope(db) as s:
        psp_config.create_config(s, vincent, pos2, "002001000000099", KEY, "1", protocol=SIPS)
        before = {c.id: c.key_ciphertext for c in s.exec(select(PspConfig)).all()}
    assert len(before) == 6
    both = _settings(f"{new_key},{old_key}")
    # During rotation (new key in front, old still listed) every old ciphertext still decrypts.
    for token in before.values():
        assert decrypt_secret(token, both) in (KEY, demo_data.DEMO_MERCHANT_KEY)
    with session_scope(db) as s:
        assert psp_config.rotate_all(s, both) == 6
    with session_scope(db) as s:
        after = {c.id: c.key_ciphertext for c in s.exec(select(PspConfig)).all()}
    assert set(after) == set(before) and all(after[i] != before[i] for i in before)
    only_new = _settings(new_key)
    plain = {decrypt_secret(token, only_new) for token in after.values()}
    assert plain == {KEY, demo_data.DEMO_MERCHANT_KEY}
    with pytest.raises(MasterKeyError):
        decrypt_secret(next(iter(before.values())), only_new)


def test_rotation_with_a_wrong_master_key_is_a_clear_error_and_rewrites_nothing(db):
    with session_scope(db) as s:
        before = sorted(s.exec(select(PspConfig.key_ciphertext)).all())
    wrong = _settings(Fernet.generate_key().decode())
    with pytest.raises(MasterKeyError) as caught, session_scope(db) as s:
        psp_config.rotate_all(s, wrong)
    assert "clé maître" in str(caught.value)
    with session_scope(db) as s:
        assert sorted(s.exec(select(PspConfig.key_ciphertext)).all()) == before


def test_a_malformed_master_key_is_a_clear_error(db):
    with pytest.raises(MasterKeyError, match="Clé maître invalide"), session_scope(db) as s:
        psp_config.rotate_all(s, _settings("pas-une-cle-fernet"))


def _rotate_cli(url: str, master_keys: str):
    import os
    import subprocess
    import sys

    env = {**os.environ, "REFLEX_DB_URL": url, "EPAY_MASTER_KEYS": master_keys}
    return subprocess.run(
        [sys.executable, "-m", "epay_app.rotate_keys"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=database.ROOT,
    )


def test_rotate_keys_command_reports_the_count_and_refuses_a_wrong_master_key(db, keys):
    old_key, new_key = keys
    done = _rotate_cli(db, f"{new_key},{old_key}")
    assert done.returncode == 0, done.stderr
    assert "5 configuration(s) de e-paiement ré-chiffrée(s)" in done.stdout
    with session_scope(db) as s:
        tokens = s.exec(select(PspConfig.key_ciphertext)).all()
    assert {decrypt_secret(t, _settings(new_key)) for t in tokens} == {demo_data.DEMO_MERCHANT_KEY}

    refused = _rotate_cli(db, Fernet.generate_key().decode())
    assert refused.returncode == 1
    assert "Erreur : Impossible de ré-chiffrer" in refused.stderr and "Aucune clé n'a été modifiée" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    with session_scope(db) as s:
        assert sorted(s.exec(select(PspConfig.key_ciphertext)).all()) == sorted(tokens)


# --- Worldline Direct ---------------------------------------------------------------------------

PSPID = "Bee2LinkTest1"
API_KEY_ID = "47E9DB5E5E5F1A13C2D3"
API_SECRET = "dIrEcT-Api-Secret+x/9QwErTy0123456789abcdEF=="
HOOK_KEY_ID = "hook-key-7d1e3f"
HOOK_SECRET = "dIrEcT-Webhook-Secret/Zz8PLmNo+4455667788=="
DIRECT = {"api_key_id": API_KEY_ID, "webhook_key_id": HOOK_KEY_ID, "webhook_secret": HOOK_SECRET}


def _create_direct(url, pos_id, entity_id, **overrides):
    fields = {"merchant_id": PSPID, "key": API_SECRET, **DIRECT, **overrides}
    merchant, key = fields.pop("merchant_id"), fields.pop("key")
    with session_scope(url) as s:
        return psp_config.create_config(s, entity_id, pos_id, merchant, key, **fields)


def _stored(url, pos_id) -> PspConfig:
    with session_scope(url) as s:
        return s.exec(select(PspConfig).where(PspConfig.pos_id == pos_id)).one()


def test_a_new_configuration_is_worldline_direct_with_both_secrets_encrypted_and_masked(db):
    vincent, _, _, pos2, _ = _ids(db)
    row = _create_direct(db, pos2, vincent)  # no protocol given: Direct is the default
    assert row.protocol is PspProtocol.DIRECT and row.protocol.label == "Worldline Direct"
    assert (row.merchant_id, row.api_key_id, row.webhook_key_id) == (PSPID, API_KEY_ID, HOOK_KEY_ID)
    assert (row.masked_key, row.masked_webhook_secret) == ("••••••••EF==", "••••••••88==")
    assert API_SECRET not in repr(row) and HOOK_SECRET not in repr(row)
    with session_scope(db) as s:
        raw = s.exec(
            text(
                "SELECT protocol, key_ciphertext, webhook_secret_ciphertext, key_hint, "
                "webhook_secret_hint FROM psp_config WHERE pos_id = :p"
            ),
            params={"p": pos2},
        ).one()
    assert raw[0] == "direct"
    assert all(secret not in " ".join(raw) for secret in (API_SECRET, HOOK_SECRET))
    assert raw[1].startswith("gAAAA") and raw[2].startswith("gAAAA")
    assert (decrypt_secret(raw[1]), decrypt_secret(raw[2])) == (API_SECRET, HOOK_SECRET)
    # What the payment side gets back (psp_accounts, explicit settings: no process cache).
    with session_scope(db) as s:
        creds = psp_accounts.credentials_for_pos(s, pos2, Settings(master_keys=os.environ["EPAY_MASTER_KEYS"]))
    assert (
        creds.protocol,
        creds.merchant_id,
        creds.secret_key,
        creds.api_key_id,
        creds.webhook_key_id,
        creds.webhook_secret,
    ) == (PspProtocol.DIRECT, PSPID, API_SECRET, API_KEY_ID, HOOK_KEY_ID, HOOK_SECRET)


def test_the_list_and_the_edit_form_show_each_configurations_protocol_and_no_secret(db):
    vincent, _, pos1, pos2, _ = _ids(db)
    _create_direct(db, pos2, vincent)
    with session_scope(db) as s:
        rows = psp_config.list_configs(s, vincent)
        one = psp_config.get_config(s, vincent, rows[1].id)
    assert [(r.pos_id, r.protocol) for r in rows] == [(pos1, PspProtocol.SIPS2), (pos2, PspProtocol.DIRECT)]
    assert (rows[0].api_key_id, rows[0].webhook_key_id, rows[0].masked_webhook_secret) == ("", "", "")
    assert one == rows[1]
    assert not any(secret in repr(rows) for secret in (API_SECRET, HOOK_SECRET, demo_data.DEMO_MERCHANT_KEY))


LONG = "x" * 257


@pytest.mark.parametrize(
    "field,overrides,message",
    [
        ("merchant_id", {"merchant_id": ""}, psp_config.MSG_PSPID_REQUIRED),
        ("merchant_id", {"merchant_id": "Bee2 Link"}, psp_config.MSG_PSPID_FORMAT),
        ("merchant_id", {"merchant_id": "Crédit1"}, psp_config.MSG_PSPID_FORMAT),
        ("merchant_id", {"merchant_id": "a" * 31}, psp_config.MSG_PSPID_FORMAT),
        ("merchant_id", {"merchant_id": "pspid;drop"}, psp_config.MSG_PSPID_FORMAT),
        ("api_key_id", {"api_key_id": ""}, psp_config.MSG_API_KEY_ID_REQUIRED),
        ("api_key_id", {"api_key_id": "47E9 DB5E"}, psp_config.MSG_API_KEY_ID_FORMAT),
        ("api_key_id", {"api_key_id": "clé-api"}, psp_config.MSG_API_KEY_ID_FORMAT),
        ("api_key_id", {"api_key_id": "K" * 101}, psp_config.MSG_API_KEY_ID_FORMAT),
        ("key", {"key": ""}, "La clé API (secret) est obligatoire."),
        ("key", {"key": "   "}, "La clé API (secret) est obligatoire."),
        ("key", {"key": " " + API_SECRET}, "La clé API (secret) ne doit pas commencer ni se terminer par un espace."),
        ("key", {"key": LONG}, "La clé API (secret) ne doit pas dépasser 256 caractères."),
        ("key", {"key": "abc\x00def-ghijkl"}, "La clé API (secret) contient des caractères non autorisés."),
        ("webhook_key_id", {"webhook_key_id": ""}, psp_config.MSG_WEBHOOK_KEY_ID_REQUIRED),
        ("webhook_key_id", {"webhook_key_id": "hook\tkey"}, psp_config.MSG_WEBHOOK_KEY_ID_FORMAT),
        ("webhook_key_id", {"webhook_key_id": "h" * 101}, psp_config.MSG_WEBHOOK_KEY_ID_FORMAT),
        ("webhook_secret", {"webhook_secret": ""}, "La clé webhook (secret) est obligatoire."),
        (
            "webhook_secret",
            {"webhook_secret": HOOK_SECRET + " "},
            "La clé webhook (secret) ne doit pas commencer ni se terminer par un espace.",
        ),
        ("webhook_secret", {"webhook_secret": LONG}, "La clé webhook (secret) ne doit pas dépasser 256 caractères."),
        (
            "webhook_secret",
            {"webhook_secret": "abc\ndef-ghijkl"},
            "La clé webhook (secret) contient des caractères non autorisés.",
        ),
        ("protocol", {"protocol": "sips1"}, psp_config.MSG_PROTOCOL),
    ],
)
def test_each_invalid_direct_value_is_refused_with_its_french_message_and_nothing_written(
    db, field, overrides, message
):
    vincent, _, _, pos2, _ = _ids(db)
    before = _count(db)
    with pytest.raises(ValidationError) as caught:
        _create_direct(db, pos2, vincent, **overrides)
    assert caught.value.errors == {field: message}
    assert API_SECRET not in str(caught.value) and HOOK_SECRET not in str(caught.value)
    assert _count(db) == before


def test_every_direct_error_is_reported_at_once_and_the_key_version_does_not_apply(db):
    vincent, *_ = _ids(db)
    with pytest.raises(ValidationError) as caught, session_scope(db) as s:
        psp_config.create_config(s, vincent, "", "", "", "not a version")
    assert set(caught.value.errors) == {
        "pos_id",
        "merchant_id",
        "key",
        "api_key_id",
        "webhook_key_id",
        "webhook_secret",
    }


def test_a_direct_configuration_is_scoped_to_the_admins_entity_and_its_option(db):
    vincent, no_option, _, _, audrey_pos = _ids(db)
    with pytest.raises(ValidationError) as caught:
        _create_direct(db, audrey_pos, vincent)
    assert caught.value.errors == {"pos_id": psp_config.MSG_POS_FOREIGN}
    with session_scope(db) as s:
        pos = s.exec(select(PointOfSale).where(PointOfSale.entity_id == no_option)).one()
    with pytest.raises(psp_config.EpayOptionMissing):
        _create_direct(db, pos.id, no_option)
    assert _count(db) == 5


def test_editing_a_direct_configuration_with_empty_secrets_keeps_both(db):
    vincent, _, _, pos2, _ = _ids(db)
    row = _create_direct(db, pos2, vincent)
    before = _stored(db, pos2)
    with session_scope(db) as s:
        edited = psp_config.update_config(
            s,
            vincent,
            row.id,
            "Bee2LinkTest2",
            "",
            "",
            api_key_id="NEWKEYID",
            webhook_key_id="NEWHOOKID",
            webhook_secret="",
        )
    assert (edited.protocol, edited.merchant_id, edited.api_key_id, edited.webhook_key_id) == (
        PspProtocol.DIRECT,
        "Bee2LinkTest2",
        "NEWKEYID",
        "NEWHOOKID",
    )
    after = _stored(db, pos2)
    assert (after.key_ciphertext, after.webhook_secret_ciphertext) == (
        before.key_ciphertext,
        before.webhook_secret_ciphertext,
    )
    # A new webhook secret alone replaces that one only.
    with session_scope(db) as s:
        psp_config.update_config(
            s,
            vincent,
            row.id,
            "Bee2LinkTest2",
            "",
            api_key_id="NEWKEYID",
            webhook_key_id="NEWHOOKID",
            webhook_secret="another-webhook-secret-WXYZ",
        )
    again = _stored(db, pos2)
    assert again.key_ciphertext == before.key_ciphertext
    assert decrypt_secret(again.webhook_secret_ciphertext) == "another-webhook-secret-WXYZ"
    assert again.webhook_secret_hint == "WXYZ"


def test_switching_a_sips_configuration_to_direct_requires_the_direct_secrets(db):
    vincent, _, pos1, *_ = _ids(db)
    sips = _stored(db, pos1)
    with pytest.raises(ValidationError) as caught, session_scope(db) as s:
        psp_config.update_config(
            s,
            vincent,
            sips.id,
            PSPID,
            "",
            protocol="direct",
            api_key_id=API_KEY_ID,
            webhook_key_id=HOOK_KEY_ID,
            webhook_secret="",
        )
    assert caught.value.errors == {
        "key": "La clé API (secret) est obligatoire.",
        "webhook_secret": "La clé webhook (secret) est obligatoire.",
    }
    unchanged = _stored(db, pos1)
    assert (unchanged.protocol, unchanged.merchant_id, unchanged.key_ciphertext) == (
        "sips2",
        sips.merchant_id,
        sips.key_ciphertext,
    )

    with session_scope(db) as s:
        row = psp_config.update_config(s, vincent, sips.id, PSPID, API_SECRET, protocol="direct", **DIRECT)
    assert (row.protocol, row.merchant_id, row.masked_webhook_secret) == (PspProtocol.DIRECT, PSPID, "••••••••88==")
    switched = _stored(db, pos1)
    assert switched.protocol == "direct"
    assert decrypt_secret(switched.key_ciphertext) == API_SECRET
    assert decrypt_secret(switched.webhook_secret_ciphertext) == HOOK_SECRET
    # The Sips merchant and key are kept: Sips-era payments are refunded through Sips Office.
    assert (switched.sips_merchant_id, switched.sips_key_ciphertext, switched.sips_key_version) == (
        sips.merchant_id,
        sips.key_ciphertext,
        sips.key_version,
    )
    with session_scope(db) as s:
        kept = psp_accounts.credentials_for_pos(s, pos1, protocol=PspProtocol.SIPS2)
        today = psp_accounts.credentials_for_pos(s, pos1)
    assert (kept.merchant_id, kept.secret_key) == (demo_data.DEMO_MERCHANT_ID, demo_data.DEMO_MERCHANT_KEY)
    assert (today.protocol, today.merchant_id, today.secret_key) == (PspProtocol.DIRECT, PSPID, API_SECRET)


def test_switching_back_to_sips_requires_the_sips_key_and_forgets_the_direct_keys(db):
    vincent, _, _, pos2, _ = _ids(db)
    row = _create_direct(db, pos2, vincent)
    with pytest.raises(ValidationError) as caught, session_scope(db) as s:
        psp_config.update_config(s, vincent, row.id, "002001000000099", "", "2", protocol=SIPS)
    assert caught.value.errors == {"key": psp_config.MSG_KEY_REQUIRED}
    with session_scope(db) as s:
        back = psp_config.update_config(s, vincent, row.id, "002001000000099", KEY, "2", protocol=SIPS)
    assert (back.protocol, back.key_version, back.api_key_id, back.masked_webhook_secret) == (
        PspProtocol.SIPS2,
        2,
        "",
        "",
    )
    stored = _stored(db, pos2)
    assert (stored.api_key_id, stored.webhook_key_id, stored.webhook_secret_ciphertext, stored.webhook_secret_hint) == (
        "",
        "",
        "",
        "",
    )
    assert decrypt_secret(stored.key_ciphertext) == KEY


def test_an_edit_without_a_protocol_keeps_the_configurations_protocol(db):
    vincent, _, pos1, pos2, _ = _ids(db)
    direct = _create_direct(db, pos2, vincent)
    with session_scope(db) as s:
        sips_id = s.exec(select(PspConfig.id).where(PspConfig.pos_id == pos1)).one()
        assert psp_config.update_config(s, vincent, sips_id, "002001000000002", "", "1").protocol is PspProtocol.SIPS2
        assert (
            psp_config.update_config(s, vincent, direct.id, PSPID, "", **{**DIRECT, "webhook_secret": ""}).protocol
            is PspProtocol.DIRECT
        )


def test_another_entitys_configuration_cannot_be_switched_to_direct(db):
    vincent, _, _, _, audrey_pos = _ids(db)
    foreign = _stored(db, audrey_pos)
    with pytest.raises(DomainError, match="n'existe pas"), session_scope(db) as s:
        psp_config.update_config(s, vincent, foreign.id, PSPID, API_SECRET, protocol="direct", **DIRECT)
    assert _stored(db, audrey_pos).protocol == "sips2"


def test_no_secret_is_logged_when_configurations_are_added_edited_or_switched(db, caplog):
    vincent, _, pos1, pos2, _ = _ids(db)
    caplog.set_level(logging.DEBUG)
    row = _create_direct(db, pos2, vincent)
    with session_scope(db) as s:
        psp_config.update_config(s, vincent, row.id, PSPID, API_SECRET + "2", **DIRECT)
        sips_id = s.exec(select(PspConfig.id).where(PspConfig.pos_id == pos1)).one()
        psp_config.update_config(s, vincent, sips_id, PSPID, API_SECRET, protocol="direct", **DIRECT)
    with pytest.raises(ValidationError), session_scope(db) as s:
        psp_config.update_config(s, vincent, row.id, PSPID, " " + API_SECRET, **DIRECT)
    logged = caplog.text
    assert "psp config" in logged
    assert API_SECRET not in logged and HOOK_SECRET not in logged


def test_rotation_reencrypts_the_direct_api_and_webhook_secrets_too(db, keys):
    old_key, new_key = keys
    vincent, _, _, pos2, _ = _ids(db)
    _create_direct(db, pos2, vincent)
    before = _stored(db, pos2)
    with session_scope(db) as s:
        assert psp_config.rotate_all(s, _settings(f"{new_key},{old_key}")) == 6
    after = _stored(db, pos2)
    assert after.key_ciphertext != before.key_ciphertext
    assert after.webhook_secret_ciphertext != before.webhook_secret_ciphertext
    only_new = _settings(new_key)
    assert decrypt_secret(after.key_ciphertext, only_new) == API_SECRET
    assert decrypt_secret(after.webhook_secret_ciphertext, only_new) == HOOK_SECRET
    # Sips rows have no webhook secret: it stays empty rather than becoming a token of "".
    with session_scope(db) as s:
        assert (
            s.exec(select(func.count()).select_from(PspConfig).where(PspConfig.webhook_secret_ciphertext != "")).one()
            == 1
        )


def test_rotation_is_all_or_nothing_when_only_a_webhook_secret_cannot_be_opened(db, keys):
    old_key, new_key = keys
    vincent, _, _, pos2, _ = _ids(db)
    _create_direct(db, pos2, vincent)
    stranger = Fernet.generate_key().decode()
    with session_scope(db) as s:  # a webhook secret under a master key nobody lists any more
        config = s.exec(select(PspConfig).where(PspConfig.pos_id == pos2)).one()
        config.webhook_secret_ciphertext = Fernet(stranger.encode()).encrypt(HOOK_SECRET.encode()).decode()
    with session_scope(db) as s:
        before = sorted((c.id, c.key_ciphertext, c.webhook_secret_ciphertext) for c in s.exec(select(PspConfig)))
    with pytest.raises(MasterKeyError), session_scope(db) as s:
        psp_config.rotate_all(s, _settings(f"{new_key},{old_key}"))
    with session_scope(db) as s:
        assert (
            sorted((c.id, c.key_ciphertext, c.webhook_secret_ciphertext) for c in s.exec(select(PspConfig))) == before
        )


def test_rotate_keys_command_reencrypts_direct_secrets(db, keys):
    old_key, new_key = keys
    vincent, _, _, pos2, _ = _ids(db)
    _create_direct(db, pos2, vincent)
    done = _rotate_cli(db, f"{new_key},{old_key}")
    assert done.returncode == 0, done.stderr
    assert "6 configuration(s) de e-paiement ré-chiffrée(s)" in done.stdout
    assert API_SECRET not in done.stdout + done.stderr and HOOK_SECRET not in done.stdout + done.stderr
    after = _stored(db, pos2)
    only_new = _settings(new_key)
    assert decrypt_secret(after.key_ciphertext, only_new) == API_SECRET
    assert decrypt_secret(after.webhook_secret_ciphertext, only_new) == HOOK_SECRET


def test_rotation_reencrypts_the_kept_sips_key_and_the_checkouts_returnmac(db, keys):
    from datetime import timedelta

    from epay_app.domain.dates import utcnow
    from epay_app.models import DirectCheckout, EPayment

    old_key, new_key = keys
    vincent, _, pos1, *_ = _ids(db)
    with session_scope(db) as s:
        psp_config.update_config(s, vincent, _stored(db, pos1).id, PSPID, API_SECRET, protocol="direct", **DIRECT)
        payment = s.exec(select(EPayment)).first()
        s.add(
            DirectCheckout(
                payment_id=payment.id,
                hosted_checkout_id="4306873688",
                redirect_url="https://x/",
                return_mac_ciphertext=encrypt_secret("ab874513-9f40-4ca0-a7c7-8dc14bc4e09d"),
                idempotence_key="k1",
                expires_at=utcnow() + timedelta(minutes=30),
            )
        )
    with session_scope(db) as s:
        psp_config.rotate_all(s, _settings(f"{new_key},{old_key}"))
    only_new = _settings(new_key)
    assert decrypt_secret(_stored(db, pos1).sips_key_ciphertext, only_new) == demo_data.DEMO_MERCHANT_KEY
    with session_scope(db) as s:
        checkout = s.exec(select(DirectCheckout)).one()
        assert decrypt_secret(checkout.return_mac_ciphertext, only_new) == "ab874513-9f40-4ca0-a7c7-8dc14bc4e09d"
