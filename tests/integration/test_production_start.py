"""Finding: the app started in production mode with the demo accounts, Worldline's public Sips
simulation key (anyone can seal a "paid" notification with it) and a silent key file, and said
nothing. Production mode (EPAY_DEMO=false, the default) now refuses to start, naming what to fix."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from epay_app.config import ConfigurationError, get_settings
from epay_app.db import reset_engines, session_scope
from epay_app.models import User
from epay_app.psp.sandbox.direct import merchants as sandbox_direct
from epay_app.services.admin import secrets, startup_checks
from epay_app.services.demo import demo_data
from tests.support import database

WORLDLINE_SIPS = "https://payment-webinit.sips-services.com"
WORLDLINE_DIRECT = "https://payment.direct.worldline-solutions.com"


@pytest.fixture
def demo_database(tmp_path, monkeypatch):
    """The demo seed (demo accounts, public Sips key, sandbox Direct secrets) under a master key
    from the environment, then production mode on loopback sandbox URLs."""
    url = database.create_migrated_database("sqlite", tmp_path, "prod.db")
    monkeypatch.setenv("REFLEX_DB_URL", url)
    monkeypatch.setenv("EPAY_MASTER_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("EPAY_MASTER_KEY_FILE", str(tmp_path / "never-created.key"))
    monkeypatch.setenv("EPAY_DEMO", "true")
    get_settings.cache_clear()
    reset_engines()
    with session_scope(url) as s:
        demo_data.seed(s)
    monkeypatch.setenv("EPAY_DEMO", "false")
    for var in ("EPAY_PSP_PAYPAGE_URL", "EPAY_PSP_OFFICE_URL", "EPAY_DIRECT_API_URL"):
        monkeypatch.setenv(var, "http://127.0.0.1:8900")
    get_settings.cache_clear()
    yield url
    reset_engines()


def _deactivate_demo_accounts(url: str) -> None:
    with session_scope(url) as s:
        for user in s.exec(select(User)).all():
            user.active = False
            s.add(user)


def _refusal() -> str:
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError) as err:
        startup_checks.check_production()
    return str(err.value)


def test_production_is_the_default(monkeypatch):
    monkeypatch.delenv("EPAY_DEMO", raising=False)
    get_settings.cache_clear()
    assert get_settings().demo is False


def test_the_public_sips_key_against_worldline_refuses_the_start(demo_database, monkeypatch):
    _deactivate_demo_accounts(demo_database)
    monkeypatch.setenv("EPAY_PSP_PAYPAGE_URL", WORLDLINE_SIPS)
    monkeypatch.setenv("EPAY_PSP_OFFICE_URL", "https://office-server.sips-services.com")
    message = _refusal()
    assert "clé Sips publique de simulation" in message and "public Sips simulation key" in message
    assert "EPAY_PSP_PAYPAGE_URL" in message and "Paramètres > e-Paiement" in message
    assert "Point de vente 1 (Vincent S.)" in message  # the Sips key it kept for older payments
    assert demo_data.DEMO_MERCHANT_KEY not in message  # the key itself is never printed


def test_the_sandbox_direct_secrets_against_worldline_refuse_the_start(demo_database, monkeypatch):
    _deactivate_demo_accounts(demo_database)
    monkeypatch.setenv("EPAY_DIRECT_API_URL", WORLDLINE_DIRECT)
    message = _refusal()
    assert "Worldline Direct de démonstration" in message and "EPAY_DIRECT_API_URL" in message
    assert "Point de vente 1 (Vincent S.)" in message
    assert sandbox_direct.DEMO_API_SECRET not in message


def test_an_active_demo_account_refuses_the_start(demo_database):
    message = _refusal()
    assert "Comptes de démonstration encore actifs" in message and "admin@openflex.demo" in message
    assert "EPAY_DEMO=true" in message


def test_no_master_key_from_the_environment_refuses_the_start_and_no_key_file_appears(
    demo_database, monkeypatch, tmp_path
):
    _deactivate_demo_accounts(demo_database)
    monkeypatch.setenv("EPAY_MASTER_KEYS", "")
    message = _refusal()
    assert "EPAY_MASTER_KEYS est vide" in message
    with pytest.raises(secrets.MasterKeyError):
        secrets.encrypt_secret("x")
    assert not (tmp_path / "never-created.key").exists()


def test_a_clean_production_set_up_starts(demo_database):
    # Demo accounts off; the public keys stay, but only against the local sandbox.
    _deactivate_demo_accounts(demo_database)
    get_settings.cache_clear()
    startup_checks.check_production()


def test_demo_mode_starts_with_everything(demo_database, monkeypatch):
    monkeypatch.setenv("EPAY_DEMO", "true")
    monkeypatch.setenv("EPAY_PSP_PAYPAGE_URL", WORLDLINE_SIPS)
    get_settings.cache_clear()
    startup_checks.check_production()


def test_the_app_lifespan_stops_before_serving_anything(demo_database, monkeypatch):
    # The forged-notification scenario: public key, real PSP URL, production mode. The check is
    # the app's first lifespan task, so the server fails its start-up (nothing is served).
    monkeypatch.setenv("EPAY_PSP_PAYPAGE_URL", WORLDLINE_SIPS)
    get_settings.cache_clear()
    from epay_app.epay_app import app
    from epay_app.services.payment.payment_jobs import run_cluster_jobs  # outbox, reconciliation, lapses

    tasks = list(app.get_lifespan_tasks())
    ours = tasks.index(startup_checks.refuse_unsafe_production)
    assert ours < tasks.index(run_cluster_jobs)

    async def start():
        async with startup_checks.refuse_unsafe_production():
            raise AssertionError("started")

    with pytest.raises(ConfigurationError, match="Démarrage refusé en mode production"):
        asyncio.run(start())


def test_the_known_public_secrets_match_the_sandbox_and_worldline():
    assert demo_data.DEMO_MERCHANT_KEY in startup_checks.PUBLIC_SIPS_KEYS
    assert {sandbox_direct.DEMO_API_SECRET, sandbox_direct.DEMO_WEBHOOK_SECRET} <= startup_checks.PUBLIC_DIRECT_SECRETS


@pytest.mark.parametrize(
    "url,sandbox",
    [
        ("http://127.0.0.1:8900", True),
        ("http://localhost:8900", True),
        (WORLDLINE_SIPS, False),
        ("https://127.0.0.1.evil.example", False),
    ],
)
def test_sandbox_urls(url, sandbox):
    assert startup_checks.is_sandbox_url(url) is sandbox


def test_the_jobs_stay_out_of_the_web_workers_when_a_jobs_process_runs_them(tmp_path):
    # scripts/run_scaleout.sh: EPAY_JOBS_IN_WEB=false, the jobs in `python -m …payment_jobs`.
    import os
    import subprocess
    import sys

    probe = (
        "from epay_app.epay_app import app\n"
        "from epay_app.services.payment.payment_jobs import run_cluster_jobs\n"
        "print(run_cluster_jobs in list(app.get_lifespan_tasks()))\n"
    )
    env = {**os.environ, "EPAY_DEMO": "true", "REFLEX_DB_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    seen = {}
    for value in ("true", "false"):
        done = subprocess.run(
            [sys.executable, "-c", probe], env={**env, "EPAY_JOBS_IN_WEB": value}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
        seen[value] = done.stdout.strip().splitlines()[-1]
    assert seen == {"true": "True", "false": "False"}


def test_workers_keep_their_tabs_states_between_events_unless_told_not_to():
    # rxconfig.py (issue 15): Reflex's opportunistic Redis locks, on unless REFLEX_OPLOCK_ENABLED says no.
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import rxconfig\n"
        "from reflex_base.environment import environment\n"
        "print(environment.REFLEX_OPLOCK_ENABLED.get())\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "REFLEX_OPLOCK_ENABLED"}
    seen = {}
    for value in (None, "false"):
        run_env = env if value is None else {**env, "REFLEX_OPLOCK_ENABLED": value}
        done = subprocess.run([sys.executable, "-c", probe], env=run_env, cwd=root, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        seen[value] = done.stdout.strip().splitlines()[-1]
    assert seen == {None: "True", "false": "False"}
