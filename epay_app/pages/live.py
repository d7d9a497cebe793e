"""Live pages (F-55, issue 15): while a page is open, its background watcher sleeps until the
process's change feed (services.dashboards.change_feed: one LISTEN connection per worker on PostgreSQL, one
version poll per process on SQLite) reports a payment the page shows — in the viewer's scope
and in a status the viewer follows, or on the page's order. Then, under the state lock, it checks
the page is still the one it watches and lets the page reload. An idle page costs no database
query, no Redis command and no state lock.

A watcher ends when a newer watcher replaced it (same tab, or same page reloaded), when the tab's
socket is no longer held by this worker (a sweep every few seconds, a dictionary lookup), when the
page was left or the session ended (seen at its next wake), and after MAX_SECONDS."""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..config import get_settings
from ..db import UnitOfWork, run_read
from ..domain.tracking import followed_statuses
from ..services.access import auth
from ..services.access.scope import viewer_for
from ..services.dashboards import change_feed

log = logging.getLogger(__name__)

MAX_SECONDS = 8 * 3600  # a forgotten tab is not watched forever
POLL_SECONDS = 1.0  # the former per-page poll (EPAY_LIVE_POLL=true, a bench baseline only)
SWEEP_SECONDS = 5.0  # how soon a closed tab's watcher ends
# Changes closer than this are shown by one reload. An isolated change is shown at once; under a
# stream of changes (bench: 20 callbacks/s into one entity) a page reloads at most twice a second,
# which keeps the 95th percentile of "callback → page updated" under 1 s (1.0 s gave 0.996 s at
# N = 10 and 1.1 s at N = 100 on a quiet machine: the gap itself).
MIN_REFRESH_GAP = 0.5
# A page with a Prefetch whose user keeps clicking reads again outside the lock this many times
# before its refresh reads under the lock (and holds up the next click).
PREFETCH_READS = 3
_GOLDEN = (math.sqrt(5) - 1) / 2  # spreads the sessions' ticks over the gap (_Registry._session_phase)


def next_refresh(last: float, now: float, phase: float = 0.0) -> float:
    """When a page woken at `now` and last refreshed at `last` reloads: at once after a quiet
    spell; under a stream of changes, on the next tick of its session's clock (one tick per gap,
    `phase` seconds after each multiple of the gap) at least 80 % of a gap after the last reload.
    The tabs of one session a stream keeps waking then reload together and read once
    (shared_read), and the sessions of a worker reload at their own phases, not all at once."""
    gap = MIN_REFRESH_GAP
    if gap <= 0 or now >= last + gap:
        return now
    return math.ceil((last + 0.8 * gap - phase) / gap) * gap + phase


T = TypeVar("T")
Refresh = Callable[[], Any]  # returns nothing, or events for the browser (or an awaitable of them)


@dataclass(frozen=True)
class PageScope:
    """What a page shows: the payments of one scope column value in some statuses, or of one order."""

    column: str = ""  # "seller_id", "pos_id" or "entity_id": a Scope value
    value: int = 0
    statuses: frozenset[str] = frozenset()
    order_id: int = 0

    def contains(self, change: change_feed.Change) -> bool:
        if self.order_id:
            return change.order_id == self.order_id
        if getattr(change, self.column) != self.value:
            return False
        return (
            change.new_status in self.statuses
            or change.old_status in self.statuses
            or change.old_status == change_feed.UNKNOWN
        )


def viewer_scope(user_id: int) -> PageScope | None:
    """The payments a user's list and tiles can show (services.access.scope, domain.tracking)."""
    from ..models import User

    with UnitOfWork(write=False) as session:
        user = session.get(User, user_id)
        if user is None:
            return None
        viewer = viewer_for(session, user)
    statuses = frozenset(s.value for s in followed_statuses(viewer.group))
    return PageScope(column=viewer.scope.value, value=viewer.scope_value, statuses=statuses)


@dataclass(frozen=True)
class Prefetch:
    """A refresh that reads outside the state lock, so that a click on the page does not wait
    behind it: `capture()` (under the lock) says what the page shows; `read(captured)` (outside)
    reads it; `show(data)` (under the lock) puts it on the page. If the page's capture changed
    meanwhile (the user clicked), the page's own `refresh` runs instead."""

    capture: Callable[[], Hashable]
    read: Callable[[Any], Awaitable[Any]]
    show: Callable[[Any], Any]


class _Watcher:
    def __init__(self, token: str, scope: PageScope, session_key: Hashable):
        self.token, self.scope, self.session_key = token, scope, session_key
        self.phase = 0.0  # its session's tick offset in the gap (_Registry.add)
        self.wake = asyncio.Event()
        self.ended = ""  # why it must stop; empty while it runs
        self.deadline = time.monotonic() + MAX_SECONDS

    def end(self, reason: str) -> None:
        self.ended = reason
        self.wake.set()


