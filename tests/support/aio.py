"""Run a coroutine to completion from sync tests, even when another event loop is running
in this thread (pytest-playwright's sync API keeps one)."""

from __future__ import annotations

import asyncio
import concurrent.futures


def run(coro):
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
