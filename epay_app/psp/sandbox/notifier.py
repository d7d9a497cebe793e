"""Server-to-server automatic responses, with bounded retries, and the test fault knobs."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

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
    def from_json(cls, data: Mapping[str, Any]) -> "Faults":
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


class Notifier:
    def __init__(self, attempts: int = 4, backoff: float = 0.25, timeout: float = 5.0):
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.timeout = timeout
        self._tasks: set[asyncio.Task] = set()
        self.delivered: dict[str, int] = {}  # transactionReference → 2xx answers received (tests)

    async def deliver(self, url: str, form: Mapping[str, str], reference: str = "") -> bool:
        """POST until a 2xx, at most `attempts` times with exponential backoff."""
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for attempt in range(self.attempts):
                try:
                    response = await client.post(url, data=dict(form))
                    if 200 <= response.status_code < 300:
                        self.delivered[reference] = self.delivered.get(reference, 0) + 1
                        return True
                    log.warning("automatic response to %s: HTTP %s", url, response.status_code)
                except httpx.HTTPError as exc:
                    log.warning("automatic response to %s failed: %r", url, exc)
                if attempt + 1 < self.attempts:
                    await asyncio.sleep(self.backoff * 2**attempt)
        log.error("automatic response to %s abandoned after %s attempts", url, self.attempts)
        return False

    async def notify(self, url: str, form: Mapping[str, str], faults: Faults, reference: str = "") -> None:
        if not url or faults.drop:
            return
        if faults.delay:
            await asyncio.sleep(faults.delay)
        for _ in range(1 + max(0, faults.duplicate)):
            await self.deliver(url, form, reference)

    async def notify_then_return(self, url: str, form: Mapping[str, str], faults: Faults,
                                 reference: str = "") -> None:
        """Automatic response first, unless the test asks for the browser to come back first."""
        if faults.return_first:
            task = asyncio.create_task(self.notify(url, form, faults, reference))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            await self.notify(url, form, faults, reference)
