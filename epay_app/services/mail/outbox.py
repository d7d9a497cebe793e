"""Durable e-mail outbox (F-64): rows written in the caller's transaction.

A row goes pending → sending (claimed by a sender, with a lease) → sent, or back to pending
with a backoff after a failed attempt, and to failed after too many; see services/mail_sender.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from ...domain.dates import utcnow
from ...models import OutboxMail

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"


# Built once, as the callbacks' other statements (services.payment.payments).
_BY_DEDUPE_KEY = select(OutboxMail).where(OutboxMail.dedupe_key == bindparam("dedupe_key"))


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    kind: str,
    to_address: str,
    subject: str,
    body_text: str,
    body_html: str,
    payment_id: int | None = None,
) -> OutboxMail:
    """Queue a mail once per dedupe_key: a second call returns the existing row."""
    with session.no_autoflush:  # every mail is flushed when queued: none of ours can be pending
        existing = session.exec(_BY_DEDUPE_KEY, params={"dedupe_key": dedupe_key}).first()
    if existing is not None:
        return existing
    mail = OutboxMail(
        dedupe_key=dedupe_key,
        kind=kind,
        to_address=to_address,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        payment_id=payment_id,
    )
    session.add(mail)
    session.flush()
    return mail


def retry_failed(session: Session, mail_id: int | None = None) -> int:
    """Give failed mails (one, or all) a fresh series of attempts. Returns how many."""
    query = select(OutboxMail).where(OutboxMail.status == FAILED)
    if mail_id is not None:
        query = query.where(OutboxMail.id == mail_id)
    rows = session.exec(query).all()
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = PENDING, 0, utcnow()
        session.add(row)
    return len(rows)
