"""Custom HTTP routes mounted in front of the Reflex backend (PSP callbacks, payment links)."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from ..config import get_settings

# Modules add their routes to this list at import time (see api/*.py).
API_ROUTES: list[Route] = []


class WorkerIdHeader:
    """Diagnostics for multi-worker runs: which backend process answered (EPAY_EXPOSE_WORKER_ID)."""

    def __init__(self, app):
        self.app = app
        self.header = (b"x-epay-worker", str(os.getpid()).encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.header]}
            await send(message)

        await self.app(scope, receive, send_with_header)


def mount_api(reflex_asgi):
    """Build a new Starlette app each call: the app may be built twice in one process."""
    from .security import SecurityHeaders

    middleware = [Middleware(SecurityHeaders)]
    if get_settings().expose_worker_id:
        middleware.append(Middleware(WorkerIdHeader))
    return Starlette(routes=[*API_ROUTES, Mount("/", app=reflex_asgi)], middleware=middleware)
