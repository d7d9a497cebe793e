"""Production shape: PostgreSQL + Redis + 3 backend workers. The payment journey works and
PSP callbacks land on different workers, each applied once."""

from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import func, select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.models import EPayment, EPaymentEvent, OutboxMail
from epay_app.psp import sips_codec as codec
from epay_app.services.demo.demo_data import DEMO_MERCHANT_ID, DEMO_MERCHANT_KEY
from epay_app.services.payment.paylinks import make_token

from .conftest import fill_sips_card, login

pytestmark = pytest.mark.e2e


def _signed(payment, code="00"):
    data = codec.encode_data(
        {
            "merchantId": DEMO_MERCHANT_ID,
            "keyVersion": "1",
            "transactionReference": payment.psp_reference,
            "orderId": payment.reference,
            "amount": str(payment.amount_cents),
            "currencyCode": "978",
            "responseCode": code,
            "authorisationId": "123456",
        }
    )
    return {"Data": data, "Seal": codec.paypage_seal(data, DEMO_MERCHANT_KEY), "InterfaceVersion": "HP_2.31"}


def test_login_and_session_across_three_workers(scaleout_app, page, shot):
    login(page, scaleout_app, "directeur@openflex.demo")
    for _ in range(3):  # every reload may reach another worker: the state lives in Redis
        page.reload()
        expect(page.locator("#welcome")).to_contain_text("Vincent SIMON")
    shot("home")


def test_callbacks_land_on_several_workers_and_apply_once(scaleout_app):
    with session_scope(scaleout_app.db_url) as s:
        pay = s.exec(select(EPayment).where(EPayment.reference == "00051_000071_20000004355_1")).one()
    form = _signed(pay)
    workers, answers = set(), []
    for _ in range(24):
        with httpx.Client(timeout=10) as client:  # a new connection each time
            response = client.post(f"{scaleout_app.base_url}/api/psp/sips/notify", data=form)
        answers.append(response.status_code)
        workers.add(response.headers.get("x-epay-worker"))
    assert set(answers) == {200}
    assert len(workers - {None}) >= 2, f"all callbacks reached one worker: {workers}"
    with session_scope(scaleout_app.db_url, write=False) as s:
        assert s.get(EPayment, pay.id).status == "autorise"
        changes = s.exec(
            select(func.count())
            .select_from(EPaymentEvent)
            .where(EPaymentEvent.payment_id == pay.id, EPaymentEvent.to_status == "autorise")
        ).one()
        mails = s.exec(
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.payment_id == pay.id, OutboxMail.kind == "payment_confirmation")
        ).one()
    assert (changes, mails) == (1, 1)


def test_payment_through_the_sandbox_on_the_scaled_app(scaleout_app, page, shot):
    with session_scope(scaleout_app.db_url) as s:
        pay = s.exec(select(EPayment).where(EPayment.reference == "00030_000031_20000004469_1")).one()
        pay.link_expires_at = utcnow() + timedelta(hours=1)
        s.add(pay)
        s.flush()
        link = f"{scaleout_app.base_url}/pay/{make_token(pay)}"
    page.goto(link)
    fill_sips_card(page, "MARIE VERRIERE")
    page.locator("#confirm").click()
    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible(timeout=20_000)
    shot("paid")
    with session_scope(scaleout_app.db_url, write=False) as s:
        assert s.get(EPayment, pay.id).status == "autorise"
