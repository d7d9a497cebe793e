"""Shared integration fixtures.

PSP path: a migrated database (every backend of
tests.support.database), the sandbox PSP as a subprocess and the app's API routes served by
uvicorn in a thread — all on loopback, on free ports.

Session-scoped: one database per backend, one sandbox, one API server for the run. Tests make
their own rows (`make_payment` gives each payment a fresh order number) so they stay independent.
"""

from __future__ import annotations

import importlib
import itertools
import os
import pkgutil
import socket
import threading
import time
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from epay_app.config import get_settings
from epay_app.db import NO_SQL_ON_LOOP_ENV, get_engine, reset_engines, sql_on_loop
from tests.support import database, processes

# Every statement run on a thread that is running an event loop is recorded (epay_app.db), and the
# run fails at its end if there was any: the event loop only waits.
os.environ.setdefault(NO_SQL_ON_LOOP_ENV, "1")


@pytest.fixture(scope="package", autouse=True)
def no_sql_on_the_event_loop():
    """Checked when the integration package ends. The e2e tests that may follow in the same run
    drive Playwright's sync API, which keeps an event loop on the test's own thread: their setup
    queries are not the app's (the e2e apps run their own check, tests/support/live.py)."""
    yield
    enabled = os.environ.get(NO_SQL_ON_LOOP_ENV) == "1"
    os.environ[NO_SQL_ON_LOOP_ENV] = "0"
    if enabled:
        seen = list(dict.fromkeys(sql_on_loop))
        assert not sql_on_loop, f"{len(sql_on_loop)} SQL statement(s) ran on an event loop's thread:\n" + "\n".join(
            seen[:30]
        )


DEMO_MERCHANT = "002001000000002"
DEMO_KEY = "002001000000002_KEY1"


@pytest.fixture(scope="session")
def epay_env(tmp_path_factory):
    """The session's environment (a MonkeyPatch), with the master key in a temp dir.
    Set more with `epay_env.setenv(...)` then `get_settings.cache_clear()`."""
    patch = pytest.MonkeyPatch()
    patch.setenv("EPAY_MASTER_KEY_FILE", str(tmp_path_factory.mktemp("epay_env") / "master_key"))
    get_settings.cache_clear()
    yield patch
    patch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="session", params=database.backends())
def migrated_db_url(request, epay_env, tmp_path_factory) -> str:
    """A database migrated to head with alembic (SQLite, and PostgreSQL when EPAY_TEST_PG_URL
    is set); REFLEX_DB_URL points at it."""
    url = database.create_migrated_database(request.param, tmp_path_factory.mktemp("db"))
    epay_env.setenv("REFLEX_DB_URL", url)
    get_settings.cache_clear()
    reset_engines()  # get_engine() without a URL caches the first default database
    yield url
    reset_engines()
    database.drop_database(url)


@pytest.fixture(scope="session")
def sandbox(epay_env, tmp_path_factory):
    """Base URL of a sandbox PSP subprocess; the app's PSP URLs point at it.
    Payments are not remitted until a test calls POST /_sandbox/remit."""
    tmp = tmp_path_factory.mktemp("sandbox")
    env = {**os.environ, "EPAY_SANDBOX_NOTIFY_BACKOFF": "0.05", "PYTHONUNBUFFERED": "1"}
    for attempt in range(3):  # a free port can be taken between the probe and the bind
        port = processes.free_port()
        log = tmp / f"sandbox-{attempt}.log"
        proc = processes.start_python_module(
            "epay_app.psp.sandbox",
            ["--port", str(port), "--db", str(tmp / "sandbox.db"), "--remit-after", "86400"],
            env,
            log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            processes.wait_http(f"{base}/_sandbox/health", proc, timeout=30, log_path=log)
            break
        except (RuntimeError, TimeoutError):
            processes.stop(proc)
            if attempt == 2:
                raise
    epay_env.setenv("EPAY_PSP_PAYPAGE_URL", base)
    epay_env.setenv("EPAY_PSP_OFFICE_URL", base)
    epay_env.setenv("EPAY_DIRECT_API_URL", base)
    epay_env.setenv("EPAY_PSP_TIMEOUT_SECONDS", "5")
    get_settings.cache_clear()
    _sandboxes.append(base)
    yield base
    _sandboxes.remove(base)
    processes.stop(proc)


_sandboxes: list[str] = []  # the session's sandbox, once a module has started it


@pytest.fixture(scope="module", autouse=True)
def _sandbox_webhooks_delivered():
    """The sandbox outlives a module, and the database is shared: a Direct webhook it still holds
    or retries (HOLD_SECONDS, backoff) would land during the next module's tests. Each module
    ends once its deliveries have."""
    yield
    for base in _sandboxes:
        deadline = time.monotonic() + 15
        while httpx.get(f"{base}/_sandbox/direct/webhooks").json()["pending"] and time.monotonic() < deadline:
            time.sleep(0.1)


def _import_api_modules() -> None:
    import epay_app.api as api_package

    for module in pkgutil.iter_modules(api_package.__path__):
        importlib.import_module(f"epay_app.api.{module.name}")


@pytest.fixture(scope="session")
def api_server(migrated_db_url, epay_env):
    """Base URL of a Starlette app built from every route in api.routes.API_ROUTES
    (uvicorn in a thread); EPAY_PUBLIC_URL points at it."""
    _import_api_modules()
    from epay_app.api.routes import API_ROUTES

    port = processes.free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=list(API_ROUTES)), host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("API server did not start")
        time.sleep(0.05)
    epay_env.setenv("EPAY_PUBLIC_URL", base)
    get_settings.cache_clear()
    yield base
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def db(migrated_db_url):
    """A reading session on the test database. It does not take SQLite's write lock, so the
    servers can write meanwhile; call `db.rollback()` before reading to see their commits."""
    from sqlmodel import Session

    with Session(get_engine(migrated_db_url, write=False), expire_on_commit=False) as session:
        yield session


