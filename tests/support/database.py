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


def create_database(kind: str, tmp_dir: Path, template: str | None = None, name: str = "test.db") -> str:
    """A database of that kind, empty or a copy of `template` (the URL of a database of the
    same kind); returns its URL. `name` is the SQLite file's name."""
    import os
    import shutil
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        path = tmp_dir / name
        if template is not None:
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    admin_url = make_url(os.environ[PG_URL_ENV])
    db_name = f"epay_t_{uuid.uuid4().hex[:12]}"
    statement = f'CREATE DATABASE "{db_name}"'
    if template is not None:
        statement += f' TEMPLATE "{make_url(template).database}"'
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()
    return admin_url.set(database=db_name).render_as_string(hide_password=False)


_TEMPLATES: dict[str, str] = {}


def create_migrated_database(kind: str, tmp_dir: Path, name: str = "test.db") -> str:
    """An empty database of that kind at the alembic head; returns its URL.

    alembic runs once per process and kind, into a template; every call then copies it (a file
    copy for SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL): the same schema, rows and
    alembic_version as a migration would leave, for a fraction of the time. Tests of the
    migrations themselves call `migrate` on `create_database`'s empty databases."""
    template = _TEMPLATES.get(kind) or _make_template(kind)
    return create_database(kind, tmp_dir, template, name)


def _make_template(kind: str) -> str:
    import atexit
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="epay-template-"))
    url = create_database(kind, tmp)
    migrate(url)
    if kind != "sqlite":
        atexit.register(drop_database, url)
    _TEMPLATES[kind] = url
    return url


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
