"""Finding: the live "watch" background events ran for anonymous sockets (a version poll per
second, then reloads, for anyone who sent the event)."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest

from epay_app.pages import live
from epay_app.pages.epayments import EPaymentsState
from epay_app.pages.home import HomeState
from tests.support.pages import drive, seam_for


class FakeState:
    """What live.watch touches on a background state: its lock, the router and the viewer."""

    def __init__(self, users):
        self._users = list(users)  # current_user() answers, one per call (last one repeats)
        self._watch_generation = 0
        self.router = SimpleNamespace(url=SimpleNamespace(path="/"), session=SimpleNamespace(client_token="t"))
        self.refreshed = 0

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    def current_user(self):
        return self._users.pop(0) if len(self._users) > 1 else self._users[0]


class HomeFake(FakeState):
    pass


def _refresh(state):
    def refresh():
        state.refreshed += 1

    return refresh


@pytest.mark.parametrize("state_cls", [HomeState, EPaymentsState])
def test_watch_handlers_are_not_public_events_without_a_check(state_cls):
    # The handlers exist and go through live.watch, which checks the socket's session.
    assert "watch" in state_cls.event_handlers


def test_an_anonymous_socket_gets_no_watcher(monkeypatch, caplog):
    polled = []
    monkeypatch.setattr(live, "current_version", lambda: polled.append(1) or "v")
    monkeypatch.setattr(live, "POLL_SECONDS", 0.01)
    state = HomeFake([None])
    with caplog.at_level(logging.WARNING, logger="epay_app.pages.live"):
        asyncio.run(asyncio.wait_for(live.watch(state, "_watch_generation", "/", _refresh(state)), 2))
    assert polled == [] and state.refreshed == 0 and state._watch_generation == 0
    assert "refused HomeFake.watch for an anonymous socket" in caplog.text


def test_a_watcher_stops_when_its_session_ends(monkeypatch, caplog):
    versions = iter(["v1", "v2", "v3", "v4", "v5"])
    monkeypatch.setattr(live, "current_version", lambda: next(versions))
    monkeypatch.setattr(live, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(live, "_client_connected", lambda token: asyncio.sleep(0, True))
    user = SimpleNamespace(id=7)
    state = HomeFake([user, user, user, None])  # start, two ticks, then logged out
    with caplog.at_level(logging.WARNING, logger="epay_app.pages.live"):
        asyncio.run(asyncio.wait_for(live.watch(state, "_watch_generation", "/", _refresh(state)), 2))
    assert state.refreshed == 2
    assert "stopped HomeFake.watch" in caplog.text


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
