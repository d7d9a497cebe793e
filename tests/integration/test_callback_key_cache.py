"""The callback keeps its merchants' decrypted keys in memory (services/admin/psp_accounts.py): a key
changed in the settings must be the one the next callback verifies with."""

from __future__ import annotations

import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.models import PspConfig
from epay_app.psp.interface import SealError
from epay_app.services.admin.secrets import encrypt_secret
from epay_app.services.payment.callbacks import apply_psp_response
from tests.support.sips_messages import DEMO_KEY, signed_response

NEW_KEY = "002001000000002_KEY2"


def _store_key(db_url: str, pos_id: int, key: str) -> None:
    with session_scope(db_url) as session:
        config = session.exec(select(PspConfig).where(PspConfig.pos_id == pos_id)).one()
        config.key_ciphertext = encrypt_secret(key)
        session.add(config)


def test_a_replaced_merchant_key_is_used_by_the_next_callback(migrated_db_url, make_payment, demo_point_of_sale):
    first, second = make_payment(), make_payment()
    with session_scope(migrated_db_url) as session:
        assert apply_psp_response(session, signed_response(first), "psp:notify").outcome == "applied"
    try:
        _store_key(migrated_db_url, demo_point_of_sale["pos_id"], NEW_KEY)
        with pytest.raises(SealError), session_scope(migrated_db_url) as session:
            apply_psp_response(session, signed_response(second, secret_key=DEMO_KEY), "psp:notify")
        with session_scope(migrated_db_url) as session:
            result = apply_psp_response(session, signed_response(second, secret_key=NEW_KEY), "psp:notify")
        assert result.outcome == "applied"
    finally:
        _store_key(migrated_db_url, demo_point_of_sale["pos_id"], DEMO_KEY)
