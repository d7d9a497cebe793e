"""Temporary databases migrated with alembic, as the app's own are."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(db_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["db_url"] = db_url
    cfg.attributes["configure_logger"] = False
    return cfg


def migrate(db_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(db_url), revision)


def downgrade(db_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(db_url), revision)


PG_URL_ENV = "EPAY_TEST_PG_URL"


def backends() -> list[str]:
    """The database kinds the integration suite runs on: SQLite always, PostgreSQL when
    scripts/services.sh started one (EPAY_TEST_PG_URL)."""
    import os

    return ["sqlite", "postgresql"] if os.environ.get(PG_URL_ENV) else ["sqlite"]


def create_database(kind: str, tmp_dir: Path) -> str:
    """An empty database of that kind; returns its URL."""
    import os
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        return f"sqlite:///{tmp_dir / 'test.db'}"
    admin_url = make_url(os.environ[PG_URL_ENV])
    name = f"epay_t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import os

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite"):
        return
    from epay_app.db import reset_engines

    reset_engines()  # close pooled connections to the database being dropped
    name = make_url(url).database
    engine = create_engine(make_url(os.environ[PG_URL_ENV]), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
