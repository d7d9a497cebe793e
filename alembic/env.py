"""Alembic environment for the `alembic` CLI and tests.

`reflex db migrate` applies the same revision scripts without this file.
"""

from logging.config import fileConfig

from sqlalchemy import create_engine
from sqlmodel import SQLModel

from alembic import context
from epay_app import models  # noqa: F401  (registers the tables)
from epay_app.config import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def include_object(obj, name, type_, reflected, compare_to):
    """Autogenerate must not drop the search index of revision 0006_tracking, which is no model."""
    return not (
        type_ == "table"
        and reflected
        and compare_to is None
        and (name or "").startswith(("epayment_fts", "epayment_search"))
    )


def _url() -> str:
    return config.attributes.get("db_url") or get_settings().db_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True, include_object=include_object
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
