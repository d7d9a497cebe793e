"""Engine and sessions for code that must not import reflex (services, API routes, scripts).

Reflex's `rx.session()` reads the same REFLEX_DB_URL, so both see one database.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from sqlalchemy import event
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


def make_engine(url: str, write: bool = True) -> Engine:
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
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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
def session_scope(url: str | None = None, write: bool = True) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error.

    `write=False` is for pages that only read: on SQLite it does not take the write lock.
    """
    with Session(get_engine(url, write), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
