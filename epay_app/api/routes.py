"""Custom HTTP routes mounted in front of the Reflex backend (PSP callbacks, payment links)."""
from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount, Route

# Modules add their routes to this list at import time (see api/*.py).
API_ROUTES: list[Route] = []


def mount_api(reflex_asgi):
    """Build a new Starlette app each call: the app may be built twice in one process."""
    return Starlette(routes=[*API_ROUTES, Mount("/", app=reflex_asgi)])
