"""A mail queued in the outbox is delivered by the app's sender to the sink and readable at
/demo/mails, by a logged-in administrator only (the mails hold working payment links)."""

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.models import EPayment
from epay_app.services.mail import notifications

from .conftest import LOGIN_URL, login

pytestmark = pytest.mark.e2e


def test_the_demo_mailbox_needs_an_administrator(live_app, page):
    page.goto(f"{live_app.base_url}/demo/mails")
    page.wait_for_url(LOGIN_URL)  # anonymous: the login page, no mail listed
    login(page, live_app, "vendeur@openflex.demo")
    page.goto(f"{live_app.base_url}/demo/mails")
    expect(page.locator(".mailbox-row")).to_have_count(0)
    page.wait_for_timeout(1000)
    expect(page.locator(".mailbox-row")).to_have_count(0)


def test_outbox_mail_reaches_the_demo_mailbox(live_app, page, shot):
    if live_app.mail_dir is None:
        pytest.fail("the mail sink did not start")
    with session_scope(live_app.db_url) as s:
        pay = s.exec(select(EPayment).where(EPayment.reference == "00051_000071_20000004355_1")).one()
        notifications.queue_payment_request(s, pay, "http://example.invalid/pay/abc", resend=99)
    login(page, live_app, "admin@openflex.demo")
    page.goto(f"{live_app.base_url}/demo/mails")
    row = page.locator(".mailbox-row").filter(has_text="acompte")
    for _ in range(40):
        if row.count():
            break
        page.locator("#mailbox-refresh").click()
        page.wait_for_timeout(500)
    row.first.click()
    frame = page.frame_locator("#mailbox-frame")
    expect(frame.get_by_text("PAIEMENT DE L'ACOMPTE")).to_be_visible()
    expect(frame.get_by_text("00051_000071_20000004355_1").first).to_be_visible()
    expect(frame.get_by_role("link", name="Payer l'acompte en ligne")).to_have_attribute(
        "href", "http://example.invalid/pay/abc"
    )
    shot("mailbox")