_numbers = itertools.count(26837)


@pytest.fixture(scope="session")
def demo_point_of_sale(migrated_db_url):
    """Group → entity 45 → point of sale 61 configured with Worldline's demo merchant,
    a seller and a customer. Returns their ids."""
    from sqlmodel import Session

    from tests.support.dealer import add_sips_point_of_sale

    with Session(get_engine(migrated_db_url), expire_on_commit=False) as session:
        demo = add_sips_point_of_sale(session)
        session.commit()
        return {
            "group_id": demo.group.id,
            "entity_id": demo.entity.id,
            "pos_id": demo.pos.id,
            "seller_id": demo.seller.id,
            "customer_id": demo.customer.id,
        }


@pytest.fixture(scope="session")
def direct_point_of_sale(migrated_db_url, demo_point_of_sale):
    """Point of sale 63 of entity 45 on Worldline Direct with the sandbox's demo merchant, which
    kept the Sips simulation merchant it had before (for its Sips-era payments). Its ids."""
    from sqlmodel import Session

    from epay_app.services.admin.secrets import encrypt_secret
    from tests.support.dealer import add_direct_point_of_sale

    ids = demo_point_of_sale
    with Session(get_engine(migrated_db_url), expire_on_commit=False) as session:
        sips = {
            "sips_merchant_id": DEMO_MERCHANT,
            "sips_key_ciphertext": encrypt_secret(DEMO_KEY),
            "sips_key_version": 1,
        }
        pos = add_direct_point_of_sale(session, ids["entity_id"], 63, "Point de vente Direct", **sips)
        session.commit()
        return {**ids, "pos_id": pos.id, "pos_number": 63}


@pytest.fixture
def make_payment(migrated_db_url, demo_point_of_sale):
    """make_payment(amount_cents=50000, status="envoye", link_hours=72) → a committed EPayment
    (deposit on a new order at the demo point of sale)."""
    return _payment_maker(migrated_db_url, demo_point_of_sale)


@pytest.fixture
def make_direct_payment(migrated_db_url, direct_point_of_sale):
    """make_payment's twin at the Worldline Direct point of sale."""
    return _payment_maker(migrated_db_url, direct_point_of_sale)


def _payment_maker(migrated_db_url, ids):
    from sqlmodel import Session

    from epay_app.domain.dates import utcnow
    from epay_app.domain.references import PaymentKind, TransactionReference
    from epay_app.models import EPayment, Offer, Opportunity, SalesOrder, Vehicle

    def make(amount_cents: int = 50_000, status: str = "envoye", link_hours: float = 72) -> EPayment:
        number = next(_numbers)
        with Session(get_engine(migrated_db_url), expire_on_commit=False) as session:
            vehicle = Vehicle(pos_id=ids["pos_id"], make="CUPRA", model="Born", price_cents=3_565_356)
            session.add(vehicle)
            session.flush()
            opportunity = Opportunity(
                number=number, customer_id=ids["customer_id"], seller_id=ids["seller_id"], pos_id=ids["pos_id"]
            )
            session.add(opportunity)
            session.flush()
            offer = Offer(number=number, opportunity_id=opportunity.id, vehicle_id=vehicle.id)
            session.add(offer)
            session.flush()
            order = SalesOrder(
                number=number,
                offer_id=offer.id,
                pos_id=ids["pos_id"],
                deposit_amount_cents=amount_cents,
                deposit_method="Carte bancaire",
                deposit_online=True,
            )
            session.add(order)
            session.flush()
            reference = TransactionReference(45, ids.get("pos_number", 61), PaymentKind.DEPOSIT, number, 1)
            payment = EPayment(
                reference=str(reference),
                psp_reference=reference.psp_reference,
                kind=PaymentKind.DEPOSIT.value,
                amount_cents=amount_cents,
                status=status,
                order_id=order.id,
                opportunity_id=opportunity.id,
                customer_id=ids["customer_id"],
                vehicle_id=vehicle.id,
                seller_id=ids["seller_id"],
                pos_id=ids["pos_id"],
                entity_id=ids["entity_id"],
                sent_at=utcnow(),
                link_expires_at=utcnow() + timedelta(hours=link_hours),
            )
            session.add(payment)
            session.commit()
            return payment

    return make


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action") or "", {}))
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""


