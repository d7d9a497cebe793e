"""Run the whole app as a user would: prod build, sandbox PSP, mail sink (e2e tests, benchmarks)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import processes


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
        EPAY_DEMO="true",  # demo accounts, the public Sips simulation key, the mailbox page
        EPAY_MASTER_KEY_FILE=str(workdir / "master.key"),
        EPAY_MAIL_SINK_DIR=str(workdir / "mails"),
        EPAY_PSP_PAYPAGE_URL=sandbox_url,
        EPAY_PSP_OFFICE_URL=sandbox_url,
        EPAY_DIRECT_API_URL=sandbox_url,
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
                "epay_app.emails.sink", ["--port", str(smtp_port), "--dir", str(workdir / "mails")], env, log
            )
            procs.append(proc)
            processes.wait_tcp(smtp_port, proc)
            app.smtp_port, app.mail_dir = smtp_port, workdir / "mails"
        if env.get("EPAY_JOBS_IN_WEB") == "false":  # the jobs in a process of their own, as run_scaleout.sh
            jobs = ["nice", "-n", "19", sys.executable, "-m", "epay_app.services.payment.payment_jobs"]
            procs.append(processes.start(jobs, env, workdir / "jobs.log"))
        log = workdir / "reflex.log"
        reflex_bin = str(Path(sys.executable).parent / "reflex")
        # The app records every SQL statement run on its event loop's thread (epay_app.db); the
        # e2e fixtures fail when the file is not empty (sql_on_loop below).
        app_env = dict(env, EPAY_ASSERT_NO_SQL_ON_LOOP="1", EPAY_SQL_ON_LOOP_FILE=str(sql_on_loop_file(workdir)))
        proc = processes.start(
            [reflex_bin, "run", "--env", "prod", "--frontend-port", str(port), "--backend-host", "127.0.0.1"],
            app_env,
            log,
            cwd=app_dir,
        )
        procs.append(proc)
        processes.wait_http(f"{base_url}/ping", proc, timeout=300, log_path=log)
        app.logs = sorted(workdir.glob("*.log"))
        yield app
    finally:
        for proc in reversed(procs):
            processes.stop(proc)


def sql_on_loop_file(workdir: Path) -> Path:
    return workdir / "sql-on-loop.txt"


def sql_on_loop(app: LiveApp) -> list[str]:
    """The SQL statements the live app ran on its event loop's thread (must be none)."""
    path = sql_on_loop_file(app.workdir)
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def copy_of_the_app(target: Path) -> Path:
    """A second prod server needs its own .web: the build bakes the server's URL in."""
    ignore = shutil.ignore_patterns(
        ".git",
        ".venv",
        ".tools",
        "test-artifacts",
        "__pycache__",
        "*.db",
        ".states",
        ".logs",
        ".mail_sink",
        ".hypothesis",
    )
    shutil.copytree(processes.ROOT, target, symlinks=True, ignore=ignore)
    return target
