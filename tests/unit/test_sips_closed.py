"""Worldline closed Sips 2.0 to new transactions on 31/12/2025: no new payment on a Worldline host
from 01/01/2026 (Paris date), the local sandbox stays open for the history; the Office calls
(refund, cancel, status) are not affected."""

from datetime import UTC, date, datetime

import pytest

from epay_app.domain.errors import DomainError
from epay_app.psp import sips
from epay_app.psp.interface import PaymentRequest
from epay_app.psp.sips import SipsClosedToNewPayments, SipsGateway, is_worldline_host

KEY = "002001000000002_KEY1"
WORLDLINE_HOSTS = [
    "https://payment-webinit.sips-services.com",  # production
    "https://payment-webinit.test.sips-services.com",  # test
    "https://payment-webinit.simu.sips-services.com",  # simulation: Worldline's too
    "https://payment-webinit.sips-atos.com",  # the names used until 2021
    "https://PAYMENT-WEBINIT.SIPS-SERVICES.COM.",
]
LOCAL = [
    "http://127.0.0.1:8900",
    "http://localhost:8900",
    "https://sandbox.epaiement.example",
    "https://sips-services.com.evil.example",
    "https://notsips-services.com",
]


def _request():
    return PaymentRequest(
        reference="00045_000061_20000026837_1",
        psp_reference="00045000061200000268371",
        amount_cents=50000,
        merchant_id="002001000000002",
        secret_key=KEY,
        key_version=1,
        normal_return_url="https://shop.example/r",
        automatic_response_url="https://shop.example/n",
    )


@pytest.mark.parametrize("url", WORLDLINE_HOSTS)
def test_worldline_hosts_are_recognised(url):
    assert is_worldline_host(url)


@pytest.mark.parametrize("url", LOCAL)
def test_other_hosts_are_not(url):
    assert not is_worldline_host(url)


@pytest.mark.parametrize("url", WORLDLINE_HOSTS)
def test_no_new_payment_on_worldline_after_31_12_2025(url):
    gateway = SipsGateway(url, "https://office-server.sips-services.com", today=lambda: date(2026, 1, 1))
    with pytest.raises(SipsClosedToNewPayments) as error:
        gateway.build_payment_form(_request())
    assert isinstance(error.value, DomainError)
    message = str(error.value)
    assert "31/12/2025" in message and "Worldline Direct" in message
    assert "Paramètres › e-Paiement" in message


@pytest.mark.parametrize("url", WORLDLINE_HOSTS)
def test_the_last_day_still_works(url):
    gateway = SipsGateway(url, "https://office", today=lambda: date(2025, 12, 31))
    assert gateway.build_payment_form(_request()).action_url.endswith("/paymentInit")


@pytest.mark.parametrize("url", LOCAL)
def test_the_sandbox_keeps_taking_payments_for_the_history(url):
    gateway = SipsGateway(url, "http://127.0.0.1:8900", today=lambda: date(2031, 6, 1))
    assert gateway.build_payment_form(_request()).action_url == f"{url}/paymentInit"


def test_the_date_is_taken_in_paris(monkeypatch):
    """31/12/2025 at 23:30 UTC is already 01/01/2026 in Paris: closed."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2025, 12, 31, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(sips, "datetime", Frozen)
    assert sips.paris_today() == date(2026, 1, 1)
    gateway = SipsGateway("https://payment-webinit.sips-services.com", "https://office")
    assert not gateway.accepts_new_payments()


def test_from_settings_keeps_working_with_the_real_clock():
    """The default clock is today's Paris date: on the sandbox URL nothing changes."""
    gateway = SipsGateway("http://127.0.0.1:8900", "http://127.0.0.1:8900")
    assert gateway.accepts_new_payments()
