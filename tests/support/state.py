"""What the reliability suites compare: a payment's outcome and a snapshot of the whole state."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, select

from epay_app.db import get_engine
from epay_app.models import EPayment, EPaymentEvent, OutboxMail


@dataclass(frozen=True)
class Outcome:
    status: str
    events: tuple[tuple[str | None, str, str, str], ...]  # (from, to, source kind, psp code)
    keys: tuple[str, ...]  # idempotency keys recorded
    mails: tuple[tuple[str, str], ...]  # (kind, dedupe key)

    @property
    def transitions(self) -> list[tuple[str | None, str]]:
        return [(f, t) for f, t, _, _ in self.events if f != t]


def outcome(db_url: str, payment_id: int) -> Outcome:
    """Read with a fresh non-writing session (does not take SQLite's write lock)."""
    with Session(get_engine(db_url, write=False)) as session:
        payment = session.get(EPayment, payment_id)
        events = session.exec(
            select(EPaymentEvent).where(EPaymentEvent.payment_id == payment_id).order_by(EPaymentEvent.id)
        ).all()
        mails = session.exec(
            select(OutboxMail).where(OutboxMail.payment_id == payment_id).order_by(OutboxMail.id)
        ).all()
        return Outcome(
            payment.status,
            tuple((e.from_status, e.to_status, e.source.split(":")[0], e.psp_code) for e in events),
            tuple(e.idempotency_key or "" for e in events),
            tuple((m.kind, m.dedupe_key) for m in mails),
        )


_SNAPSHOT_QUERIES = {
    "epayment": "SELECT id, status, psp_response_code, psp_authorisation_id, psp_masked_pan, "
    "psp_last_error, status_changed_at FROM epayment ORDER BY id",
    "epayment_event": "SELECT id, payment_id, from_status, to_status, idempotency_key FROM epayment_event ORDER BY id",
    "outbox_mail": "SELECT id, dedupe_key, status, attempts FROM outbox_mail ORDER BY id",
}


def snapshot(db_url: str) -> dict[str, tuple[int, str]]:
    """Per table: (row count, digest of every row's tracked columns). Equal snapshots mean no
    payment, event or mail was written, changed or removed."""
    result = {}
    with get_engine(db_url, write=False).connect() as conn:
        for table, query in _SNAPSHOT_QUERIES.items():
            rows = conn.execute(text(query)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            result[table] = (len(rows), digest)
    return result
