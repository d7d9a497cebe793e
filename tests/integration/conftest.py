"""Shared integration fixtures.

Mail/outbox fixtures (self-contained): `mail_settings_env`, `migrated_db_url`, `smtp_sink`.
"""
from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from epay_app.config import ROOT, get_settings


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate(db_url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.set_main_option("path_separator", "os")
    config.attributes["db_url"] = db_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


# --- mail / outbox fixtures -------------------------------------------------------------

@pytest.fixture
def mail_settings_env(tmp_path, monkeypatch):
    """Settings isolated in tmp_path: master key file, mail sink dir. Clears get_settings()."""
    monkeypatch.setenv("EPAY_MASTER_KEY_FILE", str(tmp_path / "master.key"))
    monkeypatch.setenv("EPAY_MAIL_SINK_DIR", str(tmp_path / "mail_sink"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def _migrated_db_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db_template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


def _pg_database(admin_url: str, name: str, create: bool) -> str:
    """Create (or drop) database `name` on the server of `admin_url`; return its URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        sql = f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        connection.exec_driver_sql(sql)
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=[
    "sqlite",
    pytest.param("postgres", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not os.environ.get("EPAY_TEST_PG_URL"), reason="EPAY_TEST_PG_URL not set"),
    ]),
])
def migrated_db_url(request, _migrated_db_template, tmp_path, monkeypatch, mail_settings_env):
    """A fresh database at the alembic head, also set as REFLEX_DB_URL so code reading the
    settings uses it. SQLite: a copy of one file migrated per session. PostgreSQL (when
    EPAY_TEST_PG_URL points at a server, e.g. postgresql+psycopg://epay@127.0.0.1:5432/postgres):
    a new database per test, dropped afterwards."""
    if request.param == "sqlite":
        path = tmp_path / "epay.db"
        shutil.copyfile(_migrated_db_template, path)
        url = f"sqlite:///{path}"
    else:
        name = f"epay_test_{uuid.uuid4().hex[:12]}"
        url = _pg_database(os.environ["EPAY_TEST_PG_URL"], name, create=True)
        migrate(url)
    monkeypatch.setenv("REFLEX_DB_URL", url)
    get_settings.cache_clear()
    yield url
    from epay_app.db import get_engine

    for write in (True, False):
        get_engine(url, write).dispose()
    if request.param == "postgres":
        _pg_database(os.environ["EPAY_TEST_PG_URL"], name, create=False)


class SmtpSink:
    """A real aiosmtpd server (emails.sink.FileSink) on a free loopback port; stop() and
    start() again on the same port to play a mail server outage."""

    def __init__(self, directory: Path, port: int):
        self.directory, self.port, self._controller = directory, port, None

    def start(self) -> None:
        from epay_app.emails.sink import start_sink

        if self._controller is None:
            self._controller = start_sink(self.directory, self.port)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.eml")) if self.directory.is_dir() else []


@pytest.fixture
def smtp_sink(mail_settings_env, monkeypatch):
    """Started SMTP sink writing into EPAY_MAIL_SINK_DIR; EPAY_SMTP_HOST/PORT point at it."""
    sink = SmtpSink(Path(mail_settings_env) / "mail_sink", free_tcp_port())
    monkeypatch.setenv("EPAY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("EPAY_SMTP_PORT", str(sink.port))
    get_settings.cache_clear()
    sink.start()
    yield sink
    sink.stop()
    get_settings.cache_clear()
