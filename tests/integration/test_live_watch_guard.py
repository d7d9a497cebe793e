"""Finding: the live "watch" background events ran for anonymous sockets (a version poll per
second, then reloads, for anyone who sent the event)."""

from __future__ import annotations

import asyncio
import logging
from itertools import pairwise
from types import SimpleNamespace

import pytest

from epay_app.pages import live
from epay_app.pages.epayments import EPaymentsState
from epay_app.pages.home import HomeState
from epay_app.services.dashboards import change_feed
from tests.support.pages import drive, seam_for


class FakeState:
    """What live.watch touches on a background state: its lock, the router and the viewer."""

    def __init__(self, users):
        self._users = list(users)  # current_user() answers, one per call (last one repeats)
        self._watch_generation = 0
        self.router = SimpleNamespace(url=SimpleNamespace(path="/"), session=SimpleNamespace(client_token="t"))
        self.session_token = "cookie-of-the-tab"
        self.refreshed = 0

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    def current_user(self):
        return self._users.pop(0) if len(self._users) > 1 else self._users[0]


class HomeFake(FakeState):
    pass


pytestmark = pytest.mark.usefixtures("fake_pages_answer_the_session_check")


def _refresh(state):
    def refresh():
        state.refreshed += 1

    return refresh


@pytest.mark.parametrize("state_cls", [HomeState, EPaymentsState])
def test_watch_handlers_are_not_public_events_without_a_check(state_cls):
    # The handlers exist and go through live.watch, which checks the socket's session.
    assert "watch" in state_cls.event_handlers


SCOPE = live.PageScope(column="seller_id", value=7, statuses=frozenset({"envoye"}))


def _change(payment_id: int, seller_id: int = 7):
    return change_feed.Change(payment_id, seller_id, 1, 1, None, "envoye", "autorise", float(payment_id))


def test_an_anonymous_socket_gets_no_watcher(monkeypatch, caplog):
    scoped = []
    monkeypatch.setattr(live, "viewer_scope", lambda user_id: scoped.append(user_id) or SCOPE)
    state = HomeFake([None])
    with caplog.at_level(logging.WARNING, logger="epay_app.pages.live"):
        asyncio.run(asyncio.wait_for(live.watch(state, "_watch_generation", "/", _refresh(state)), 2))
    assert scoped == [] and state.refreshed == 0 and state._watch_generation == 0
    assert "refused HomeFake.watch for an anonymous socket" in caplog.text


def test_a_watcher_refreshes_on_changes_in_its_scope_and_stops_when_its_session_ends(monkeypatch, caplog):
    monkeypatch.setattr(live, "viewer_scope", lambda user_id: SCOPE)
    monkeypatch.setattr(live, "MIN_REFRESH_GAP", 0)
    user = SimpleNamespace(id=7)
    state = HomeFake([user, user, user, None])  # start, two wakes, then logged out

    async def scenario():
        task = asyncio.create_task(live.watch(state, "_watch_generation", "/", _refresh(state)))
        while "t" not in live.registry().watchers:
            await asyncio.sleep(0.01)
        feed = live.registry()
        for payment_id, seller_id in [(1, 8), (2, 7), (3, 8), (4, 7), (5, 7)]:  # seller 8: not this page's
            feed.on_changes([_change(payment_id, seller_id)])
            await asyncio.sleep(0.02)
        await asyncio.wait_for(task, 2)
        return feed

    with caplog.at_level(logging.WARNING, logger="epay_app.pages.live"):
        feed = asyncio.run(scenario())
    assert state.refreshed == 2
    assert "stopped HomeFake.watch" in caplog.text
    assert feed.watchers == {}


def test_a_newer_watcher_of_the_same_tab_ends_the_older_one(monkeypatch):
    monkeypatch.setattr(live, "viewer_scope", lambda user_id: SCOPE)
    user = SimpleNamespace(id=7)
    first, second = HomeFake([user]), HomeFake([user])

    async def scenario():
        old = asyncio.create_task(live.watch(first, "_watch_generation", "/", _refresh(first)))
        await asyncio.sleep(0.05)
        new = asyncio.create_task(live.watch(second, "_watch_generation", "/", _refresh(second)))
        await asyncio.wait_for(old, 2)  # ended by the newer watcher of tab "t"
        live.registry().on_changes([_change(9)])
        await asyncio.sleep(0.05)
        new.cancel()

    asyncio.run(scenario())
    assert first.refreshed == 0 and second.refreshed == 1


