"""Driving a page state's handlers from a sync test, the way Reflex would: guarded handlers are
coroutines or async generators (the guard reads the viewer in a worker thread)."""

from __future__ import annotations

import inspect

from epay_app.state import AppState, Profile

from . import aio


def seam_for(state, user) -> None:
    """Give a stand-in state (SimpleNamespace) what the guard and AppState._run touch, for `user`."""

    async def resolve_viewer():
        return user, Profile()

    state.session_token = getattr(state, "session_token", "t")
    state._resolve_viewer = resolve_viewer
    state._remember = lambda _user, _profile=None: None
    state._forget = lambda: None
    state.current_user = lambda: user
    state._known_user = lambda: user
    state._run = AppState._run.__get__(state)


def drive(result):
    """What a handler returned or yielded: a coroutine is awaited, a generator drained (a list)."""
    if inspect.iscoroutine(result):
        return aio.run(result)
    if inspect.isasyncgen(result):

        async def drain():
            return [item async for item in result]

        return aio.run(drain())
    if inspect.isgenerator(result):
        return list(result)
    return result
