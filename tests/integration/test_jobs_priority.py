"""The jobs process started under `nice` in a session of its own gives its session's autogroup the
same nice: with Linux's autogroups the scheduler shares the CPU between sessions first, and the
jobs (receipts' PDFs) otherwise took as much CPU as all the web workers together. Started in
someone else's session, it leaves that session's priority alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import processes

SHOW = (
    "from epay_app.services.payment.payment_jobs import _nice_for_the_whole_session as f; f(); "
    "print((open('/proc/self/autogroup').read().split() or ['none'])[-1])"
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="no Linux autogroups here")


def _autogroup_nice(**popen) -> str:
    done = subprocess.run(
        ["nice", "-n", "19", sys.executable, "-c", SHOW],
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        **popen,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_niced_jobs_process_leading_its_session_nices_its_autogroup():
    nice = _autogroup_nice(start_new_session=True)
    if nice == "none":
        pytest.skip("a new session gets no autogroup here (its cgroup schedules it)")
    assert nice == "19"


def _our_autogroup_nice() -> str:
    """Empty when this process's scheduling group is a cgroup rather than an autogroup (as in some
    CI containers): then there is no session priority to leave alone."""
    words = Path("/proc/self/autogroup").read_text().split()
    if not words:
        pytest.skip("this process is not in an autogroup (its cgroup schedules it)")
    return words[-1]


def test_a_niced_jobs_process_in_another_session_leaves_its_priority_alone():
    before = _our_autogroup_nice()
    assert _autogroup_nice(start_new_session=False) == before
    assert _our_autogroup_nice() == before