def test_a_shared_guard_names_the_refused_handler(caplog):
    """Finding: one `nonlocal` shared by every handler guarded by the same require_roles(...)
    made the security log name the last decorated handler instead of the refused one."""
    from epay_app.domain.roles import GroupType
    from epay_app.state import require_roles

    admin_only = require_roles(GroupType.ADMINISTRATEUR)

    class Page:
        @admin_only
        def save_first(self):
            return "ran"

        @admin_only
        def save_second(self):
            return "ran"

    page = Page()
    seller = SimpleNamespace(email="vendeur@openflex.demo", group_type=GroupType.VENDEUR.value)
    seam_for(page, seller)
    with caplog.at_level(logging.WARNING, logger="epay_app.state"):
        assert drive(page.save_first()) != "ran"
    assert "refused Page.save_first" in caplog.text or "save_first for vendeur" in caplog.text
    assert "save_second" not in caplog.text


def test_tabs_woken_together_share_one_read_until_the_feed_delivers_again():
    calls = []

    async def compute():
        calls.append(1)
        await asyncio.sleep(0.01)
        return len(calls)

    async def scenario():
        first, second = await asyncio.gather(live.shared_read("list", compute), live.shared_read("list", compute))
        assert (first, second) == (1, 1)  # one read for both tabs
        assert await live.shared_read("other filters", compute) == 2
        assert await live.shared_read("list", compute) == 1  # nothing delivered since
        live.registry().on_changes(None)  # a delivery: what was read may be stale
        assert await live.shared_read("list", compute) == 3

    asyncio.run(scenario())
    assert len(calls) == 3


class LockedFake(HomeFake):
    """Knows whether the state lock is held."""

    locked = False

    async def __aenter__(self):
        self.locked = True
        return self

    async def __aexit__(self, *exc):
        self.locked = False
        return False


def _prefetching_watch(monkeypatch, on_read=None):
    """A watched page whose refresh prefetches: what it read, showed and reloaded, and whether under the lock."""
    monkeypatch.setattr(live, "viewer_scope", lambda user_id: SCOPE)
    monkeypatch.setattr(live, "MIN_REFRESH_GAP", 0)
    state = LockedFake([SimpleNamespace(id=7)])
    shown, seen = {"filters": "a"}, []

    async def read(captured):
        seen.append(("read", captured, state.locked))
        if on_read:
            on_read(shown)
        return f"rows of {captured}"

    prefetch = live.Prefetch(
        capture=lambda: shown["filters"],
        read=read,
        show=lambda data: seen.append(("show", data, state.locked)),
    )

    def refresh():
        seen.append(("reload", shown["filters"], state.locked))

    async def start():
        task = asyncio.create_task(live.watch(state, "_watch_generation", "/", refresh, prefetch=prefetch))
        while "t" not in live.registry().watchers:
            await asyncio.sleep(0.01)
        return task

    return start, shown, seen


def test_a_prefetched_refresh_reads_outside_the_lock_and_reads_again_when_the_page_changed_meanwhile(monkeypatch):
    start, shown, seen = _prefetching_watch(monkeypatch)

    async def scenario():
        task = await start()
        for payment_id, clicked in [(2, None), (4, "b"), (5, None)]:
            if clicked:
                shown["filters"] = clicked  # the user changed the filters between two changes
            live.registry().on_changes([_change(payment_id)])
            await asyncio.sleep(0.05)
        task.cancel()

    asyncio.run(scenario())
    assert seen == [
        ("read", "a", False),
        ("show", "rows of a", True),
        ("read", "a", False),  # read for what the page showed …
        ("read", "b", False),  # … but it changed meanwhile: read again, still outside the lock
        ("show", "rows of b", True),
        ("read", "b", False),
        ("show", "rows of b", True),
    ]


def test_a_page_changed_during_every_read_reloads_under_the_lock_after_a_few_reads(monkeypatch):
    def click(shown):  # the user clicks during each read
        shown["filters"] += "+"

    start, _shown, seen = _prefetching_watch(monkeypatch, on_read=click)

    async def scenario():
        task = await start()
        live.registry().on_changes([_change(2)])
        await asyncio.sleep(0.05)
        task.cancel()

    asyncio.run(scenario())
    reads = [("read", "a" + "+" * i, False) for i in range(live.PREFETCH_READS)]
    assert seen == [*reads, ("reload", "a" + "+" * live.PREFETCH_READS, True)]