class _Registry:
    """This process's watchers (one per tab), fed by the change feed."""

    def __init__(self):
        self.watchers: dict[str, _Watcher] = {}
        self.refreshes = 0  # how many wakes were delivered (bench, tests)
        self._sweeper: asyncio.Task | None = None
        self.delivered = 0  # deliveries of the feed: a read made before the last one may be stale
        self.reads: dict[Hashable, asyncio.Future] = {}  # shared_read, since delivery reads_delivered
        self.reads_delivered = 0
        self.sessions_phased = 0  # how many sessions got a tick offset here (_session_phase)
        self._phase_offset = random.random()

    def add(self, watcher: _Watcher) -> None:
        previous = self.watchers.get(watcher.token)
        if previous is not None:
            previous.end("replaced")
        watcher.phase = self._session_phase(watcher.session_key)
        self.watchers[watcher.token] = watcher
        change_feed.get_feed().subscribe(self.on_changes)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep(), name="epay-live-sweep")

    def _session_phase(self, session_key: Hashable) -> float:
        """A session's tick offset in this process, spread over the gap so that a stream of changes
        does not wake every page of the worker on the same tick: that of the session's pages
        already watched here (its tabs then read once, shared_read), else the next golden-ratio
        step — those fill the gap evenly whatever the number of sessions — from a random start
        per process, so that the workers' ticks do not coincide either."""
        for other in self.watchers.values():
            if other.session_key == session_key:
                return other.phase
        self.sessions_phased += 1
        return (self._phase_offset + self.sessions_phased * _GOLDEN) % 1.0 * MIN_REFRESH_GAP

    def remove(self, watcher: _Watcher) -> None:
        if self.watchers.get(watcher.token) is watcher:
            del self.watchers[watcher.token]

    def on_changes(self, changes: list[change_feed.Change] | None) -> None:
        self.delivered += 1
        for watcher in self.watchers.values():
            if changes is None or any(watcher.scope.contains(c) for c in changes):
                watcher.wake.set()

    async def _sweep(self) -> None:
        while self.watchers:
            await asyncio.sleep(SWEEP_SECONDS)
            now = time.monotonic()
            for watcher in list(self.watchers.values()):
                if now > watcher.deadline:
                    watcher.end("lifetime")
                elif not _held_here(watcher.token):
                    watcher.end("socket gone")


_registries: dict[int, _Registry] = {}


