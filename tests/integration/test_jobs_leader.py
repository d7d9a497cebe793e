"""Periodic jobs once per cluster (issue 15): of three processes running the jobs runner on one
PostgreSQL database, one leads (an advisory lock on a dedicated connection); a pending payment is
asked about once, not once per worker; killing the leader hands the jobs over."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest

from tests.support import processes

INTERVAL = "1"


def _log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _wait(condition, seconds: float = 60.0):
    """A bounded wait (not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.fixture
def runners(migrated_db_url, sandbox, tmp_path):
    if not migrated_db_url.startswith("postgresql"):
        pytest.skip("one leader per cluster: PostgreSQL (SQLite serves one process)")
    env = {
        **os.environ,
        "REFLEX_DB_URL": migrated_db_url,
        "EPAY_PAYMENT_JOBS_INTERVAL_SECONDS": INTERVAL,
        "EPAY_RECONCILIATION_AGE_MINUTES": "0",
        "PYTHONUNBUFFERED": "1",
    }
    started = []
    for n in range(3):
        log = tmp_path / f"worker-{n}.log"
        started.append((processes.start_python_module("epay_app.services.payment.payment_jobs", [], env, log), log))
    yield started
    for proc, _ in started:
        processes.stop(proc)


def _leaders(runners) -> list[int]:
    return [i for i, (_, log) in enumerate(runners) if "this worker leads" in _log(log)]


def _passes(log: Path) -> int:
    return _log(log).count("payment jobs pass done")


def _checked(log: Path) -> int:
    return sum(int(n) for n in re.findall(r"reconciliation: (\d+) e-Paiement", _log(log)))


def test_one_worker_leads_the_jobs_and_a_killed_leader_hands_them_over(runners, make_payment):
    leaders = _wait(lambda: _leaders(runners))
    assert len(leaders) == 1
    leader = leaders[0]
    pending = make_payment()  # created now: old enough with EPAY_RECONCILIATION_AGE_MINUTES=0
    _wait(lambda: _passes(runners[leader][1]) >= 3 and _checked(runners[leader][1]) >= 1)
    followers = [i for i in range(3) if i != leader]
    assert all(_passes(runners[i][1]) == 0 for i in followers), "only the leader runs the jobs"
    assert sum(_checked(log) for _, log in runners) == 1, f"payment {pending.id} asked about once"

    os.killpg(runners[leader][0].pid, signal.SIGKILL)  # the leading worker dies
    runners[leader][0].wait(10)
    successors = _wait(lambda: [i for i in _leaders(runners) if i != leader])
    assert len(successors) == 1
    _wait(lambda: _passes(runners[successors[0]][1]) >= 1)
    other = next(i for i in followers if i != successors[0])
    assert _passes(runners[other][1]) == 0
