"""Issue 15: under load every round trip of a worker thread is a wait for the GIL, and each
guarded event resolves its viewer. The viewer (session, user, entity, point of sale) is one
query; PostgreSQL reads run without BEGIN/COMMIT, on connections that refuse to write."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from epay_app import state
from epay_app.db import get_engine, session_scope
from epay_app.domain.dates import utcnow
from epay_app.models import User, UserSession
from epay_app.services.access import auth
from epay_app.services.demo import demo_data


def _login(url: str, email: str) -> str:
    with session_scope(url) as s:
        return auth.login(s, email, demo_data.DEMO_PASSWORD, client_address="192.0.2.77")


def _statements_of(url: str, work) -> tuple[object, list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    engine = get_engine(url, write=False)
    event.listen(engine, "before_cursor_execute", record)
    try:
        return work(), statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_guarded_event_resolves_its_viewer_and_shell_in_one_query(seeded_app_db_url):
    token = _login(seeded_app_db_url, "chef@openflex.demo")
    (user, profile), statements = _statements_of(seeded_app_db_url, lambda: state._identify(token))
    assert user is not None and user.email == "chef@openflex.demo"
    assert profile.entity and profile.pos
    queries = [s for s in statements if s != "BEGIN"]  # SQLite's deferred BEGIN (db._sqlite_begin_deferred)
    assert len(queries) == 1, statements


@pytest.mark.parametrize("ended", ["expired", "inactive", "unknown"])
def test_an_ended_session_resolves_to_no_viewer(seeded_app_db_url, ended):
    token = _login(seeded_app_db_url, "vendeur@openflex.demo")
    with session_scope(seeded_app_db_url) as s:
        if ended == "expired":
            for row in s.exec(select(UserSession)).all():
                row.expires_at = utcnow() - timedelta(seconds=1)
                s.add(row)
        elif ended == "inactive":
            user = s.exec(select(User).where(User.email == "vendeur@openflex.demo")).one()
            user.active = False
            s.add(user)
        else:
            token = "inconnu"
    assert state._identify(token)[0] is None


def test_postgresql_reads_run_without_a_transaction_and_cannot_write(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's read engine (SQLite reads take no write lock, db._sqlite_begin_deferred)")
    (_, statements) = _statements_of(db_url, lambda: _read_twice(db_url))
    assert [s.split()[0].upper() for s in statements] == ["SELECT", "SELECT"]
    with get_engine(db_url, write=False).connect() as conn:
        assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
        assert conn.connection.dbapi_connection.autocommit  # no BEGIN, no COMMIT
    with pytest.raises(Exception, match="read-only transaction"), session_scope(db_url, write=False) as s:
        s.exec(text("UPDATE app_user SET active = active"))


def _read_twice(url: str) -> None:
    with session_scope(url, write=False) as s:
        s.exec(select(User)).all()
        s.exec(select(UserSession)).all()


def test_a_clicks_list_read_reuses_the_guards_viewer(seeded_app_db_url):
    """The guard read the viewer and their entity's option with the session (one query): the
    list read that follows runs the list's statement alone, for the same viewer."""
    from epay_app.pages import epayments
    from epay_app.services.access.scope import viewer_for, viewer_of

    token = _login(seeded_app_db_url, "directeur@openflex.demo")
    user, profile = state._identify(token)
    assert user is not None
    viewer = viewer_of(user, epay_option=profile.epay_option)
    with session_scope(seeded_app_db_url, write=False) as s:
        assert viewer == viewer_for(s, user)

    def read(who):
        with session_scope(seeded_app_db_url, write=False) as s:
            page, _label = epayments._list_page(s, who, token, filter_keys=[], query="", limit=20)
            return [c.id for c in page.cards]

    (guarded, statements) = _statements_of(seeded_app_db_url, lambda: read(viewer))
    assert [s for s in statements if s != "BEGIN"] and not any("FROM entity" in s for s in statements)
    assert guarded == read(None)  # the same cards as a read that resolves the session itself
