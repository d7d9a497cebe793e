"""alembic upgrade → downgrade → upgrade on a temporary database."""
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from epay_app import models  # noqa: F401
from tests.support import database


def _tables(url):
    """The model tables; the search index of 0006_tracking (FTS5 table and its shadow tables,
    or epayment_search on PostgreSQL) is no model and is tested in test_tracking.py."""
    engine = create_engine(url)
    try:
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return {n for n in names if not n.startswith(("epayment_fts", "epayment_search"))}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url):
    url = db_url  # already at head
    assert _tables(url) == set(SQLModel.metadata.tables)
    database.downgrade(url, "base")
    assert _tables(url) == set()
    database.migrate(url)
    assert _tables(url) == set(SQLModel.metadata.tables)
