"""Finding: a correctly sealed Sips response from another merchant (another entity's
administrator, with her own key) turned someone else's payment into Erreur, killing the
customer's link. It is now refused with 403, changes nothing, and is logged as a security event."""

from __future__ import annotations

import logging

import httpx
import pytest

from epay_app.psp.sips import NOTIFY_PATH as NOTIFY
from epay_app.psp.sips import RETURN_PATH as RETURN
from tests.support import state
from tests.support.other_merchant import ensure_other_point_of_sale
from tests.support.sips_messages import signed_response


@pytest.fixture
def other(migrated_db_url, demo_point_of_sale):
    return ensure_other_point_of_sale(migrated_db_url, demo_point_of_sale["entity_id"])


@pytest.mark.parametrize("path", [NOTIFY, RETURN], ids=["notify", "return"])
@pytest.mark.parametrize("code", ["00", "05", "99"])
def test_another_merchants_sealed_response_is_refused_and_changes_nothing(
    api_server, make_payment, migrated_db_url, other, path, code, caplog
):
    payment = make_payment(50_000)
    forged = signed_response(payment, code, merchant_id=other["merchant_id"], secret_key=other["secret_key"])
    before = state.snapshot(migrated_db_url)

    with caplog.at_level(logging.WARNING):
        answer = httpx.post(api_server + path, data=forged, timeout=30)

    assert answer.status_code == 403
    assert "Traceback" not in answer.text
    if path == RETURN:
        assert "Réponse de paiement invalide" in answer.text
    assert state.snapshot(migrated_db_url) == before
    assert state.outcome(migrated_db_url, payment.id).status == "envoye"
    security = [r for r in caplog.records if r.name == "epay_app.security"]
    assert len(security) == 1 and other["merchant_id"] in security[0].getMessage()
    assert payment.reference in security[0].getMessage()
    assert other["secret_key"] not in caplog.text

    # The customer's own merchant still settles it.
    assert httpx.post(api_server + NOTIFY, data=signed_response(payment, "00"), timeout=30).status_code == 200
    assert state.outcome(migrated_db_url, payment.id).status == "autorise"
