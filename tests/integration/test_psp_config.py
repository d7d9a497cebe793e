"""PSP credentials per point of sale: encrypted at rest, validated, scoped to the entity, rotated."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import func, select

from epay_app.config import Settings
from epay_app.db import session_scope
from epay_app.domain.errors import DomainError, ValidationError
from epay_app.models import Entity, PointOfSale, PspConfig
from epay_app.services import demo_data, psp_config
from epay_app.services.secrets import MasterKeyError, decrypt_secret
from tests.support import database

KEY = "Zq7-DISTINCTIVE-secret-KEY9"


@pytest.fixture
def keys():
    return Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def db(tmp_path, monkeypatch, keys):
    monkeypatch.setenv("EPAY_MASTER_KEYS", keys[0])
    url = f"sqlite:///{tmp_path / 'p.db'}"
    database.migrate(url)
    with session_scope(url) as s:
        demo_data.seed(s)
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
        row = psp_config.create_config(s, vincent, pos2, "002001000000099", KEY, "2")
    assert row.masked_key == "••••••••KEY9" and KEY not in repr(row)
    with session_scope(db) as s:
        stored = s.exec(text("SELECT key_ciphertext, key_hint, key_version FROM psp_config WHERE pos_id = :p"),
                        params={"p": pos2}).one()
    assert KEY not in stored[0] and stored[0].startswith("gAAAA")  # a Fernet token
    assert decrypt_secret(stored[0]) == KEY
    assert stored[1] == "KEY9" and stored[2] == 2


def test_list_is_the_entitys_points_of_sale_searchable_without_case_or_accents(db):
    vincent, no_option, _, pos2, _ = _ids(db)
    with session_scope(db) as s:
        assert [r.pos_name for r in psp_config.list_configs(s, vincent)] == ["Point de vente 1 (Vincent S.)"]
        psp_config.create_config(s, vincent, pos2, "002001000000099", KEY, "1")
    with session_scope(db) as s:
        assert len(psp_config.list_configs(s, vincent)) == 2
        assert [r.pos_name for r in psp_config.list_configs(s, vincent, "VENTE 2 (vincent")] == [
            "Point de vente 2 (Vincent S.)"]
        assert len(psp_config.list_configs(s, vincent, "pôint de vènte")) == 2
        assert psp_config.list_configs(s, vincent, "Audrey") == []
        assert psp_config.list_configs(s, no_option) == []
        assert [c.name for c in psp_config.unconfigured_points_of_sale(s, vincent)] == []


def test_unconfigured_choices_are_the_entitys_points_of_sale_without_configuration(db):
    vincent, *_ = _ids(db)
    with session_scope(db) as s:
        assert [c.name for c in psp_config.unconfigured_points_of_sale(s, vincent)] == [
            "Point de vente 2 (Vincent S.)"]


@pytest.mark.parametrize("field,pos,merchant,key,version,message", [
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
])
def test_each_invalid_value_is_refused_with_its_message_and_nothing_written(
        db, field, pos, merchant, key, version, message):
    vincent, _, pos1, pos2, audrey_pos = _ids(db)
    pos_id = {"": "", "AUDREY": audrey_pos, "POS1": pos1, "POS2": pos2}[pos]
    before = _count(db)
    with pytest.raises(ValidationError) as caught, session_scope(db) as s:
        psp_config.create_config(s, vincent, pos_id, merchant, key, version)
    assert caught.value.errors == {field: message}
    assert KEY not in str(caught.value)
    assert _count(db) == before


def test_every_error_is_reported_at_once(db):
    vincent, *_ = _ids(db)
    with pytest.raises(ValidationError) as caught, session_scope(db) as s:
        psp_config.create_config(s, vincent, "", "abc", "", "x")
    assert set(caught.value.errors) == {"pos_id", "merchant_id", "key", "key_version"}


def test_entity_without_the_option_cannot_add_a_configuration(db):
    _, no_option, *_ = _ids(db)
    with session_scope(db) as s:
        pos = s.exec(select(PointOfSale).where(PointOfSale.entity_id == no_option)).one()
    with pytest.raises(psp_config.EpayOptionMissing) as caught, session_scope(db) as s:
        psp_config.create_config(s, no_option, pos.id, "002001000000099", KEY, "1")
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
    for action in (lambda s: psp_config.update_config(s, vincent, foreign.id, "002001000000003", "", "1"),
                   lambda s: psp_config.delete_config(s, vincent, foreign.id),
                   lambda s: psp_config.get_config(s, vincent, foreign.id)):
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
            "Point de vente 1 (Vincent S.)", "Point de vente 2 (Vincent S.)"]


def test_short_keys_are_masked_without_a_hint(db):
    vincent, _, _, pos2, _ = _ids(db)
    with session_scope(db) as s:
        row = psp_config.create_config(s, vincent, pos2, "002001000000099", "abcdef", "1")
    assert row.masked_key == "••••••••"


def test_rotation_reencrypts_every_row_and_old_ciphertexts_decrypt_meanwhile(db, keys):
    old_key, new_key = keys
    vincent, _, _, pos2, _ = _ids(db)
    with session_scope(db) as s:
        psp_config.create_config(s, vincent, pos2, "002001000000099", KEY, "1")
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
    return subprocess.run([sys.executable, "-m", "epay_app.rotate_keys"], env=env, capture_output=True,
                          text=True, timeout=60, cwd=database.ROOT)


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