def test_under_a_stream_of_changes_a_sessions_pages_reload_together_on_its_tick():
    gap = live.MIN_REFRESH_GAP
    assert live.next_refresh(last=100.0, now=100.0 + gap) == 100.0 + gap  # a quiet spell: at once
    assert live.next_refresh(last=0.0, now=100.123) == 100.123
    # Tabs that last reloaded at slightly different moments after the same tick reload together
    # on the next one, one gap after it; none reloads sooner than 80 % of a gap after its last.
    ticks = {live.next_refresh(last=100.0 + d, now=100.0 + d + 0.01) for d in (0.0, 0.003, 0.05, 0.09)}
    assert ticks == {100.0 + gap}
    late = live.next_refresh(last=100.3, now=100.35)  # an isolated reload between two ticks
    assert late >= 100.3 + 0.8 * gap and late % gap == pytest.approx(0.0, abs=1e-9)
    # Another session's clock ticks `phase` seconds later, one gap apart as well.
    phase = 0.3 * gap
    for d in (0.0, 0.003, 0.05, 0.09):
        tick = live.next_refresh(last=100.0 + phase + d, now=100.0 + phase + d + 0.01, phase=phase)
        assert tick == pytest.approx(100.0 + gap + phase)
    later = live.next_refresh(last=100.3, now=100.35, phase=phase)
    assert later >= 100.3 + 0.8 * gap and (later - phase) % gap == pytest.approx(0.0, abs=1e-9)


def test_a_watcher_reloads_on_its_sessions_tick(monkeypatch):
    monkeypatch.setattr(live, "viewer_scope", lambda user_id: SCOPE)
    monkeypatch.setattr(live, "MIN_REFRESH_GAP", 0.05)
    asked, next_refresh = [], live.next_refresh

    def recording(last, now, phase=0.0):
        asked.append(phase)
        return next_refresh(last, now, phase)

    monkeypatch.setattr(live, "next_refresh", recording)
    state = HomeFake([SimpleNamespace(id=7)])

    async def scenario():
        task = asyncio.create_task(live.watch(state, "_watch_generation", "/", _refresh(state)))
        while "t" not in live.registry().watchers:
            await asyncio.sleep(0.01)
        for payment_id in (2, 4):
            live.registry().on_changes([_change(payment_id)])
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        phase = live.registry().watchers["t"].phase
        task.cancel()
        return phase

    phase = asyncio.run(scenario())
    assert state.refreshed >= 1 and asked and set(asked) == {phase}


def test_the_sessions_of_a_worker_tick_at_phases_spread_over_the_gap():
    """So that a stream of changes does not wake every page of a worker at the same instant (the
    server's answer to a filter click under load: p95 halved, README "Ninth session")."""
    gap = live.MIN_REFRESH_GAP

    async def watched(registry: live._Registry, *sessions: str) -> list[float]:
        watchers = [live._Watcher(f"tab-{i}", SCOPE, ("session", s)) for i, s in enumerate(sessions)]
        for watcher in watchers:
            registry.add(watcher)
        return [w.phase for w in watchers]

    one, other, again = asyncio.run(watched(live._Registry(), "a", "b", "a"))
    assert one == again != other  # the tabs of one session keep one clock
    for n in (2, 3, 5, 10, 50, 300):
        phases = sorted(asyncio.run(watched(live._Registry(), *map(str, range(n)))))
        assert all(0 <= p < gap for p in phases)
        spacings = [b - a for a, b in pairwise(phases)] + [phases[0] + gap - phases[-1]]
        assert min(spacings) >= gap / (3 * n) and max(spacings) <= 2 * gap / n, (n, spacings)
    # Each process starts at its own offset: the workers' ticks do not coincide either.
    assert len({asyncio.run(watched(live._Registry(), "a"))[0] for _ in range(5)}) == 5


def test_a_session_whose_pages_were_all_closed_leaves_nothing_behind():
    """No memory of ended sessions: the registry keeps a phase only on the watchers alive."""

    async def scenario() -> tuple[float, float, float]:
        registry = live._Registry()
        first = live._Watcher("tab-1", SCOPE, ("session", "a"))
        registry.add(first)
        second = live._Watcher("tab-2", SCOPE, ("session", "a"))
        registry.add(second)
        registry.remove(first)
        third = live._Watcher("tab-3", SCOPE, ("session", "a"))
        registry.add(third)  # the session still has a page here: same clock
        registry.remove(second)
        registry.remove(third)
        assert not registry.watchers and not [v for v in vars(registry).values() if isinstance(v, dict) and v]
        fourth = live._Watcher("tab-4", SCOPE, ("session", "a"))
        registry.add(fourth)  # a session back after all its pages closed: a new place in the gap
        return second.phase, third.phase, fourth.phase

    second, third, fourth = asyncio.run(scenario())
    assert second == third != fourth
