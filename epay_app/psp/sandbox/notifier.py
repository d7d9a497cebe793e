"""Server-to-server automatic responses, with bounded retries, and the test fault knobs.

Retry schedule: the first attempt at once, then after each delay of `schedule` (seconds). The
default, DEFAULT_SCHEDULE_MINUTES, spreads the retries over half an hour in minutes, so a
merchant backend restarting for a few minutes still gets the response (4 tries in 1.9 s lost
it). Tests pass a short schedule (--notify-backoff / EPAY_SANDBOX_NOTIFY_BACKOFF, or
EPAY_SANDBOX_NOTIFY_SCHEDULE_MINUTES with fractions)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import httpx

log = logging.getLogger("epay_app.psp.sandbox")


@dataclass(frozen=True)
class Faults:
    duplicate: int = 0  # extra automatic responses
    delay: float = 0.0  # seconds before the automatic response
    return_first: bool = False  # browser back before the automatic response
    drop: bool = False  # no automatic response at all
    office_lost_response: bool = False  # apply refund/cancel, then answer 503

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Faults:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names - {"transactionReference"}
        if unknown:
            raise ValueError(f"unknown fault knobs: {sorted(unknown)}")
        return cls(**{k: v for k, v in data.items() if k in names})

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """Faults for every payment ('*') or for one transactionReference."""

    def __init__(self, default: Faults | None = None):
        self.by_reference: dict[str, Faults] = {"*": default or Faults()}

    def set(self, data: Mapping[str, Any]) -> Faults:
        faults = Faults.from_json(data)
        self.by_reference[data.get("transactionReference") or "*"] = faults
        return faults

    def clear(self) -> None:
        self.by_reference = {"*": Faults()}

    def for_reference(self, reference: str) -> Faults:
        return self.by_reference.get(reference) or self.by_reference["*"]


# Minutes between attempts after the first one (sandbox default; see the module docstring).
DEFAULT_SCHEDULE_MINUTES = (1.0, 2.0, 5.0, 10.0, 15.0)
# A schedule longer than this runs its retries in the background: the customer's browser is not
# held while the merchant's server is down (Worldline's two responses are independent).
INLINE_RETRIES_SECONDS = 30.0


def exponential_schedule(attempts: int, backoff: float) -> tuple[float, ...]:
    """The former schedule: `attempts` tries, `backoff` seconds doubling (fast, for tests)."""
    return tuple(backoff * 2**i for i in range(max(1, attempts) - 1))


def parse_schedule_minutes(text: str) -> tuple[float, ...]:
    """'1,2,5,10,15' → seconds; raises ValueError on a negative or unreadable delay."""
    delays = tuple(float(part) * 60 for part in text.split(",") if part.strip())
    if any(d < 0 for d in delays):
        raise ValueError(f"notify schedule: negative delay in {text!r}")
    return delays


class Notifier:
    def __init__(
        self,
        attempts: int | None = None,
        backoff: float | None = None,
        timeout: float = 5.0,
        schedule: tuple[float, ...] | None = None,
    ):
        if schedule is None:
            schedule = (
                exponential_schedule(attempts or 4, 0.25 if backoff is None else backoff)
                if attempts is not None or backoff is not None
                else tuple(m * 60 for m in DEFAULT_SCHEDULE_MINUTES)
            )
        self.schedule = tuple(schedule)
        self.attempts = 1 + len(self.schedule)
        self.timeout = timeout
        self._tasks: set[asyncio.Task[object]] = set()
        self.delivered: dict[str, int] = {}  # transactionReference → 2xx answers received (tests)

    async def _post(self, client: httpx.AsyncClient, url: str, form: Mapping[str, str], reference: str) -> bool:
        try:
            response = await client.post(url, data=dict(form))
            if 200 <= response.status_code < 300:
                self.delivered[reference] = self.delivered.get(reference, 0) + 1
                return True
            log.warning("automatic response to %s: HTTP %s", url, response.status_code)
        except httpx.HTTPError as exc:
            log.warning("automatic response to %s failed: %r", url, exc)
        return False

    async def _retry(self, url: str, form: Mapping[str, str], reference: str) -> bool:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for number, delay in enumerate(self.schedule, start=2):
                await asyncio.sleep(delay)
                if await self._post(client, url, form, reference):
                    return True
                log.info("automatic response to %s: attempt %s of %s failed", url, number, self.attempts)
        log.error("automatic response to %s abandoned after %s attempts", url, self.attempts)
        return False

    async def deliver(self, url: str, form: Mapping[str, str], reference: str = "") -> bool:
        """POST once; on failure retry on `schedule`: inline when it is short, else in the
        background (True then means "first attempt failed, retrying")."""
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            if await self._post(client, url, form, reference):
                return True
        if not self.schedule:
            log.error("automatic response to %s abandoned after 1 attempt", url)
            return False
        if sum(self.schedule) <= INLINE_RETRIES_SECONDS:
            return await self._retry(url, form, reference)
        task = asyncio.create_task(self._retry(url, form, reference))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return False

    async def notify(self, url: str, form: Mapping[str, str], faults: Faults, reference: str = "") -> None:
        if not url or faults.drop:
            return
        if faults.delay:
            await asyncio.sleep(faults.delay)
        for _ in range(1 + max(0, faults.duplicate)):
            await self.deliver(url, form, reference)

    async def notify_then_return(self, url: str, form: Mapping[str, str], faults: Faults, reference: str = "") -> None:
        """Automatic response first, unless the test asks for the browser to come back first."""
        if faults.return_first:
            task = asyncio.create_task(self.notify(url, form, faults, reference))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            await self.notify(url, form, faults, reference)
