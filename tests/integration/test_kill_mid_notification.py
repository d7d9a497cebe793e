"""R6 — the backend is SIGKILLed while it processes a notification, then restarted; the sandbox's
retry of the automatic response lands on the new process: the payment ends authorised with one
status-change event and one confirmation e-mail, and nothing half-written survives the crash.

The API routes run in a uvicorn subprocess (tests/support/api_app.py) on a fixed port, so the
restarted process answers the sandbox's retries at the same URL. Two places to die:
  - inside the transaction, after the status change, its event and the outbox row were flushed
    (the subprocess's test-only stall point, EPAY_TEST_STALL_FILE);
  - while waiting for the payment's lock, held by the test from a second connection.
A dedicated sandbox retries patiently enough to outlive the restart.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from epay_app.config import get_settings
from epay_app.services.payment.paylinks import pay_url
from tests.support import processes, state
from tests.support.sips_messages import NOTIFY

pytestmark = pytest.mark.usefixtures("api_server")


@pytest.fixture(scope="module")
def patient_sandbox(tmp_path_factory, epay_env):
    """A sandbox of its own that retries an automatic response for ~25 s (0.2 s, 0.4 s, …)."""
    tmp = tmp_path_factory.mktemp("patient_sandbox")
    port = processes.free_port()
    env = {
        **os.environ,
        "EPAY_SANDBOX_NOTIFY_ATTEMPTS": "8",
        "EPAY_SANDBOX_NOTIFY_BACKOFF": "0.2",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp / "sandbox.log"
    proc = processes.start_python_module(
        "epay_app.psp.sandbox", ["--port", str(port), "--db", str(tmp / "sandbox.db")], env, log
    )
    base = f"http://127.0.0.1:{port}"
    processes.wait_http(f"{base}/_sandbox/health", proc, timeout=30, log_path=log)
    yield base
    processes.stop(proc)


class ApiProcess:
    """`python -m uvicorn tests.support.api_app:create_app` on a fixed port, restartable."""

    def __init__(self, port: int, sandbox: str, log_dir: Path):
        self.port, self.sandbox, self.log_dir = port, sandbox, log_dir
        self.base = f"http://127.0.0.1:{port}"
        self.proc = None
        self.starts = 0

    def start(self, **extra_env: str) -> None:
        self.starts += 1
        env = {
            **os.environ,
            "EPAY_PUBLIC_URL": self.base,
            "EPAY_PSP_PAYPAGE_URL": self.sandbox,
            "EPAY_PSP_OFFICE_URL": self.sandbox,
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        if "EPAY_TEST_STALL_FILE" not in extra_env:
            env.pop("EPAY_TEST_STALL_FILE", None)
        log = self.log_dir / f"api-{self.starts}.log"
        self.proc = processes.start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.support.api_app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--lifespan",
                "off",
                "--log-level",
                "warning",
            ],
            env,
            log,
        )
        processes.wait_http(self.base + NOTIFY, self.proc, timeout=30, log_path=log)  # GET → 405 when up

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        processes.stop(self.proc)


@pytest.fixture
def api_process(patient_sandbox, tmp_path):
    api = ApiProcess(processes.free_port(), patient_sandbox, tmp_path)
    yield api
    api.stop()


def _customer_pays(browser, url: str, box: dict) -> None:
    """The customer's browser, in a thread: its card submit waits for the automatic response."""
    try:
        page = browser.open_link(url)
        psp_page = browser.submit_card(page, "4100000000000000")
        box["return"] = browser.follow_return(psp_page)
    except Exception as exc:  # reported by the test
        box["error"] = exc


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class _LockHolder:
    """Hold the payment's row lock (PostgreSQL) or SQLite's write lock from another connection."""

    def __init__(self, db_url: str, payment_id: int):
        self.db_url, self.payment_id = db_url, payment_id

    def __enter__(self):
        if self.db_url.startswith("sqlite"):
            self.conn = sqlite3.connect(make_url(self.db_url).database, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.engine = create_engine(self.db_url)
            self.conn = self.engine.connect()
            self.tx = self.conn.begin()
            self.conn.execute(text("SELECT id FROM epayment WHERE id = :id FOR UPDATE"), {"id": self.payment_id})
        return self

    def someone_waits(self) -> bool:
        if self.db_url.startswith("sqlite"):
            time.sleep(1.0)  # SQLite cannot tell who waits on its lock: give the request time to arrive
            return True
        with self.engine.connect() as other:
            return (
                other.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query ILIKE '%epayment%FOR UPDATE%'"
                    )
                ).scalar()
                > 0
            )

    def __exit__(self, *exc):
        if self.db_url.startswith("sqlite"):
            self.conn.execute("ROLLBACK")
            self.conn.close()
        else:
            self.tx.rollback()
            self.conn.close()
            self.engine.dispose()


@pytest.mark.parametrize("moment", ["after_transition_before_commit", "waiting_for_the_lock"])
def test_backend_killed_mid_notification_recovers_through_the_psp_retry(
    moment, api_process, patient_sandbox, make_payment, migrated_db_url, psp_customer, tmp_path
):
    payment = make_payment(50_000)
    marker = tmp_path / "stalled"
    if moment == "after_transition_before_commit":
        api_process.start(EPAY_TEST_STALL_FILE=str(marker))
    else:
        api_process.start()
    url = pay_url(payment, get_settings().model_copy(update={"public_url": api_process.base}))
    box: dict = {}
    psp_customer.http.timeout = httpx.Timeout(60)
    customer = threading.Thread(target=_customer_pays, args=(psp_customer, url, box), daemon=True)

    if moment == "after_transition_before_commit":
        customer.start()
        _wait_for(marker.exists, 30, "the notification to reach the stall point")
        api_process.kill()
    else:
        with _LockHolder(migrated_db_url, payment.id) as lock:
            customer.start()
            _wait_for(lock.someone_waits, 30, "the notification to wait for the lock")
            api_process.kill()

    # Nothing of the killed transaction survives.
    crashed = state.outcome(migrated_db_url, payment.id)
    assert (crashed.status, crashed.events, crashed.mails) == ("envoye", (), ())

    api_process.start()  # same port, no stall: the sandbox's next retry lands here
    customer.join(60)
    assert not customer.is_alive(), "the customer's page never came back"
    assert "error" not in box, box.get("error")
    assert box["return"].status_code == 200 and "Paiement accepté" in box["return"].text

    final = state.outcome(migrated_db_url, payment.id)
    assert final.status == "autorise"
    assert final.transitions == [("envoye", "autorise")]
    assert len(final.events) == 1  # the browser return with the same Data is a duplicate
    assert [kind for kind, _ in final.mails] == ["payment_confirmation"]
    txn = httpx.get(f"{patient_sandbox}/_sandbox/transactions/{payment.psp_reference}").json()
    assert txn["notificationsDelivered"] == 1  # the one 2xx came from the restarted process
