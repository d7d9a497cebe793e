"""End-to-end fixtures: the app in prod mode on a temporary seeded database, with the PSP
sandbox and the mail sink, driven by Debian's Chromium."""
from __future__ import annotations

import importlib.util
import os
import re
import sys
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import database, processes

LOGIN_URL = re.compile(r".*/login/?$")
ARTIFACTS = processes.ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
    "--disable-quic",
]


@dataclass
class LiveApp:
    base_url: str
    db_url: str
    env: dict[str, str]
    workdir: Path
    sandbox_url: str = ""
    smtp_port: int = 0
    mail_dir: Path | None = None
    logs: list[Path] = field(default_factory=list)


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is not there yet (e.g. no epay_app/psp)
        return False


@contextmanager
def running_app(db_url: str, workdir: Path, app_dir: Path = processes.ROOT, **extra_env: str):
    """Seed `db_url` (already migrated), start the sandbox PSP, the mail sink and the app in
    prod mode from `app_dir`; yield a LiveApp; stop everything."""
    port, sandbox_port, smtp_port = processes.free_port(), processes.free_port(), processes.free_port()
    base_url = f"http://127.0.0.1:{port}"
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    env = dict(os.environ)
    env.update(
        REFLEX_DB_URL=db_url,
        REFLEX_API_URL=base_url,
        EPAY_PUBLIC_URL=base_url,
        EPAY_MASTER_KEY_FILE=str(workdir / "master.key"),
        EPAY_MAIL_SINK_DIR=str(workdir / "mails"),
        EPAY_PSP_PAYPAGE_URL=sandbox_url,
        EPAY_PSP_OFFICE_URL=sandbox_url,
        EPAY_SMTP_PORT=str(smtp_port),
        EPAY_OUTBOX_POLL_SECONDS="0.3",
        EPAY_SANDBOX_DB=str(workdir / "sandbox.db"),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        **extra_env,
    )
    seed = processes.start_python_module("epay_app.seed", [], env, workdir / "seed.log")
    assert seed.wait(timeout=120) == 0, (workdir / "seed.log").read_text()

    procs = []
    app = LiveApp(base_url=base_url, db_url=db_url, env=env, workdir=workdir)
    try:
        if _has("epay_app.psp.sandbox"):
            log = workdir / "sandbox.log"
            proc = processes.start_python_module("epay_app.psp.sandbox", ["--port", str(sandbox_port)], env, log)
            procs.append(proc)
            processes.wait_tcp(sandbox_port, proc)
            app.sandbox_url = sandbox_url
        if _has("epay_app.emails.sink"):
            log = workdir / "sink.log"
            proc = processes.start_python_module(
                "epay_app.emails.sink", ["--port", str(smtp_port), "--dir", str(workdir / "mails")], env, log)
            procs.append(proc)
            processes.wait_tcp(smtp_port, proc)
            app.smtp_port, app.mail_dir = smtp_port, workdir / "mails"
        log = workdir / "reflex.log"
        reflex_bin = str(Path(sys.executable).parent / "reflex")
        proc = processes.start([reflex_bin, "run", "--env", "prod", "--frontend-port", str(port),
                                "--backend-host", "127.0.0.1"], env, log, cwd=app_dir)
        procs.append(proc)
        processes.wait_http(f"{base_url}/ping", proc, timeout=300, log_path=log)
        app.logs = sorted(workdir.glob("*.log"))
        yield app
    finally:
        for proc in reversed(procs):
            processes.stop(proc)


@pytest.fixture(scope="session")
def live_app() -> LiveApp:
    """The embedded default: SQLite, one backend worker."""
    workdir = Path(tempfile.mkdtemp(prefix="epay-e2e-"))
    db_url = f"sqlite:///{workdir / 'e2e.db'}"
    database.migrate(db_url)
    with running_app(db_url, workdir) as app:
        yield app


def _copy_of_the_app(target: Path) -> Path:
    """A second prod server needs its own .web: the build bakes the server's URL in."""
    ignore = shutil.ignore_patterns(".git", ".venv", ".tools", "test-artifacts", "__pycache__", "*.db",
                                    ".states", ".logs", ".mail_sink", ".hypothesis")
    shutil.copytree(processes.ROOT, target, symlinks=True, ignore=ignore)
    return target


@pytest.fixture(scope="session")
def scaleout_app() -> LiveApp:
    """Production shape: PostgreSQL + Redis + 3 backend workers (scripts/services.sh)."""
    pg_url, redis_url = os.environ.get("EPAY_TEST_PG_URL"), os.environ.get("EPAY_TEST_REDIS_URL")
    if not (pg_url and redis_url):
        pytest.skip("PostgreSQL/Redis not started (source scripts/services.sh)")
    workdir = Path(tempfile.mkdtemp(prefix="epay-scaleout-"))
    db_url = database.create_database("postgresql", workdir)
    database.migrate(db_url)
    app_dir = _copy_of_the_app(workdir / "app")
    try:
        with running_app(db_url, workdir, app_dir, REFLEX_REDIS_URL=redis_url, GRANIAN_WORKERS="3",
                         EPAY_EXPOSE_WORKER_ID="true") as app:
            yield app
    finally:
        database.drop_database(db_url)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris",
            "viewport": {"width": 1400, "height": 900}}


@pytest.fixture
def shot(page, request):
    """shot("step") saves a screenshot in test-artifacts/<test name>/."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def take(step: str):
        page.screenshot(path=str(folder / f"{step}.png"), full_page=True)

    return take


def login(page, app: LiveApp, email: str, password: str = "epaiement") -> None:
    page.goto(f"{app.base_url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_url(f"{app.base_url}/", timeout=15_000)
