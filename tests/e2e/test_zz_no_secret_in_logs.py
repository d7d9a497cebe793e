"""Runs last in the e2e tier (R5): after every journey of the session, no Sips key (the demo
merchant's, or the one the settings test typed) appears in any log line of the app's processes."""
import pytest

from epay_app.services.demo_data import DEMO_MERCHANT_KEY

from .test_settings import SECRET_KEY

pytestmark = pytest.mark.e2e

OUR_PROCESSES = ("reflex.log", "seed.log", "sink.log")  # the sandbox is the PSP: its logs are not ours


def test_no_key_in_the_app_logs(live_app):
    logs = [p for p in live_app.workdir.glob("*.log") if p.name in OUR_PROCESSES]
    assert any(p.name == "reflex.log" for p in logs)
    for path in logs:
        text = path.read_text(errors="replace")
        for secret in (DEMO_MERCHANT_KEY, SECRET_KEY):
            assert secret not in text, f"{secret!r} found in {path.name}"
