"""The change feed (issue 15): a status change made by another process (another worker handling a
callback) wakes the live pages that show that payment and no other; on PostgreSQL every listener
hears it on its own connection, and a listener killed and restarted misses nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from epay_app.pages import live
from epay_app.services.dashboards import change_feed

CHANGE_IN_ANOTHER_PROCESS = """
import sys
from epay_app.db import session_scope
from epay_app.domain.statuses import PaymentStatus
from epay_app.services.payment.payments import change_status, lock_payment
with session_scope(sys.argv[1]) as session:
    change_status(session, lock_payment(session, int(sys.argv[2])), PaymentStatus(sys.argv[3]), source="psp:notify")
"""


def change_elsewhere(db_url: str, payment_id: int, status: str = "autorise") -> None:
    """The status change a callback makes, in a separate process (another backend worker)."""
    subprocess.run(
        [sys.executable, "-c", CHANGE_IN_ANOTHER_PROCESS, db_url, str(payment_id), status],
        check=True,
        env={**os.environ, "REFLEX_DB_URL": db_url},
        timeout=60,
    )


pytestmark = pytest.mark.usefixtures("fake_pages_answer_the_session_check")


class Page:
    """What live.watch touches on a background state: its lock, the router and the viewer."""

    def __init__(self, user_id: int, token: str):
        self._user = SimpleNamespace(id=user_id)
        self._watch_generation = 0
        self.router = SimpleNamespace(url=SimpleNamespace(path="/"), session=SimpleNamespace(client_token=token))
        self.session_token = f"cookie-of-{token}"
        self.refreshed = 0

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    def current_user(self):
        return self._user

    def refresh(self):
        self.refreshed += 1


async def until(condition, seconds: float = 20.0) -> None:
    """A bounded wait (not a timing assertion): polls `condition` until true or gives up."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
def other_seller(migrated_db_url, demo_point_of_sale):
    from sqlmodel import Session

    from epay_app.db import get_engine
    from epay_app.models import User

    with Session(get_engine(migrated_db_url), expire_on_commit=False) as session:
        user = session.exec(text("SELECT id FROM app_user WHERE email = 'other@test.local'")).first()
        if user is not None:
            return user[0]
        other = User(
            first_name="Autre",
            last_name="VENDEUR",
            email="other@test.local",
            password_hash="x",
            group_type="vendeur",
            entity_id=demo_point_of_sale["entity_id"],
            pos_id=demo_point_of_sale["pos_id"],
        )
        session.add(other)
        session.commit()
        return other.id


def test_a_change_made_by_another_process_refreshes_only_the_pages_that_show_it(
    migrated_db_url, demo_point_of_sale, make_payment, other_seller
):
    payment = make_payment()
    seller_page = Page(demo_point_of_sale["seller_id"], "tab-seller")
    other_page = Page(other_seller, "tab-other")

    async def scenario():
        watchers = [
            asyncio.create_task(live.watch(p, "_watch_generation", "/", p.refresh)) for p in (seller_page, other_page)
        ]
        feed = change_feed.get_feed()
        await until(lambda: len(live.registry().watchers) == 2)
        if feed.postgres:
            await asyncio.wait_for(feed.connected.wait(), 20)
        else:
            await until(lambda: feed._version is not None)
        await asyncio.to_thread(change_elsewhere, migrated_db_url, payment.id)
        await until(lambda: seller_page.refreshed >= 1)
        await asyncio.sleep(1.5)  # room for a wrong wake of the other page (SQLite polls each second)
        for task in watchers:
            task.cancel()
        await feed.stop()

    asyncio.run(scenario())
    assert seller_page.refreshed == 1
    assert other_page.refreshed == 0


@pytest.fixture
def pg_url(migrated_db_url):
    if not migrated_db_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY: PostgreSQL only")
    return migrated_db_url


class Heard:
    def __init__(self):
        self.changes: list[change_feed.Change] = []

    def __call__(self, changes):
        self.changes.extend(changes or [])

    def ids(self) -> set[int]:
        return {c.payment_id for c in self.changes}


def test_every_listener_hears_a_change_on_its_own_connection_with_its_scope_keys(pg_url, make_payment):
    payment = make_payment()

    async def scenario():
        worker_1, worker_2 = change_feed.ChangeFeed(pg_url), change_feed.ChangeFeed(pg_url)
        heard_1, heard_2 = Heard(), Heard()
        worker_1.subscribe(heard_1)
        worker_2.subscribe(heard_2)
        await asyncio.wait_for(asyncio.gather(worker_1.connected.wait(), worker_2.connected.wait()), 20)
        assert worker_1.backend_pid != worker_2.backend_pid
        await asyncio.to_thread(change_elsewhere, pg_url, payment.id)
        await until(lambda: payment.id in heard_1.ids() and payment.id in heard_2.ids())
        await worker_1.stop()
        await worker_2.stop()
        return heard_1.changes

    changes = asyncio.run(scenario())
    change = next(c for c in changes if c.payment_id == payment.id)
    assert (change.seller_id, change.pos_id, change.entity_id, change.order_id) == (
        payment.seller_id,
        payment.pos_id,
        payment.entity_id,
        payment.order_id,
    )
    assert (change.old_status, change.new_status) == ("envoye", "autorise")


def test_a_listener_killed_and_restarted_misses_nothing(pg_url, make_payment):
    during_kill, while_stopped, after = make_payment(), make_payment(), make_payment()

    async def scenario():
        feed, heard = change_feed.ChangeFeed(pg_url), Heard()
        feed.subscribe(heard)
        await asyncio.wait_for(feed.connected.wait(), 20)
        engine = create_engine(pg_url)
        with engine.begin() as conn:  # the listener's connection dies (database restart, network)
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": feed.backend_pid})
        await asyncio.to_thread(change_elsewhere, pg_url, during_kill.id)
        await until(lambda: feed.connections >= 2 and feed.connected.is_set())
        await feed.stop()  # the listener is stopped (worker restart): a change meanwhile
        await asyncio.to_thread(change_elsewhere, pg_url, while_stopped.id)
        feed.start()
        await asyncio.wait_for(feed.connected.wait(), 20)
        await asyncio.to_thread(change_elsewhere, pg_url, after.id)
        await until(lambda: {during_kill.id, while_stopped.id, after.id} <= authorised(heard))
        await feed.stop()
        engine.dispose()
        return feed, heard

    feed, heard = asyncio.run(scenario())
    assert feed.connections == 3
    for payment in (during_kill, while_stopped, after):
        deliveries = [c for c in heard.changes if c.payment_id == payment.id and c.new_status == "autorise"]
        assert len(deliveries) == 1, "delivered once, neither lost nor doubled"


def authorised(heard: Heard) -> set[int]:
    return {c.payment_id for c in heard.changes if c.new_status == "autorise"}
