"""The change feed (F-55, issue 15): one listener per process learns which payments were created
or changed status, with each payment's scope keys, and hands them to its subscribers (the open
live pages of this process, pages/live.py).

PostgreSQL: `LISTEN epay_payment_changes` on one dedicated connection; the trigger of alembic
0017_live_feed sends a NOTIFY in the transaction that changes the row, so every worker hears a
change whichever worker made it, and an idle page costs nothing. After a (re)connect the feed
catches up with a query over the recent changes, so a notification missed while it was away is
not lost. SQLite (one process): a version check per second while someone listens, and the rows
behind a new version.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.engine import make_url
from sqlmodel import Session

from ...config import get_settings
from ...db import session_scope
from ...models import EPayment

log = logging.getLogger(__name__)

CHANNEL = "epay_payment_changes"
POLL_SECONDS = 1.0  # SQLite only
RECONNECT_SECONDS = (0.2, 1.0, 5.0)
PG_CATCH_UP_MARGIN = timedelta(seconds=30)  # commit order may differ from change-time order
RECENT_MAX = 10_000  # delivered changes remembered (for twice the margin) to drop a catch-up's repeats
SQLITE_CATCH_UP_MARGIN = timedelta(seconds=5)
CATCH_UP_LIMIT = 2000  # beyond that: "anything may have changed"

E = inspect(EPayment).local_table
UNKNOWN = "*"


@dataclass(frozen=True)
class Change:
    payment_id: int
    seller_id: int
    pos_id: int
    entity_id: int
    order_id: int | None
    old_status: str | None  # None: created; UNKNOWN: not known (catch-up, SQLite)
    new_status: str
    at: float  # the status change time, epoch seconds


Subscriber = Callable[[list[Change] | None], None]  # None: anything may have changed


def parse_notification(payload: str) -> Change:
    data = json.loads(payload)
    return Change(
        payment_id=int(data["id"]),
        seller_id=int(data["seller"]),
        pos_id=int(data["pos"]),
        entity_id=int(data["entity"]),
        order_id=int(data["order"]) if data.get("order") is not None else None,
        old_status=data.get("old"),
        new_status=data["new"],
        at=float(data["at"]),
    )


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def changes_since(session: Session, since: float, after_id: int, limit: int = CATCH_UP_LIMIT) -> list[Change] | None:
    """Payments whose status changed at or after `since` or created after `after_id` (served by
    the status_changed_at index and the primary key). None when there are more than `limit`."""
    moment = datetime.fromtimestamp(since, tz=UTC)
    stmt = (
        select(E.c.id, E.c.seller_id, E.c.pos_id, E.c.entity_id, E.c.order_id, E.c.status, E.c.status_changed_at)
        .where(or_(E.c.status_changed_at >= moment, E.c.id > after_id))
        .limit(limit + 1)
    )
    rows = session.connection().execute(stmt).all()
    if len(rows) > limit:
        return None
    return [Change(r.id, r.seller_id, r.pos_id, r.entity_id, r.order_id, UNKNOWN, r.status, _epoch(r[6])) for r in rows]


def _cursor(session: Session) -> tuple[tuple, float, int]:
    """The version (last change time, last id: two index lookups) and the cursor it stands for."""
    moment, last_id = (
        session.connection()
        .execute(
            select(
                select(func.max(E.c.status_changed_at)).scalar_subquery(), select(func.max(E.c.id)).scalar_subquery()
            )
        )
        .one()
    )
    at = _epoch(moment) if moment is not None else 0.0
    return (at, last_id), at, int(last_id or 0)


class ChangeFeed:
    """One per process (per event loop). Subscribers are plain callables run on the loop."""

    def __init__(self, db_url: str | None = None):
        self.db_url = db_url or get_settings().db_url
        self.postgres = self.db_url.startswith("postgresql")
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task | None = None
        self._version: tuple | None = None
        self._at, self._last_id = 0.0, 0
        # Delivered (payment, change time) → when, oldest first: forgetting is a pop at the front.
        self._recent: OrderedDict[tuple[int, float], float] = OrderedDict()
        self.connected = asyncio.Event()  # PostgreSQL: listening (tests wait on it)
        self.connections = 0  # PostgreSQL: how many times it connected (tests, logs)
        self.backend_pid: int | None = None

    # ---------------------------------------------------------------- subscribers

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)
        self.start()

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def _publish(self, changes: list[Change] | None) -> None:
        if changes is not None:
            changes = self._fresh(changes)
            if not changes:
                return
        for subscriber in list(self._subscribers):
            try:
                subscriber(changes)
            except Exception:
                log.exception("change feed subscriber failed")

    def _fresh(self, changes: list[Change]) -> list[Change]:
        """Drop what was delivered already (a catch-up overlaps what the feed heard)."""
        now = time.monotonic()
        horizon = now - 2 * PG_CATCH_UP_MARGIN.total_seconds()
        while self._recent and (len(self._recent) >= RECENT_MAX or next(iter(self._recent.values())) < horizon):
            self._recent.popitem(last=False)
        fresh = []
        for change in changes:
            key = (change.payment_id, round(change.at, 6))
            if key not in self._recent:
                self._recent[key] = now
                fresh.append(change)
            self._at = max(self._at, change.at)
            self._last_id = max(self._last_id, change.payment_id)
        return fresh

    # ---------------------------------------------------------------- running

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="epay-change-feed")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                log.debug("change feed stopped")
        self.connected.clear()

    async def _run(self) -> None:
        if self.postgres:
            await self._listen_forever()
        else:
            await self._poll_forever()

    async def _catch_up(self, margin: timedelta) -> None:
        """After a (re)connect or a new version: what changed since the last known change."""
        first = self._version is None
        version, at, last_id = await asyncio.to_thread(self._read_cursor)
        if first:
            self._version, self._at, self._last_id = version, at, last_id
            return
        if version == self._version:
            return
        since = self._at - margin.total_seconds()
        changes = await asyncio.to_thread(self._read_changes, since, self._last_id)
        self._version = version
        if changes is None:
            self._publish(None)
            self._at, self._last_id = max(self._at, at), max(self._last_id, last_id)
        else:
            self._publish(changes)

    def _read_cursor(self):
        with session_scope(self.db_url, write=False) as session:
            return _cursor(session)

    def _read_changes(self, since: float, after_id: int):
        with session_scope(self.db_url, write=False) as session:
            return changes_since(session, since, after_id)

    async def _poll_forever(self) -> None:
        while True:
            if self._subscribers or self._version is None:
                try:
                    await self._catch_up(SQLITE_CATCH_UP_MARGIN)
                except Exception:
                    log.exception("change feed poll failed")
            await asyncio.sleep(POLL_SECONDS)

    async def _listen_forever(self) -> None:
        import psycopg

        conninfo = make_url(self.db_url).set(drivername="postgresql").render_as_string(hide_password=False)
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    conninfo, autocommit=True, keepalives=1, keepalives_idle=30, keepalives_interval=10
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.backend_pid = conn.info.backend_pid
                    self.connections += 1
                    await self._catch_up(PG_CATCH_UP_MARGIN)  # after LISTEN: no gap
                    self.connected.set()
                    failures = 0
                    async for notify in conn.notifies():
                        self._on_notify(notify.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change feed connection lost (%s): reconnecting", exc)
            self.connected.clear()
            await asyncio.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
            failures += 1

    def _on_notify(self, payload: str) -> None:
        try:
            change = parse_notification(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("change feed: unreadable notification %r", payload[:200])
            return
        self._publish([change])


_feeds: dict[int, ChangeFeed] = {}


def get_feed() -> ChangeFeed:
    """The process's feed, on the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    feed = _feeds.get(id(loop))
    if feed is None or feed.db_url != get_settings().db_url:
        feed = _feeds[id(loop)] = ChangeFeed()
    return feed
