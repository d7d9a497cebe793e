"""Shared fixtures: `db_url` runs a test on every database backend available."""

from __future__ import annotations

import pytest

from epay_app.db import reset_engines
from tests.support import database


@pytest.fixture(params=database.backends())
def db_url(request, tmp_path):
    """An empty, migrated database: SQLite, and PostgreSQL when EPAY_TEST_PG_URL is set."""
    url = database.create_migrated_database(request.param, tmp_path)
    yield url
    reset_engines()
    database.drop_database(url)


@pytest.fixture
def seeded_db_url(db_url):
    from epay_app.db import session_scope
    from epay_app.services.demo import demo_data

    with session_scope(db_url) as session:
        demo_data.seed(session)
    return db_url


@pytest.fixture
def seeded_app_db_url(seeded_db_url, monkeypatch):
    """The seeded database as the app's own (REFLEX_DB_URL: UnitOfWork's and the pages' default)."""
    from epay_app.config import get_settings

    monkeypatch.setenv("REFLEX_DB_URL", seeded_db_url)
    get_settings.cache_clear()
    reset_engines()
    yield seeded_db_url
    monkeypatch.undo()
    get_settings.cache_clear()