async def shared_read(key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
    """Single flight for live refreshes: `await compute()`, or the result of the same read (same
    key: same session, same page and filters) another tab of this process started since the
    feed's last delivery — the tabs a change wakes together read once. A failed read fails for
    each of them."""
    live = registry()
    if live.delivered != live.reads_delivered:
        live.reads, live.reads_delivered = {}, live.delivered
    future = live.reads.get(key)
    if future is None:
        future = live.reads[key] = asyncio.ensure_future(compute())
    return await asyncio.shield(future)


def registry() -> _Registry:
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _registries:
        _registries[loop_id] = _Registry()
    return _registries[loop_id]


def _held_here(token: str) -> bool:
    """Whether this worker still holds the tab's websocket: its token manager's own record, a
    dictionary lookup (no Redis). Fail-open when the internals are not there."""
    try:
        from reflex_base.registry import RegistrationContext  # Reflex 0.10 internals

        namespace = RegistrationContext.get().app.event_namespace
        if namespace is None or not token:
            return True
        manager = namespace._token_manager
        record = manager.token_to_socket.get(token)
        return record is not None and getattr(record, "instance_id", manager.instance_id) == manager.instance_id
    except Exception:  # pragma: no cover - an internal API that may move
        return True


def on_page(state, path: str) -> bool:
    return state.router.url.path.rstrip("/") == path.rstrip("/") or (path == "/" and state.router.url.path in ("", "/"))


def _session_check(state) -> Callable[[], int | None]:
    """Taken under the state lock: asks, in a worker thread, whose session the tab's cookie is now."""
    session_token = state.session_token

    def viewer_id() -> int | None:
        return run_read(lambda session: auth.session_user_id(session, session_token))

    return viewer_id


async def watch(
    state, generation_attr: str, path: str, refresh: Refresh, order_attr: str = "", prefetch: Prefetch | None = None
) -> None:
    """`watch_events` for a page whose refresh sends no event to the browser."""
    async for _event in watch_events(state, generation_attr, path, refresh, order_attr, prefetch):
        pass


async def watch_events(
    state, generation_attr: str, path: str, refresh: Refresh, order_attr: str = "", prefetch: Prefetch | None = None
):
    """Run inside a background event: `refresh` (a function, or a coroutine function) is called
    under the state lock when a payment the page shows changed — or, with a `prefetch`, its read
    outside the lock and its `show` under it. `generation_attr` names an int backend var bumped
    by each new watcher; `path` is the page's route ("" for the path the page has now);
    `order_attr` names the backend var holding the id of the order the page shows.

    A socket without a valid session (never logged in, logged out, expired) gets nothing: the
    watcher stops at once, and again at its first wake after the session ended."""
    handler = f"{type(state).__name__}.watch"
    async with state:
        session_key, session_user_id = ("session", state.session_token), _session_check(state)
        viewer = await asyncio.to_thread(session_user_id)
        if viewer is None:
            log.warning("refused %s for an anonymous socket", handler)
            return
        generation = getattr(state, generation_attr) + 1
        setattr(state, generation_attr, generation)
        token = state.router.session.client_token
        path = path or state.router.url.path
        order_id = getattr(state, order_attr) if order_attr else 0
        captured = prefetch.capture() if prefetch is not None else None
    if get_settings().live_poll:
        await _poll(state, generation_attr, path, refresh, session_user_id, viewer, generation, handler)
        return
    # What a refresh returns (e.g. a toast to dismiss) is yielded once the state lock is released.
    scope: PageScope | None
    if order_attr:
        if not order_id:
            return
        scope = PageScope(order_id=order_id)
    else:
        scope = await asyncio.to_thread(viewer_scope, viewer)
        if scope is None:
            return
    watcher = _Watcher(token, scope, session_key)
    live = registry()
    live.add(watcher)
    last_refresh = 0.0
    try:
        while True:
            await watcher.wake.wait()
            now = time.monotonic()
            if (pause := next_refresh(last_refresh, now, watcher.phase) - now) > 0 and not watcher.ended:
                await asyncio.sleep(pause)  # what changes meanwhile is in the same reload
            last_refresh = time.monotonic()
            watcher.wake.clear()
            if watcher.ended:
                log.debug("%s ended: %s", handler, watcher.ended)
                return
            # Outside the state lock: the session check (the tabs of one session woken by the
            # same delivery ask once, live.shared_read) and, with a prefetch, the page's read.
            try:
                session_viewer = await shared_read(session_key, lambda: asyncio.to_thread(session_user_id))
            except Exception:  # the database is down or restarting: the next change tries again
                log.exception("%s: session check failed", handler)
                continue
            if session_viewer != viewer:
                log.warning("stopped %s: the socket's session ended", handler)
                return
            events = None
            reads_left = PREFETCH_READS if prefetch is not None else 0
            while True:
                data = None
                if prefetch is not None and reads_left:
                    reads_left -= 1
                    try:
                        data = await prefetch.read(captured)
                    except Exception:  # the database is busy or restarting: the next change reloads
                        log.exception("%s: refresh failed", handler)
                        break
                async with state:
                    if getattr(state, generation_attr) != generation or not on_page(state, path):
                        return
                    shown = prefetch.capture() if prefetch is not None else None
                    if shown != captured and reads_left:
                        # The user changed what the page shows while it read (a click): read that
                        # again, outside the lock, rather than make the next click wait for it.
                        captured = shown
                        continue
                    live.refreshes += 1
                    try:
                        result = prefetch.show(data) if prefetch is not None and shown == captured else refresh()
                        events = await result if inspect.isawaitable(result) else result
                    except Exception:  # the database is busy or restarting: the next change reloads
                        log.exception("%s: refresh failed", handler)
                    if prefetch is not None:
                        captured = prefetch.capture()
                break
            if events is not None:
                yield events
    finally:
        live.remove(watcher)


async def _poll(state, generation_attr, path, refresh, session_user_id, viewer, generation, handler) -> None:
    """The former watcher, each second: the state lock, then a version query (the baseline)."""
    from ..services.dashboards import tracking

    def version() -> str:
        with UnitOfWork(write=False) as session:
            return repr(tracking.data_version(session))

    last = await asyncio.to_thread(version)
    started = time.monotonic()
    while time.monotonic() - started < MAX_SECONDS:
        await asyncio.sleep(POLL_SECONDS)
        async with state:
            if getattr(state, generation_attr) != generation or not on_page(state, path):
                return
            if await asyncio.to_thread(session_user_id) != viewer:
                log.warning("stopped %s: the socket's session ended", handler)
                return
        current = await asyncio.to_thread(version)
        if current != last:
            last = current
            async with state:
                if getattr(state, generation_attr) != generation:
                    return
                result = refresh()
                if inspect.isawaitable(result):
                    await result
