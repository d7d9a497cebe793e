"""The periodic payment jobs, as one lifespan task of the app: reconciliation with the PSP
(F-61) then link reminders (F-60), every `payment_jobs_interval_seconds` (0: off).

With several backend workers each runs it: both jobs lock each payment and are idempotent,
so the only cost is a few duplicate status queries.
"""

from __future__ import annotations

import asyncio
import logging

from ..config import get_settings
from .reconciliation import reconcile_pending
from .reminders import queue_link_reminders

log = logging.getLogger(__name__)

START_DELAY_SECONDS = 10.0  # let the app finish starting before the first pass


async def run_once() -> None:
    report = await reconcile_pending()
    if report.checked:
        log.info("reconciliation: %s", report)
    await asyncio.to_thread(queue_link_reminders)


async def run_payment_jobs(loop_forever: bool = False) -> None:
    """Lifespan task. Returns at once when the interval is 0 (the jobs are off)."""
    interval = get_settings().payment_jobs_interval_seconds
    if interval <= 0:
        log.info("payment jobs off (EPAY_PAYMENT_JOBS_INTERVAL_SECONDS=0)")
        return
    await asyncio.sleep(0 if loop_forever else min(START_DELAY_SECONDS, interval))
    while True:
        try:
            await run_once()
        except Exception:  # noqa: BLE001 - the job must survive a bad pass (database restart…)
            log.exception("payment jobs failed")
        await asyncio.sleep(interval)
