"""Payment links /pay/<token>: bound to one payment, expiring, refused once the payment moved on."""

from __future__ import annotations

import httpx
import pytest

from epay_app.config import get_settings
from epay_app.db import session_scope
from epay_app.psp import sips_codec as codec
from epay_app.services.payment.paylinks import LinkInvalid, make_token, pay_url, payment_for_token

pytestmark = pytest.mark.usefixtures("sandbox", "api_server")


def _sandbox_knows(sandbox, payment) -> bool:
    return httpx.get(f"{sandbox}/_sandbox/transactions/{payment.psp_reference}").status_code == 200


def test_link_posts_a_signed_paypage_form_to_the_psp(api_server, sandbox, make_payment, parse_forms):
    payment = make_payment(123_456)
    page = httpx.get(pay_url(payment))
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    [(action, fields)] = parse_forms(page.text)
    assert action == f"{sandbox}/paymentInit"
    data = codec.parse_data(fields["Data"])
    assert data["normalReturnUrl"] == f"{api_server}/api/psp/sips/return"
    assert data["automaticResponseUrl"] == f"{api_server}/api/psp/sips/notify"
    assert (data["amount"], data["transactionReference"], data["orderId"]) == (
        "123456",
        payment.psp_reference,
        payment.reference,
    )
    assert data["customerEmail"] == "client@test.local"
    assert fields["Seal"] == codec.paypage_seal(fields["Data"], "002001000000002_KEY1")


def test_expired_link_shows_a_clear_page_and_calls_no_psp(sandbox, make_payment):
    payment = make_payment(link_hours=-1)
    page = httpx.get(pay_url(payment))
    assert page.status_code == 410 and "Lien de paiement expiré" in page.text
    assert not _sandbox_knows(sandbox, payment)


def test_forged_or_foreign_tokens_are_invalid(api_server, make_payment):
    first, second = make_payment(), make_payment()
    payment_id, expiry, signature = make_token(first).split(".")
    later = str(int(expiry) + 86_400)
    for token in (
        f"{second.id}.{expiry}.{signature}",
        f"{payment_id}.{later}.{signature}",
        f"{payment_id}.{expiry}.{signature[:-2]}AA",
        "nonsense",
    ):
        page = httpx.get(f"{api_server}/pay/{token}")
        assert page.status_code == 404 and "Lien de paiement invalide" in page.text


def test_link_of_a_paid_payment_says_so(make_payment):
    payment = make_payment(status="autorise")
    page = httpx.get(pay_url(payment))
    assert page.status_code == 409 and "déjà été effectué" in page.text


def test_tokens_survive_a_master_key_rotation(make_payment):
    from cryptography.fernet import Fernet

    payment = make_payment()
    old = get_settings().model_copy(update={"master_keys": Fernet.generate_key().decode(), "link_secret": ""})
    rotated = old.model_copy(update={"master_keys": f"{Fernet.generate_key().decode()},{old.master_keys}"})
    token = make_token(payment, old)
    with session_scope(write=False) as session:
        assert payment_for_token(session, token, rotated).id == payment.id
        with pytest.raises(LinkInvalid):
            payment_for_token(session, token, old.model_copy(update={"link_secret": "other"}))
