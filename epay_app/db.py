"""Engine and sessions for code that must not import reflex (services, API routes, scripts).

Reflex's `rx.session()` reads the same REFLEX_DB_URL, so both see one database.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from .config import get_settings


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class _SqliteWriterGate:
    """Serialises writers on SQLite: a transaction takes the write lock at BEGIN IMMEDIATE, so two
    concurrent callbacks cannot both read "Envoyé" and both write (what FOR UPDATE does on PG).

    In front of it, an in-process lock queues this process's writers: SQLite's own busy handler
    sleeps and retries, which is unfair and gives long tails under load. The lock is held from
    BEGIN to COMMIT/ROLLBACK only, never across a whole session, and waiting on it is bounded, so
    a transaction left open across an `await` cannot deadlock the event loop: it degrades to
    SQLite's busy timeout.
    """

    WAIT_SECONDS = 5.0

    def __init__(self):
        self._lock = threading.Lock()

    def begin(self, conn):
        gated = self._lock.acquire(timeout=self.WAIT_SECONDS)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if gated:
                self._lock.release()
            raise
        conn.info["epay_gated"] = gated

    def end(self, conn):
        if conn.info.pop("epay_gated", False):
            self._lock.release()


def _no_pysqlite_begin(dbapi_connection, _record):
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite would defer it).
    dbapi_connection.isolation_level = None


def _sqlite_begin_deferred(conn):
    conn.exec_driver_sql("BEGIN")


# ---------------------------------------------------------------- SQL on the event loop (a test guard)

NO_SQL_ON_LOOP_ENV = "EPAY_ASSERT_NO_SQL_ON_LOOP"
SQL_ON_LOOP_FILE_ENV = "EPAY_SQL_ON_LOOP_FILE"
sql_on_loop: list[str] = []  # statements seen on a thread running an event loop, with where they came from


def _record_sql_on_loop(conn, cursor, statement, parameters, context, executemany):
    if os.environ.get(NO_SQL_ON_LOOP_ENV) != "1":  # the check was switched off (end of a suite)
        return
    if asyncio._get_running_loop() is None:  # a worker thread, a script, a sync test: fine
        return
    frames = [
        f for f in traceback.extract_stack(limit=40)[:-1] if "/epay_app/" in f.filename or "/tests/" in f.filename
    ]
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-4:]))
    line = f"{statement.split(chr(10), 1)[0][:120]} | {where}"
    sql_on_loop.append(line)
    path = os.environ.get(SQL_ON_LOOP_FILE_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(line.replace("\n", " ") + "\n")


def _guard_the_loop(engine: Engine) -> None:
    """Under EPAY_ASSERT_NO_SQL_ON_LOOP=1 (the integration suite, the e2e app), every statement run
    on the thread of a running event loop is recorded: one slow query there stalls every session
    of the worker. The suites fail when any was recorded."""
    if os.environ.get(NO_SQL_ON_LOOP_ENV) == "1":
        event.listen(engine, "before_cursor_execute", _record_sql_on_loop)


def make_engine(url: str, write: bool = True) -> Engine:
    engine = _make_engine(url, write)
    _guard_the_loop(engine)
    return engine


def _make_engine(url: str, write: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _no_pysqlite_begin)
        if write:
            gate = _SqliteWriterGate()
            event.listen(engine, "begin", gate.begin)
            event.listen(engine, "commit", gate.end)
            event.listen(engine, "rollback", gate.end)
        else:
            event.listen(engine, "begin", _sqlite_begin_deferred)
        return engine
    # Pages read with generic plans: the driver prepares a statement run five times, and the
    # e-Paiements list (one join of nine tables, its values bound) then costs ~1.7 ms instead of
    # ~14 ms of planning at each call (bench/tracking_bench.py, issue 16).
    if write:
        return _ping_when_idle(create_engine(url, pool_size=10, max_overflow=20))
    # Reads run in autocommit: under READ COMMITTED each statement takes its own snapshot inside a
    # transaction too, so a read sees the same rows without BEGIN and COMMIT, two round trips of a
    # one-query read, each a wait for the GIL in a loaded worker (issue 15). The connections are
    # read-only: a write slipped into a read would otherwise commit statement by statement.
    options = "-c plan_cache_mode=force_generic_plan -c default_transaction_read_only=on"
    return _ping_when_idle(
        create_engine(
            url, pool_size=10, max_overflow=20, isolation_level="AUTOCOMMIT", connect_args={"options": options}
        )
    )


# A pooled connection idle this long is asked whether it still lives before it is used (the
# database restarted, a proxy closed it). SQLAlchemy's pool_pre_ping asks at every checkout: one
# more round trip per unit of work, each a wait for the GIL in a loaded worker (issue 15). A
# connection in steady use that died fails its statement instead: SQLAlchemy then replaces every
# connection of the pool ("Disconnect Handling - Optimistic" in its pooling docs) and `run_read`
# runs a read once more.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> Engine:
    """SQLAlchemy's "pessimistic" check as a checkout event (its pooling docs): a connection that
    does not answer raises DisconnectionError, and the pool connects afresh."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping runs (no transaction left open)
        except Exception as error:
            raise exc.DisconnectionError() from error

    return engine


def get_engine(url: str | None = None, write: bool = True) -> Engine:
    """One engine per (database, kind): however it is asked for, the same database shares one
    pool and, on SQLite, one writer gate."""
    return _engine(url or get_settings().db_url, write)


@lru_cache(maxsize=8)
def _engine(url: str, write: bool) -> Engine:
    return make_engine(url, write=write)


def reset_engines() -> None:
    """Forget the cached engines (tests and benchmarks that switch databases)."""
    _engine.cache_clear()


@contextmanager
def session_scope(url: str | None = None, write: bool = True, stream: bool = False) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error.

    `write=False` is for pages that only read: on SQLite it does not take the write lock.
    `stream=True` (a read) keeps a transaction on PostgreSQL, where reads otherwise run in
    autocommit: a server-side cursor (`yield_per`) lives inside one.
    """
    engine = get_engine(url, write)
    if stream and not write and engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="READ COMMITTED")
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


class UnitOfWork:
    """The one owner of a transaction: a session, committed when the block succeeds, rolled back
    when it raises. Use cases only flush; pages reach them through AppState._run (state.py)."""

    def __init__(self, write: bool = True, url: str | None = None):
        self.write, self.url = write, url
        self.session: Session | None = None

    def __enter__(self) -> Session:
        self.session = Session(get_engine(self.url, self.write), expire_on_commit=False)
        return self.session

    def __exit__(self, exc_type, exc, tb) -> None:
        session, self.session = self.session, None
        assert session is not None
        try:
            if exc_type is None:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()


T = TypeVar("T")


def run_read(work: Callable[[Session], T], url: str | None = None) -> T:
    """`work(session)` in a read-only unit of work, run once more if its connection died under it
    (a database restart: SQLAlchemy has then renewed the pool). A read is safe to run twice; a
    write is never run again here."""
    try:
        with UnitOfWork(write=False, url=url) as session:
            return work(session)
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
    with UnitOfWork(write=False, url=url) as session:
        return work(session)
