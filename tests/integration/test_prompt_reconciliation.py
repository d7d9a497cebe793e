"""Finding: a notification sent while the backend restarted was lost for ~20 minutes: the
sandbox gave up after 4 tries in 1.9 s and only the reconciliation (20 min, every 5 min)
repaired it. Now the sandbox retries over minutes, and a payment whose PSP session is over is
asked about within 2 minutes of that end."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session

from epay_app.config import get_settings
from epay_app.db import get_engine, session_scope
from epay_app.domain.dates import as_utc, utcnow
from epay_app.models import DirectCheckout, EPayment, PaymentPspCheck, SipsSession
from epay_app.psp.sandbox.notifier import DEFAULT_SCHEDULE_MINUTES, Notifier, parse_schedule_minutes
from epay_app.services.payment.paylinks import pay_url
from epay_app.services.payment.reconciliation import _sessions_over, reconcile_pending
from tests.support import aio

pytestmark = pytest.mark.usefixtures("sandbox", "api_server")


def _stored(url, payment_id) -> EPayment:
    with Session(get_engine(url, write=False)) as s:
        return s.get(EPayment, payment_id)


def _session_start(url, payment_id, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(get_engine(url, write=False)) as s:
            row = s.get(SipsSession, payment_id)
            if row is not None:
                return as_utc(row.started_at)
        time.sleep(0.05)
    raise AssertionError("the Sips session start was not recorded")


def test_defaults_reconcile_within_two_minutes_of_the_sips_session_end():
    settings = get_settings()
    assert settings.sips_session_minutes == 15
    worst = timedelta(minutes=settings.reconciliation_grace_minutes, seconds=settings.payment_jobs_interval_seconds)
    assert worst <= timedelta(minutes=2)


def test_a_lost_automatic_response_is_repaired_right_after_the_sips_session(
    sandbox, psp_customer, make_payment, migrated_db_url
):
    payment = make_payment(50_000)
    httpx.post(f"{sandbox}/_sandbox/faults", json={"transactionReference": payment.psp_reference, "drop": True})
    page = psp_customer.open_link(pay_url(payment))  # the Sips session starts here
    psp_customer.submit_card(page, "4100000000000000")  # paid; no response, no return
    started = _session_start(migrated_db_url, payment.id)

    during = aio.run(reconcile_pending(session_scope, started + timedelta(minutes=14)))
    assert payment.reference not in during.changed
    assert _stored(migrated_db_url, payment.id).status == "envoye"

    # 15 min session + 30 s grace; the next pass (≤ 60 s later) is within 2 minutes of the end.
    after = aio.run(reconcile_pending(session_scope, started + timedelta(minutes=15, seconds=40)))
    assert after.changed.get(payment.reference) == "autorise"
    assert _stored(migrated_db_url, payment.id).status == "autorise"


def test_a_direct_checkout_is_asked_about_once_it_has_expired(make_payment, migrated_db_url):
    payment = make_payment(50_000)
    now = utcnow()
    with session_scope(migrated_db_url) as s:
        s.add(
            DirectCheckout(
                payment_id=payment.id,
                hosted_checkout_id=f"hc-{uuid.uuid4().hex}",
                return_mac_ciphertext="x",
                redirect_url="http://127.0.0.1/x",
                idempotence_key=uuid.uuid4().hex,
                created_at=now,
                expires_at=now + timedelta(minutes=get_settings().direct_checkout_minutes),
            )
        )
    ends = now + timedelta(minutes=get_settings().direct_checkout_minutes)
    with session_scope(migrated_db_url, write=False) as s:
        assert payment.id not in _sessions_over(s, ends - timedelta(minutes=1), get_settings())
        assert payment.id in _sessions_over(s, ends + timedelta(minutes=1), get_settings())
    with session_scope(migrated_db_url) as s:  # asked after the end: not again for this checkout
        s.add(PaymentPspCheck(payment_id=payment.id, checked_at=ends + timedelta(minutes=1)))
    with session_scope(migrated_db_url, write=False) as s:
        assert payment.id not in _sessions_over(s, ends + timedelta(minutes=3), get_settings())


def test_the_sandbox_retry_schedule_is_in_minutes_and_configurable():
    assert Notifier().schedule == tuple(m * 60 for m in DEFAULT_SCHEDULE_MINUTES)
    assert sum(Notifier().schedule) >= 20 * 60  # a backend restart of a few minutes is covered
    assert Notifier(4, 0.25).schedule == (0.25, 0.5, 1.0)  # the fast one, for tests
    assert parse_schedule_minutes("0.01,0.02") == (0.6, 1.2)


def test_a_response_sent_while_the_backend_restarts_is_delivered_by_a_later_retry():
    import threading
    import time

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from tests.support.processes import free_port

    port = free_port()
    received = []

    async def notify(request):
        received.append(dict(await request.form()))
        return PlainTextResponse("OK")

    async def scenario():
        # Down for 1.5 s (a restart); the schedule (0.5 s, 1 s, 2 s) is a scaled-down "minutes" one.
        notifier = Notifier(schedule=(0.5, 1.0, 2.0))
        assert await notifier.deliver(f"http://127.0.0.1:{port}/notify", {"Data": "d"}, "ref")
        return notifier

    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/notify", notify, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )

    def start_later():
        time.sleep(1.5)
        server.run()

    thread = threading.Thread(target=start_later, daemon=True)
    thread.start()
    try:
        notifier = asyncio.run(scenario())
    finally:
        server.should_exit = True
        thread.join(10)
    assert notifier.delivered.get("ref") == 1 and received == [{"Data": "d"}]


def test_a_long_schedule_retries_in_the_background_without_holding_the_browser():
    async def scenario():
        notifier = Notifier(schedule=(60.0, 120.0))
        started = asyncio.get_running_loop().time()
        delivered = await notifier.deliver("http://127.0.0.1:9/notify", {"Data": "d"}, "ref")  # port 9: refused
        waited = asyncio.get_running_loop().time() - started
        pending = len(notifier._tasks)
        for task in list(notifier._tasks):
            task.cancel()
        return delivered, waited, pending

    delivered, waited, pending = asyncio.run(scenario())
    assert delivered is False and waited < 5 and pending == 1
