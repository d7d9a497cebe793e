"""Signed webhooks, delivered in the background with bounded retries, and their fault knobs."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import httpx

log = logging.getLogger("epay_app.psp.sandbox.direct")

HOLD_SECONDS = 3.0  # how long an out-of-order event waits for a later one before going out anyway


def sign(secret: str, body: bytes) -> str:
    """X-GCS-Signature: base64(HMAC-SHA256(webhook secret, raw body)) [SDK webhooks/signature_validator.py]."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def encode(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class DirectFaults:
    duplicate: int = 0  # extra deliveries of each event
    delay: float = 0.0  # seconds before each event goes out
    drop: bool = False  # no webhook at all
    out_of_order: bool = False  # an event waits for the next one of the same reference, which goes first
    api_delay: float = 0.0  # seconds the API takes to answer (in-flight idempotence tests)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DirectFaults:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names - {"merchantReference"}
        if unknown:
            raise ValueError(f"unknown fault knobs: {sorted(unknown)}")
        return cls(**{k: v for k, v in data.items() if k in names})

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class DirectFaultBook:
    """Faults for every payment ('*') or for one merchantReference."""

    def __init__(self, default: DirectFaults | None = None):
        self.by_reference: dict[str, DirectFaults] = {"*": default or DirectFaults()}

    def set(self, data: Mapping[str, Any]) -> DirectFaults:
        faults = DirectFaults.from_json(data)
        self.by_reference[data.get("merchantReference") or "*"] = faults
        return faults

    def clear(self) -> None:
        self.by_reference = {"*": DirectFaults()}

    def for_reference(self, reference: str) -> DirectFaults:
        return self.by_reference.get(reference) or self.by_reference["*"]


@dataclass
class Outgoing:
    urls: Sequence[str]
    body: bytes
    headers: dict[str, str]
    reference: str
    event_type: str
    event_id: str


class WebhookSender:
    def __init__(self, attempts: int = 4, backoff: float = 0.25, timeout: float = 5.0):
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.timeout = timeout
        self._tasks: set[asyncio.Task[object]] = set()
        self._held: dict[str, Outgoing] = {}
        self.delivered: dict[str, int] = {}  # merchantReference → 2xx answers received
        self.failed: dict[str, int] = {}  # merchantReference → deliveries abandoned
        self.dropped: dict[str, int] = {}  # merchantReference → events dropped by the fault knob
        self.log: list[dict[str, Any]] = []  # one row per delivery (tests)

    @property
    def pending(self) -> int:
        """Deliveries not finished yet: held, delayed, sending or between retries."""
        return len(self._tasks)

    def background(self, coro: Coroutine[Any, Any, object]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def emit(
        self,
        urls: Sequence[str],
        event: Mapping[str, Any],
        key_id: str,
        secret: str,
        reference: str,
        faults: DirectFaults,
    ) -> None:
        urls = [u for u in urls if u]
        if not urls:
            return
        if faults.drop:
            self.dropped[reference] = self.dropped.get(reference, 0) + 1
            return
        body = encode(event)
        headers = {"Content-Type": "application/json", "X-GCS-Signature": sign(secret, body), "X-GCS-KeyId": key_id}
        out = Outgoing(urls, body, headers, reference, str(event.get("type")), str(event.get("id")))
        if faults.out_of_order:
            held = self._held.pop(reference, None)
            if held is None:
                self._held[reference] = out
                self.background(self._flush_later(reference, out, faults))
                return
            self.background(self._send_all([out, held], faults))
            return
        self.background(self._send_all([out], faults))

    async def _flush_later(self, reference: str, out: Outgoing, faults: DirectFaults) -> None:
        await asyncio.sleep(HOLD_SECONDS)
        if self._held.get(reference) is out:
            del self._held[reference]
            await self._send_all([out], faults)

    async def _send_all(self, batch: list[Outgoing], faults: DirectFaults) -> None:
        if faults.delay:
            await asyncio.sleep(faults.delay)
        for out in batch:
            for _ in range(1 + max(0, int(faults.duplicate))):
                for url in out.urls:
                    await self.deliver(url, out)

    async def deliver(self, url: str, out: Outgoing) -> bool:
        """POST until a 2xx, at most `attempts` times with exponential backoff (the platform's own
        schedule is unpublished: notes §5)."""
        row = {
            "url": url,
            "merchantReference": out.reference,
            "type": out.event_type,
            "id": out.event_id,
            "attempts": 0,
            "status": None,
        }
        self.log.append(row)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for attempt in range(self.attempts):
                row["attempts"] = attempt + 1
                try:
                    response = await client.post(url, content=out.body, headers=out.headers)
                    row["status"] = response.status_code
                    if 200 <= response.status_code < 300:
                        self.delivered[out.reference] = self.delivered.get(out.reference, 0) + 1
                        return True
                    log.warning("webhook to %s: HTTP %s", url, response.status_code)
                except httpx.HTTPError as exc:
                    log.warning("webhook to %s failed: %r", url, exc)
                if attempt + 1 < self.attempts:
                    await asyncio.sleep(self.backoff * 2**attempt)
        self.failed[out.reference] = self.failed.get(out.reference, 0) + 1
        log.error("webhook to %s abandoned after %s attempts", url, self.attempts)
        return False
