"""Outbox sender (F-64): delivers queued mails over SMTP, safely from several workers at once.

How a row is delivered:
1. claim — in one short write transaction, due rows (pending and due, or 'sending' whose lease
   ran out because their worker died) are locked — SELECT … FOR UPDATE SKIP LOCKED on
   PostgreSQL, the BEGIN IMMEDIATE write lock of db.session_scope on SQLite — and marked
   'sending' with `locked_until` = now + lease;
2. send — over one SMTP connection per batch, outside any transaction, each claimed row at most
   once, and never once its lease is nearly over (another worker may then claim it);
3. record — right after each send, in its own short transaction, guarded by the claim
   (status 'sending' and the same `locked_until`): 'sent', or back to 'pending' with an
   exponential backoff, or 'failed' after `max_attempts` (still listed, see outbox.retry_failed).

Delivery is at least once. The duplicate window is one message: a worker that dies after the
server's "250 OK" and before step 3 commits leaves the row 'sending'; once the lease expires it
is sent again. Both copies carry the same Message-ID (derived from the outbox id), so mail
clients and people can recognise the second as a duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import smtplib
import ssl
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from ...config import Settings, get_settings
from ...db import session_scope
from ...domain.dates import as_utc, utcnow
from ...models import OutboxMail
from ..sales.documents import PdfFile
from .mail_attachments import NOTICE_KINDS, attachments_for
from .outbox import FAILED, PENDING, SENDING, SENT

log = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[Session]]
Db = str | SessionFactory | None  # a database URL, a session factory, or None: the settings'


@dataclass(frozen=True)
class SenderPolicy:
    batch: int = 20
    lease_seconds: float = 600.0
    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 3600.0
    smtp_timeout_seconds: float = 20.0

    def backoff(self, attempts: int) -> timedelta:
        seconds = self.backoff_base_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.backoff_cap_seconds))


@dataclass(frozen=True)
class Claim:
    """What a sender needs of a claimed row, detached from the session."""

    id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str
    created_at: datetime
    locked_until: datetime
    kind: str = ""
    payment_id: int | None = None


def _scope(db: Db) -> AbstractContextManager[Session]:
    return db() if callable(db) else session_scope(db)


def message_id(mail_id: int, created_at: datetime, mail_from: str) -> str:
    """Stable across retries: a duplicate after a crash has the same Message-ID."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "epay.local"
    return f"<outbox-{mail_id}.{as_utc(created_at):%Y%m%d%H%M%S}@{domain}>"


