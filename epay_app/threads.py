"""Where a page's database work runs: a user's action on the event loop's default threads; a live
refresh (a change woke the page, pages/live.py) on a pool of its own. A change can wake a hundred
tabs at once; their reads queue on that pool, and a click never waits behind them (issue 15)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

LIVE_THREADS = 4
_live_refresh: contextvars.ContextVar[bool] = contextvars.ContextVar("epay_live_refresh", default=False)


@functools.lru_cache(maxsize=1)
def _live_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(LIVE_THREADS, thread_name_prefix="epay-live")


def enter_live_refresh() -> None:
    """Called in a live watcher's task: its work in threads, from then on, uses the live pool
    (the mark stays in that task's context)."""
    _live_refresh.set(True)


def in_live_refresh() -> bool:
    return _live_refresh.get()


async def in_thread(fn: Callable[..., T], /, *args: Any) -> T:
    """`asyncio.to_thread(fn, *args)`, on the live pool inside a live watcher."""
    call = functools.partial(contextvars.copy_context().run, fn, *args)
    pool = _live_pool() if _live_refresh.get() else None
    return await asyncio.get_running_loop().run_in_executor(pool, call)
