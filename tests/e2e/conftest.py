"""End-to-end fixtures: the app in prod mode on a temporary seeded database, with the PSP
sandbox and the mail sink, driven by Debian's Chromium."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.support import database, processes
from tests.support.live import LiveApp, copy_of_the_app, running_app, sql_on_loop

LOGIN_URL = re.compile(r".*/login/?$")
ARTIFACTS = processes.ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-quic",
]


# Every app started in this session, for checks over all their logs (test_zz_*).
STARTED_APPS: list[LiveApp] = []


@pytest.fixture(scope="module")
def live_app() -> LiveApp:
    """The embedded default: SQLite, one backend worker. One per test module, so each module
    starts from the demo data alone (a restart costs a few seconds)."""
    workdir = Path(tempfile.mkdtemp(prefix="epay-e2e-"))
    db_url = database.create_migrated_database("sqlite", workdir, "e2e.db")
    with running_app(db_url, workdir) as app:
        STARTED_APPS.append(app)
        yield app
    _assert_no_sql_on_loop(app)


def _assert_no_sql_on_loop(app: LiveApp) -> None:
    seen = sql_on_loop(app)
    assert not seen, f"{len(seen)} SQL statement(s) ran on the app's event loop:\n" + "\n".join(seen[:30])


@pytest.fixture(scope="session")
def scaleout_app() -> LiveApp:
    """Production shape: PostgreSQL + Redis + 3 backend workers (scripts/services.sh)."""
    pg_url, redis_url = os.environ.get("EPAY_TEST_PG_URL"), os.environ.get("EPAY_TEST_REDIS_URL")
    if not (pg_url and redis_url):
        pytest.skip("PostgreSQL/Redis not started (source scripts/services.sh)")
    workdir = Path(tempfile.mkdtemp(prefix="epay-scaleout-"))
    db_url = database.create_migrated_database("postgresql", workdir)
    app_dir = copy_of_the_app(workdir / "app")
    try:
        with running_app(
            db_url, workdir, app_dir, REFLEX_REDIS_URL=redis_url, GRANIAN_WORKERS="3", EPAY_EXPOSE_WORKER_ID="true"
        ) as app:
            STARTED_APPS.append(app)
            yield app
        _assert_no_sql_on_loop(app)
    finally:
        database.drop_database(db_url)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "fr-FR",
        "timezone_id": "Europe/Paris",
        "viewport": {"width": 1400, "height": 900},
    }


@pytest.fixture
def shot(page, request):
    """shot("step") saves a screenshot in test-artifacts/<test name>/."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def take(step: str):
        # An artifact, not an assertion: a slow screenshot on a loaded machine must not fail a test.
        try:
            page.screenshot(path=str(folder / f"{step}.png"), full_page=True, timeout=15_000)
        except PlaywrightError as exc:
            print(f"screenshot {step} skipped: {exc}")

    return take


def login(page, app: LiveApp, email: str, password: str = "epaiement") -> None:
    page.goto(f"{app.base_url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_url(f"{app.base_url}/", timeout=15_000)


ACCEPTED_CARD = "4330264936344675"  # Worldline's test Visa, approved frictionless


def fill_card(page, holder: str, number: str = ACCEPTED_CARD, cvc: str = "123") -> None:
    """Fill the sandbox's Worldline Direct hosted checkout (expiry: December, two years ahead);
    then click "#pay" (or "#cancel")."""
    from epay_app.domain.dates import utcnow

    page.locator("#cardholderName").fill(holder)
    page.locator("#cardNumber").fill(number)
    page.locator("#expiryMonth").fill("12")
    page.locator("#expiryYear").fill(str(utcnow().year + 2))
    page.locator("#cvv").fill(cvc)


SIPS_ACCEPTED_CARD = "4100000000000000"


def fill_sips_card(page, holder: str, number: str = SIPS_ACCEPTED_CARD, cvc: str = "123") -> None:
    """Fill the sandbox's Sips 2.0 payment page (points of sale still on Sips); then "#confirm"."""
    from epay_app.domain.dates import utcnow

    page.locator("#holder").fill(holder)
    page.locator("#card_number").fill(number)
    page.locator("#exp_month").fill("12")
    page.locator("#exp_year").fill(str(utcnow().year + 2))
    page.locator("#cvc").fill(cvc)
