"""Durable e-mail outbox (F-64): rows written in the caller's transaction."""
from __future__ import annotations

from sqlmodel import Session, select

from ..models import OutboxMail


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
    existing = session.exec(select(OutboxMail).where(OutboxMail.dedupe_key == dedupe_key)).first()
    if existing is not None:
        return existing
    mail = OutboxMail(
        dedupe_key=dedupe_key, kind=kind, to_address=to_address, subject=subject,
        body_text=body_text, body_html=body_html, payment_id=payment_id,
    )
    session.add(mail)
    session.flush()
    return mail