def build_message(claim: Claim, settings: Settings, attachments: Sequence[PdfFile] = ()) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = claim.to_address
    msg["Subject"] = claim.subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id(claim.id, claim.created_at, settings.mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Epay-Outbox-Id"] = str(claim.id)
    msg.set_content(claim.body_text)
    msg.add_alternative(claim.body_html, subtype="html")
    for pdf in attachments:
        msg.add_attachment(pdf.content, maintype="application", subtype="pdf", filename=pdf.filename)
    return msg


def claim_attachments(db: Db, claim: Claim) -> list[PdfFile]:
    """The claim's documents, rebuilt from its payment now (services.mail.mail_attachments)."""
    if claim.payment_id is None or claim.kind not in NOTICE_KINDS:
        return []
    # A read: on SQLite it must not hold the write lock while the PDF is drawn.
    with db() if callable(db) else session_scope(db, write=False) as session:
        return attachments_for(session, claim.kind, claim.payment_id)


def claim_due(session: Session, now: datetime, policy: SenderPolicy) -> list[Claim]:
    due = or_(
        and_(col(OutboxMail.status) == PENDING, col(OutboxMail.next_attempt_at) <= now),
        and_(col(OutboxMail.status) == SENDING, col(OutboxMail.locked_until) < now),
    )
    rows = session.exec(
        select(OutboxMail)
        .where(due)
        .order_by(col(OutboxMail.next_attempt_at), col(OutboxMail.id))
        .limit(policy.batch)
        .with_for_update(skip_locked=True)  # SQLite ignores it: BEGIN IMMEDIATE
    ).all()
    lease_until = now + timedelta(seconds=policy.lease_seconds)
    claims = []
    for row in rows:
        assert row.id is not None  # read from the database
        if row.status == SENDING:
            # Its worker died mid-delivery: the mail may have left, so this counts as an attempt.
            row.attempts += 1
            row.last_error = "Envoi interrompu (le processus d'envoi s'est arrêté)"
            if row.attempts >= policy.max_attempts:
                row.status, row.locked_until = FAILED, None
                continue
        row.status, row.locked_until = SENDING, lease_until
        claims.append(
            Claim(
                row.id,
                row.to_address,
                row.subject,
                row.body_text,
                row.body_html,
                row.created_at,
                lease_until,
                row.kind,
                row.payment_id,
            )
        )
    session.flush()
    return claims


def _finish(
    db: Db, claim: Claim, error: str | None, policy: SenderPolicy, *, release: bool = False, permanent: bool = False
) -> None:
    """Record the outcome of one claim, unless the claim was lost (lease expired and taken over)."""
    now = utcnow()
    with _scope(db) as session:
        row = session.get(OutboxMail, claim.id, with_for_update=True)
        if (
            row is None
            or row.status != SENDING
            or row.locked_until is None
            or as_utc(row.locked_until) != as_utc(claim.locked_until)
        ):
            log.warning("outbox %s: claim lost before its result was recorded", claim.id)
            return
        row.locked_until = None
        if error is None:
            row.status, row.sent_at = SENT, now  # last_error stays: the history of the delays
        elif release:  # not attempted: hand it back as it was
            row.status, row.next_attempt_at = PENDING, now
        else:
            row.attempts += 1
            row.last_error = error[:500]
            row.status = FAILED if permanent or row.attempts >= policy.max_attempts else PENDING
            row.next_attempt_at = now + policy.backoff(row.attempts)
        session.add(row)


def _connect(settings: Settings, timeout: float) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    try:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _is_permanent(exc: smtplib.SMTPException) -> bool:
    """A 5xx refusal will not change by retrying (a 4xx may)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _deliver(db: Db, claims: list[Claim], settings: Settings, policy: SenderPolicy) -> int:
    try:
        smtp = _connect(settings, policy.smtp_timeout_seconds)
    except (OSError, smtplib.SMTPException) as exc:
        for claim in claims:
            _finish(db, claim, _describe(exc), policy)
        return 0
    sent, broken = 0, None
    with smtp:
        for claim in claims:
            margin = timedelta(seconds=policy.smtp_timeout_seconds)
            if broken is None and utcnow() + margin >= as_utc(claim.locked_until):
                _finish(db, claim, "lease expired before sending", policy, release=True)
                continue
            if broken is not None:  # the connection is gone: the rest fail the same way
                _finish(db, claim, broken, policy)
                continue
            try:
                attachments = claim_attachments(db, claim)
            except Exception as exc:  # a document that cannot be built: this mail waits, not the others
                log.exception("outbox %s: attachment failed", claim.id)
                _finish(db, claim, f"pièce jointe : {_describe(exc)}", policy)
                continue
            try:
                smtp.send_message(build_message(claim, settings, attachments))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                # This mail refused, the connection lives on for the next ones.
                _finish(db, claim, _describe(exc), policy, permanent=_is_permanent(exc))
            except (OSError, smtplib.SMTPException) as exc:
                broken = _describe(exc)
                _finish(db, claim, broken, policy)
            else:
                _finish(db, claim, None, policy)
                sent += 1
    return sent


def send_due_mails(
    db: Db = None,
    batch: int | None = None,
    *,
    now: datetime | None = None,
    policy: SenderPolicy | None = None,
    settings: Settings | None = None,
) -> int:
    """Claim and send one batch of due mails. Returns how many were sent."""
    policy = policy or SenderPolicy()
    if batch is not None:
        policy = SenderPolicy(**{**policy.__dict__, "batch": batch})
    settings = settings or get_settings()
    with _scope(db) as session:
        claims = claim_due(session, now or utcnow(), policy)
    if not claims:
        return 0
    return _deliver(db, claims, settings, policy)


def _pause(sent: int, failures: int, policy: SenderPolicy, poll: float) -> float:
    """0 when a full batch went out (more may be due); longer after consecutive failures."""
    if failures:
        return min(poll * 2**failures, 60.0)
    return 0.0 if sent >= policy.batch else poll


def _log_failure(failures: int) -> None:
    if failures == 1:
        log.exception("outbox: sending round failed")
    else:
        log.warning("outbox: sending round failed again (%s in a row)", failures)


def run_forever(
    stop_event: threading.Event, db: Db = None, policy: SenderPolicy | None = None, poll_seconds: float | None = None
) -> None:
    policy = policy or SenderPolicy()
    poll = poll_seconds if poll_seconds is not None else get_settings().outbox_poll_seconds
    failures = 0
    while not stop_event.is_set():
        sent = 0
        try:
            sent, failures = send_due_mails(db, policy=policy), 0
        except Exception:  # the database may be briefly unavailable: keep the worker alive
            failures += 1
            _log_failure(failures)
        stop_event.wait(_pause(sent, failures, policy, poll))


async def outbox_lifespan_task() -> None:
    """For `app.register_lifespan_task`: every backend worker may run it, claims keep them apart.
    The blocking SMTP and database work runs in a thread; cancellation stops the loop."""
    policy = SenderPolicy()
    failures = 0
    log.info("outbox sender started in the backend")
    while True:
        sent = 0
        try:
            sent, failures = await asyncio.to_thread(send_due_mails, None, policy=policy), 0
        except Exception:
            failures += 1
            _log_failure(failures)
        await asyncio.sleep(_pause(sent, failures, policy, get_settings().outbox_poll_seconds))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Envoi des e-mails de l'outbox (F-64)")
    parser.add_argument("--db-url", default=None, help="défaut : REFLEX_DB_URL")
    parser.add_argument("--once", action="store_true", help="un seul lot, puis quitter")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.once:
        print(send_due_mails(args.db_url))
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("outbox sender started (SMTP %s:%s)", get_settings().smtp_host, get_settings().smtp_port)
    run_forever(stop, args.db_url)


if __name__ == "__main__":
    main()
