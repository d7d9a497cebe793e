"""alembic upgrade → downgrade → upgrade on a temporary database."""

import pytest
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


@pytest.mark.parametrize("kind", database.backends())
def test_codes_revision_turns_stored_text_into_codes_and_back(kind, tmp_path):
    """0018_codes: order status, stock status and event source are stored as codes; its
    downgrade writes the French text back, and upgrading again gives the same codes."""
    from sqlalchemy import text
    from sqlmodel import Session, select

    from epay_app.models import EPayment, EPaymentEvent, Vehicle
    from epay_app.services.demo import demo_data

    url = database.create_database(kind, tmp_path)
    engine = create_engine(url)
    try:
        database.migrate(url)
        with Session(engine) as session:
            demo_data.seed(session, activity=True)
            payment_id = session.exec(select(EPayment.id).order_by(EPayment.id)).first()
            for source in ("user", "system", "e_reservation", "psp:notify"):
                session.add(EPaymentEvent(payment_id=payment_id, to_status="envoye", source=source))
            first, second = session.exec(select(Vehicle).order_by(Vehicle.id).limit(2)).all()
            first.stock_status, second.stock_status = "reserved", "sold"
            session.add_all([first, second])
            session.commit()

        def stored() -> dict[str, set[str]]:
            with engine.connect() as conn:
                return {
                    column: {r[0] for r in conn.execute(text(f"SELECT DISTINCT {column} FROM {table}"))}
                    for table, column in (
                        ("sales_order", "status"),
                        ("vehicle", "stock_status"),
                        ("epayment_event", "source"),
                    )
                }

        at_head = stored()
        assert at_head == {
            "status": {"placed", "cancelled"},
            "stock_status": {"in_stock", "reserved", "sold"},
            "source": {"demo", "user", "system", "e_reservation", "psp:notify"},
        }
        database.downgrade(url, "0017_live_feed")
        assert stored() == {
            "status": {"Commandée", "Annulée"},
            "stock_status": {"en stock", "réservé", "vendu"},
            "source": {"démo", "utilisateur", "système", "e-réservation", "psp:notify"},
        }
        database.migrate(url)
        assert stored() == at_head
    finally:
        engine.dispose()
        database.drop_database(url)
