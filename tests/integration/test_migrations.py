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


def test_reflex_db_migrate_then_downgrade_to_base_and_back(tmp_path):
    """The newcomer's path: `reflex db migrate` (Reflex applies our alembic revisions), then
    alembic down to base and `reflex db migrate` again."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    url = f"sqlite:///{tmp_path / 'reflex.db'}"
    env = {**os.environ, "REFLEX_DB_URL": url, "REFLEX_TELEMETRY_ENABLED": "false"}
    reflex = str(Path(sys.executable).parent / "reflex")

    def reflex_migrate():
        done = subprocess.run(
            [reflex, "db", "migrate"], cwd=database.ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr

    reflex_migrate()
    assert set(SQLModel.metadata.tables) <= _tables(url)
    database.downgrade(url, "base")
    assert _tables(url) == set()
    reflex_migrate()
    assert set(SQLModel.metadata.tables) <= _tables(url)
