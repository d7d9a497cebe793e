"""The periodic jobs, once per cluster: reconciliation with the PSP (F-61) then link reminders
(F-60) every `payment_jobs_interval_seconds` (0: off), reservation lapses every minute, and the
outbox sweep (F-64).

With several backend workers, one leads at a time: on PostgreSQL the worker holding a
session-level advisory lock on a dedicated connection runs them; the others wait on that lock
(a blocked statement, no polling) and one of them takes over as soon as the leader's session
ends — its process died, or its connection did. The leader checks its connection every few
seconds and stops the jobs when it is lost. On SQLite (one process) the jobs just run.

Run alone: ``python -m epay_app.services.payment.payment_jobs`` (same leadership).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from ...config import get_settings
from .reconciliation import reconcile_pending
from .reminders import queue_link_reminders

log = logging.getLogger(__name__)

START_DELAY_SECONDS = 10.0  # let the app finish starting before the first pass
LEADER_LOCK_KEY = 0x45504159_4A4F4253 & 0x7FFFFFFFFFFFFFFF  # "EPAYJOBS": one bigint for the cluster
LEADER_CHECK_SECONDS = 5.0
RETRY_SECONDS = (1.0, 5.0)


async def run_once() -> None:
    report = await reconcile_pending()
    if report.checked:
        log.info("reconciliation: %s", report)
    await asyncio.to_thread(queue_link_reminders)
    log.info("payment jobs pass done (pid %s)", os.getpid())


async def run_payment_jobs(loop_forever: bool = False) -> None:
    """Reconciliation and reminders. Returns at once when the interval is 0 (the jobs are off)."""
    interval = get_settings().payment_jobs_interval_seconds
    if interval <= 0:
        log.info("payment jobs off (EPAY_PAYMENT_JOBS_INTERVAL_SECONDS=0)")
        return
    await asyncio.sleep(0 if loop_forever else min(START_DELAY_SECONDS, interval))
    while True:
        try:
            await run_once()
        except Exception:
            log.exception("payment jobs failed")
        await asyncio.sleep(interval)


def _cluster_jobs() -> list[Callable[[], Awaitable[None]]]:
    from ..mail.mail_sender import outbox_lifespan_task
    from ..reservation.reservations import run_lapse_job

    return [run_payment_jobs, run_lapse_job, outbox_lifespan_task]


async def _run_all(jobs: list[Callable[[], Awaitable[None]]]) -> None:
    await asyncio.gather(*(job() for job in jobs))


async def run_cluster_jobs(jobs: list[Callable[[], Awaitable[None]]] | None = None) -> None:
    """Lifespan task of the app: the periodic jobs, led by one worker of the cluster."""
    jobs = jobs if jobs is not None else _cluster_jobs()
    url = get_settings().db_url
    if not url.startswith("postgresql"):
        await _run_all(jobs)
        return
    failures = 0
    while True:
        try:
            await _lead_while_holding_the_lock(url, jobs)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("periodic jobs: leadership lost or not reachable (%s)", exc)
        await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
        failures += 1


async def _lead_while_holding_the_lock(url: str, jobs) -> None:
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(
        conninfo, autocommit=True, keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3
    ) as conn:
        await conn.execute("SET application_name = 'epay-jobs-leader'")
        await conn.execute("SELECT pg_advisory_lock(%s)", (LEADER_LOCK_KEY,))  # waits while another leads
        log.info("periodic jobs: this worker leads (pid %s)", os.getpid())
        running = asyncio.create_task(_run_all(jobs), name="epay-cluster-jobs")
        try:
            while not running.done():
                await asyncio.wait({running}, timeout=LEADER_CHECK_SECONDS)
                await conn.execute("SELECT 1")  # the lock lives with this session: is it still there?
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        running.result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m epay_app.services.payment.payment_jobs",
        description="The periodic jobs (reconciliation F-61, reminders F-60, lapses, outbox), once per cluster.",
    )
    parser.add_argument("--once", action="store_true", help="one reconciliation pass, print its report, exit")
    parser.add_argument(
        "--older-than-minutes",
        type=float,
        default=None,
        help="with --once: age of the payments to check (default: EPAY_RECONCILIATION_AGE_MINUTES)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.once:
        older_than = timedelta(minutes=args.older_than_minutes) if args.older_than_minutes is not None else None
        print(asyncio.run(reconcile_pending(older_than=older_than)))
        return 0
    _nice_for_the_whole_session()
    asyncio.run(run_cluster_jobs())
    return 0


def _nice_for_the_whole_session() -> None:
    """Started under `nice` in a session of its own (scripts/run_scaleout.sh: `setsid nice -n 19`),
    give the same nice to the session's autogroup. With autogroups on (Linux's default on desktops and many VMs) the
    scheduler first shares the CPU between sessions, and `nice` only ranks a process within its
    own: the jobs, alone in their session, took as much CPU as all the web workers together (48 %
    of a core rendering receipts while the workers answered clicks, bench/filter_click_bench.py)."""
    niceness = os.nice(0)
    autogroup = Path("/proc/self/autogroup")
    if niceness <= 0 or os.getsid(0) != os.getpid() or not autogroup.exists():
        return  # not niced, or the group is also the session's that started us
    try:
        autogroup.write_text(str(niceness))
    except OSError as error:  # not Linux's autogroups, or not allowed: the plain nice stays
        log.info("jobs: autogroup nice not set (%s)", error)


if __name__ == "__main__":
    raise SystemExit(main())
