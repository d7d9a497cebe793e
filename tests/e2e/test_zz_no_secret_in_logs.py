"""Runs last in the e2e tier (R5): after every journey of the session, no PSP secret (the demo
merchant's Sips key, the Sips key the settings test typed, the Worldline Direct API key secret and
webhook secret it typed) appears in any log line of the app's processes, for every app the
session started."""

import pytest

from epay_app.services.demo.demo_data import DEMO_MERCHANT_KEY
from tests.support.live import sql_on_loop

from .conftest import STARTED_APPS
from .test_settings import DIRECT_SECRETS, SECRET_KEY

pytestmark = pytest.mark.e2e

OUR_PROCESSES = ("reflex.log", "seed.log", "sink.log")  # the sandbox is the PSP: its logs are not ours


def test_no_key_in_the_app_logs():
    if not STARTED_APPS:
        pytest.skip("no app was started in this session")
    logs = [p for app in STARTED_APPS for p in app.workdir.glob("*.log") if p.name in OUR_PROCESSES]
    assert sum(p.name == "reflex.log" for p in logs) == len(STARTED_APPS)
    for path in logs:
        text = path.read_text(errors="replace")
        for secret in (DEMO_MERCHANT_KEY, SECRET_KEY, *DIRECT_SECRETS):
            assert secret not in text, f"{secret!r} found in {path.name}"


def test_no_sql_ran_on_an_event_loop_of_any_app():
    """Issue 13: every app of the session ran its database work in worker threads."""
    if not STARTED_APPS:
        pytest.skip("no app was started in this session")
    assert {app.base_url: sql_on_loop(app) for app in STARTED_APPS} == {app.base_url: [] for app in STARTED_APPS}