def html_forms(html: str, base_url: str = "") -> list[tuple[str, dict[str, str]]]:
    parser = _FormParser()
    parser.feed(html)
    return [(urljoin(base_url, action), fields) for action, fields in parser.forms]


class BrowserClient:
    """A customer without JavaScript: follows the auto-submitting forms by hand."""

    def __init__(self):
        self.http = httpx.Client(timeout=20, follow_redirects=True)

    def open_link(self, url: str) -> httpx.Response:
        """The payment link, then the PSP's hosted page (PaymentInit posted)."""
        link = self.http.get(url)
        if link.status_code != 200:
            return link
        action, fields = html_forms(link.text, str(link.url))[0]
        return self.http.post(action, data=fields)

    def submit_card(
        self,
        page: httpx.Response,
        number: str,
        month: str = "12",
        year: str = "2099",
        cvc: str = "123",
        holder: str = "PATRICK PONS",
    ) -> httpx.Response:
        action, _ = html_forms(page.text, str(page.url))[0]
        return self.http.post(
            action, data={"holder": holder, "card_number": number, "exp_month": month, "exp_year": year, "cvc": cvc}
        )

    def cancel(self, page: httpx.Response) -> httpx.Response:
        action, _ = html_forms(page.text, str(page.url))[1]
        return self.http.post(action)

    def follow_return(self, psp_page: httpx.Response) -> httpx.Response:
        """POST the PSP's return form to normalReturnUrl, as the browser's script would."""
        action, fields = html_forms(psp_page.text, str(psp_page.url))[0]
        return self.http.post(action, data=fields)

    def close(self):
        self.http.close()


@pytest.fixture
def psp_customer():
    """A customer's browser (httpx, no JavaScript) for payment links and the sandbox pages."""
    client = BrowserClient()
    yield client
    client.close()


@pytest.fixture(scope="session")
def demo_merchant() -> dict[str, str]:
    """Worldline's public simulation merchant, configured at the demo point of sale."""
    return {"merchant_id": DEMO_MERCHANT, "secret_key": DEMO_KEY, "key_version": "1"}


@pytest.fixture(scope="session")
def parse_forms():
    """parse_forms(html, base_url="") → [(absolute action, {name: value})]."""
    return html_forms


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- mail / outbox fixtures -------------------------------------------------------------


@pytest.fixture
def mail_settings_env(tmp_path, monkeypatch):
    """Settings isolated in tmp_path: master key file, mail sink dir. Clears get_settings()."""
    monkeypatch.setenv("EPAY_MASTER_KEY_FILE", str(tmp_path / "master.key"))
    monkeypatch.setenv("EPAY_MAIL_SINK_DIR", str(tmp_path / "mail_sink"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def mail_db_url(db_url, mail_settings_env, monkeypatch) -> str:
    """The shared `db_url` (at the alembic head; SQLite, and PostgreSQL when EPAY_TEST_PG_URL
    is set), also exported as REFLEX_DB_URL for code that reads the settings (the lifespan task,
    the worker command)."""
    monkeypatch.setenv("REFLEX_DB_URL", db_url)
    get_settings.cache_clear()
    return db_url


class SmtpSink:
    """A real aiosmtpd server (emails.sink.FileSink) on a free loopback port; stop() and
    start() again on the same port to play a mail server outage."""

    def __init__(self, directory: Path, port: int):
        self.directory, self.port, self._controller = directory, port, None

    def start(self) -> None:
        from epay_app.emails.sink import start_sink

        if self._controller is None:
            self._controller = start_sink(self.directory, self.port)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.eml")) if self.directory.is_dir() else []


@pytest.fixture
def smtp_sink(mail_settings_env, monkeypatch):
    """Started SMTP sink writing into EPAY_MAIL_SINK_DIR; EPAY_SMTP_HOST/PORT point at it."""
    sink = SmtpSink(Path(mail_settings_env) / "mail_sink", free_tcp_port())
    monkeypatch.setenv("EPAY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("EPAY_SMTP_PORT", str(sink.port))
    get_settings.cache_clear()
    sink.start()
    yield sink
    sink.stop()
    get_settings.cache_clear()


@pytest.fixture
def fake_pages_answer_the_session_check(monkeypatch):
    """Fake live pages (no cookie) answer the watcher's per-refresh session check through their
    current_user(); the real check, auth.session_user_id, has its own test."""
    from epay_app.pages import live

    def session_check(state):
        def viewer_id():
            user = state.current_user()
            return user.id if user is not None else None

        return viewer_id

    monkeypatch.setattr(live, "_session_check", session_check)
