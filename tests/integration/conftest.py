"""Integration fixtures.

Mail/outbox fixtures (self-contained): `mail_settings_env`, `migrated_db_url`, `smtp_sink`.
"""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from epay_app.config import get_settings


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- mail / outbox fixtures -------------------------------------------------------------

@pytest.fixture
def mail_settings_env(tmp_path, monkeypatch):
    """Settings isolated in tmp_path: master key file, mail sink dir. Clears get_settings()."""
    monkeypatch.setenv("EPAY_MASTER_KEY_FILE", str(tmp_path / "master.key"))
    monkeypatch.setenv("EPAY_MAIL_SINK_DIR", str(tmp_path / "mail_sink"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def migrated_db_url(db_url, mail_settings_env, monkeypatch) -> str:
    """The shared `db_url` (at the alembic head; SQLite, and PostgreSQL when EPAY_TEST_PG_URL
    is set), also exported as REFLEX_DB_URL for code that reads the settings (the lifespan task,
    the worker command)."""
    monkeypatch.setenv("REFLEX_DB_URL", db_url)
    get_settings.cache_clear()
    return db_url


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
