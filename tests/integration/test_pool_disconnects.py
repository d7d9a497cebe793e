"""Issue 15: the pool asks a connection whether it lives only when it sat idle (db._ping_when_idle),
not at each unit of work; a read whose connection died under it (a database restart) runs once more
on a fresh one (db.run_read). PostgreSQL only: its backends are killed with pg_terminate_backend."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.pool import NullPool

from epay_app import db

APP_NAME = "epay-pool-test"


@pytest.fixture
def url(migrated_db_url):
    """The test database under an application name of its own: a pool of its own (the engines are
    cached by URL) whose backends can be told apart from the rest of the suite's."""
    if not migrated_db_url.startswith("postgresql"):
        pytest.skip("pg_terminate_backend: PostgreSQL only")
    url = migrated_db_url + ("&" if "?" in migrated_db_url else "?") + f"application_name={APP_NAME}"
    yield url
    for write in (True, False):
        db.get_engine(url, write).dispose()


def kill_the_pools_connections(url: str) -> int:
    """The database restarted, as far as this pool's connections can tell."""
    admin = create_engine(url.replace(APP_NAME, "epay-pool-test-admin"), poolclass=NullPool)
    with admin.begin() as conn:
        killed = conn.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": APP_NAME},
        ).scalar_one()
    admin.dispose()
    return killed


def select(value: int):
    return lambda session: session.execute(text(f"SELECT {value}")).scalar_one()


def test_a_read_whose_connection_died_runs_once_more_on_a_fresh_one(url):
    assert db.run_read(select(1), url) == 1  # the pool keeps that connection
    assert kill_the_pools_connections(url) == 1

    assert db.run_read(select(2), url) == 2


def test_a_connection_idle_in_the_pool_is_asked_first_and_replaced(url, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with db.UnitOfWork(write=True, url=url) as session:
        assert select(1)(session) == 1
    assert kill_the_pools_connections(url) == 1

    with db.UnitOfWork(write=True, url=url) as session:  # a write is never run twice: the ping saved it
        assert select(2)(session) == 2


def test_the_ping_leaves_no_transaction_open_on_the_connection(url, monkeypatch):
    """As pool_pre_ping: the dialect's own ping, in autocommit (a bare SELECT 1 would begin a
    transaction the unit of work then runs in)."""
    from psycopg.pq import TransactionStatus

    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = db.get_engine(url, write=True)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    with engine.connect() as conn:  # asked first: it sat idle
        assert conn.connection.dbapi_connection.info.transaction_status == TransactionStatus.IDLE


def test_a_connection_in_steady_use_is_not_asked_first(url):
    """No round trip before each unit of work: a write on a connection that died fails once (as
    one in flight at the restart would), the pool is renewed, and the next write goes through."""
    with db.UnitOfWork(write=True, url=url) as session:
        select(1)(session)
    kill_the_pools_connections(url)

    with pytest.raises(exc.DBAPIError) as failed, db.UnitOfWork(write=True, url=url) as session:
        select(2)(session)
    assert failed.value.connection_invalidated
    with db.UnitOfWork(write=True, url=url) as session:
        assert select(3)(session) == 3
