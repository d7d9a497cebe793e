"""A Sips Office stand-in between the app and the sandbox: forwards, fails, or both.

Served by uvicorn in a thread on loopback. Each operation (refund, cancel, getTransactionData)
gets a behaviour:
  "forward"        pass to the sandbox, return its answer
  "503"            answer 503 without telling the sandbox
  "hang"           wait longer than the app's timeout, then 503, without telling the sandbox
  "forward_hang"   pass to the sandbox (the operation happens), then hang: the answer is lost
Every call is recorded with the sandbox's responseCode when it reached the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.processes import free_port

HANG_SECONDS = 1.5


@dataclass
class Call:
    operation: str
    behaviour: str
    sandbox_code: str | None = None  # None: the sandbox never saw it
    applied: bool = False  # the sandbox's amounts changed: money went back


@dataclass
class FlakyOffice:
    sandbox: str
    behaviours: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    base: str = ""

    def set(self, **behaviours: str) -> None:
        """set(refund="503", getTransactionData="forward"); unnamed operations forward."""
        self.behaviours = dict(behaviours)

    def reset(self) -> None:
        self.behaviours, self.calls = {}, []

    def applied(self) -> list[Call]:
        """Refunds and cancellations the sandbox carried out, whatever it answered (read from the
        sandbox's own amounts before and after, so a lost answer is still counted)."""
        return [c for c in self.calls if c.applied]

    def reached_sandbox(self, *operations: str) -> list[Call]:
        return [c for c in self.calls if c.operation in operations and c.sandbox_code is not None]

    async def _amounts(self, client: httpx.AsyncClient, reference: str) -> tuple:
        txn = (await client.get(f"{self.sandbox}/_sandbox/transactions/{reference}")).json()
        return txn.get("current_amount"), txn.get("refunded_amount")

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        operation = path.rsplit("/", 1)[-1]
        behaviour = self.behaviours.get(operation, "forward")
        call = Call(operation, behaviour)
        self.calls.append(call)
        if behaviour == "503":
            return Response("Service Unavailable", status_code=503)
        if behaviour == "hang":
            await asyncio.sleep(HANG_SECONDS)
            return Response("Gateway Timeout", status_code=503)
        body = await request.body()
        async with httpx.AsyncClient(timeout=10) as client:
            reference = str(json.loads(body or b"{}").get("transactionReference", ""))
            before = await self._amounts(client, reference)
            answer = await client.post(self.sandbox + path, content=body, headers={"content-type": "application/json"})
            call.applied = await self._amounts(client, reference) != before
        try:
            data = answer.json()
            # getTransactionData's own result is getTransDataResponseCode (its responseCode is the
            # transaction's); refund and cancel answer with responseCode.
            call.sandbox_code = str(data.get("getTransDataResponseCode", data.get("responseCode")))
        except ValueError:
            call.sandbox_code = f"HTTP {answer.status_code}"
        if behaviour == "forward_hang":
            await asyncio.sleep(HANG_SECONDS)
            return Response("Gateway Timeout", status_code=503)
        return Response(answer.content, status_code=answer.status_code, media_type=answer.headers.get("content-type"))

    @contextmanager
    def serve(self) -> Iterator[FlakyOffice]:
        """Run on a free loopback port (uvicorn in a thread) while the block lasts."""
        port = free_port()
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("flaky office did not start")
            time.sleep(0.02)
        self.base = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(HANG_SECONDS + 5)
