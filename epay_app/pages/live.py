"""Live pages (F-55): while a page is open, a background task polls a cheap version of the
payments (services.tracking.data_version: two index lookups) every second and lets the page
reload what it shows when a callback changed something. It stops when the page is left,
when a newer watcher replaced it, or when the browser is gone."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable

from ..db import UnitOfWork
from ..services import tracking

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
MAX_SECONDS = 8 * 3600  # a forgotten tab does not poll forever


def current_version() -> str:
    with UnitOfWork(write=False) as session:
        return repr(tracking.data_version(session))


async def _client_connected(token: str) -> bool:
    """Whether the browser behind `token` still holds its websocket (fail-open)."""
    try:
        from reflex_base.registry import RegistrationContext  # Reflex 0.10 internals

        namespace = RegistrationContext.get().app.event_namespace
        if namespace is None or not token:
            return True
        return bool(await namespace._token_manager.is_token_connected(token))
    except Exception:  # pragma: no cover - an internal API that may move
        return True


def on_page(state, path: str) -> bool:
    return state.router.url.path.rstrip("/") == path.rstrip("/") or (path == "/" and state.router.url.path in ("", "/"))


def _viewer_id(state) -> int | None:
    user = state.current_user()
    return user.id if user is not None else None


async def watch(state, generation_attr: str, path: str, refresh: Callable[[], Awaitable[None] | None]) -> None:
    """Run inside a background event: `refresh` is called under the state lock when the version
    changed. `generation_attr` names an int backend var bumped by each new watcher.

    A socket without a valid session (never logged in, logged out, expired) gets nothing: the
    watcher stops at once, and again as soon as the session ends while it runs."""
    handler = f"{type(state).__name__}.watch"
    async with state:
        viewer = await asyncio.to_thread(_viewer_id, state)
        if viewer is None:
            log.warning("refused %s for an anonymous socket", handler)
            return
        generation = getattr(state, generation_attr) + 1
        setattr(state, generation_attr, generation)
        token = state.router.session.client_token
    last = await asyncio.to_thread(current_version)
    started = time.monotonic()
    while time.monotonic() - started < MAX_SECONDS:
        await asyncio.sleep(POLL_SECONDS)
        async with state:
            if getattr(state, generation_attr) != generation or not on_page(state, path):
                return
            if await asyncio.to_thread(_viewer_id, state) != viewer:
                log.warning("stopped %s: the socket's session ended", handler)
                return
        if not await _client_connected(token):
            return
        try:
            version = await asyncio.to_thread(current_version)
        except Exception:  # the database is busy or restarting: try again next tick
            log.exception("live poll failed")
            continue
        if version != last:
            last = version
            async with state:
                if getattr(state, generation_attr) != generation:
                    return
                done = refresh()  # a coroutine when the page reads in a worker thread (AppState._run)
                if inspect.isawaitable(done):
                    await done


Refresh = Callable[[], Awaitable[None] | None]
