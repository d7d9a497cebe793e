"""The durable outbox (F-64) against a real SMTP server (aiosmtpd) and a migrated SQLite DB."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import as_utc, utcnow
from epay_app.emails.sink import FileSink
from epay_app.models import OutboxMail
from epay_app.services.mail import mail_sender, mailbox, outbox
from epay_app.services.mail.mail_sender import SenderPolicy, send_due_mails
from tests.support import aio

from .conftest import free_tcp_port

LATER = timedelta(hours=3)  # past any backoff of the default policy's first attempts


def queue_mails(db_url: str, count: int, prefix: str = "test") -> list[int]:
    with session_scope(db_url) as session:
        rows = [
            outbox.enqueue(
                session,
                dedupe_key=f"{prefix}:{i}",
                kind="test",
                to_address=f"client{i}@example.org",
                subject=f"Message {i}",
                body_text=f"Bonjour {i}",
                body_html=f"<p>Bonjour {i}</p>",
            )
            for i in range(count)
        ]
        return [row.id for row in rows]


def rows(db_url: str) -> list[OutboxMail]:
    with session_scope(db_url, write=False) as session:
        return list(session.exec(select(OutboxMail).order_by(OutboxMail.id)).all())


def received_outbox_ids(sink) -> Counter:
    ids = Counter()
    for path in sink.files():
        ids[message_from_bytes(path.read_bytes(), policy=default_policy)["X-Epay-Outbox-Id"]] += 1
    return ids


def test_queued_mails_are_delivered_once(mail_db_url, smtp_sink):
    ids = queue_mails(mail_db_url, 3)

    assert send_due_mails(mail_db_url) == 3
    assert send_due_mails(mail_db_url) == 0

    assert received_outbox_ids(smtp_sink) == Counter({str(i): 1 for i in ids})
    assert all(r.status == outbox.SENT and r.sent_at is not None and r.attempts == 0 for r in rows(mail_db_url))
    stored = mailbox.list_mails(smtp_sink.directory)
    assert sorted(m.subject for m in stored) == ["Message 0", "Message 1", "Message 2"]
    first = mailbox.read_mail(stored[-1].id, smtp_sink.directory)
    assert first.text.strip() == "Bonjour 0" and first.html.strip() == "<p>Bonjour 0</p>"
    assert first.message_id.startswith(f"<outbox-{ids[0]}.")


def test_smtp_down_keeps_mails_queued_then_delivers_each_once(mail_db_url, smtp_sink):
    smtp_sink.stop()
    ids = queue_mails(mail_db_url, 4)

    assert send_due_mails(mail_db_url) == 0
    for row in rows(mail_db_url):
        assert row.status == outbox.PENDING and row.attempts == 1
        assert "Connection refused" in row.last_error or "Errno" in row.last_error
        assert as_utc(row.next_attempt_at) > utcnow()
    assert send_due_mails(mail_db_url) == 0  # backing off: not due yet
    assert all(r.attempts == 1 for r in rows(mail_db_url))

    smtp_sink.start()
    assert send_due_mails(mail_db_url, now=utcnow() + LATER) == 4
    assert send_due_mails(mail_db_url, now=utcnow() + LATER) == 0

    assert received_outbox_ids(smtp_sink) == Counter({str(i): 1 for i in ids})
    assert [r.status for r in rows(mail_db_url)] == [outbox.SENT] * 4


def test_after_max_attempts_a_mail_is_failed_visible_and_retryable(mail_db_url, smtp_sink):
    smtp_sink.stop()
    (mail_id,) = queue_mails(mail_db_url, 1)
    policy = SenderPolicy(max_attempts=2, backoff_base_seconds=1)

    send_due_mails(mail_db_url, policy=policy)
    send_due_mails(mail_db_url, policy=policy, now=utcnow() + LATER)
    (row,) = rows(mail_db_url)
    assert (row.status, row.attempts) == (outbox.FAILED, 2) and row.last_error

    smtp_sink.start()
    assert send_due_mails(mail_db_url, policy=policy, now=utcnow() + LATER) == 0  # failed: left alone
    with session_scope(mail_db_url) as session:
        assert outbox.retry_failed(session, mail_id) == 1
    assert send_due_mails(mail_db_url, policy=policy) == 1
    assert received_outbox_ids(smtp_sink) == Counter({str(mail_id): 1})


def test_two_senders_running_together_never_send_a_row_twice(mail_db_url, smtp_sink):
    ids = queue_mails(mail_db_url, 30)
    sent_by = Counter()
    errors = []

    def worker(name: str) -> None:
        try:
            idle = 0
            while idle < 3:
                sent = send_due_mails(mail_db_url, batch=3)
                sent_by[name] += sent
                idle = idle + 1 if sent == 0 else 0
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert sum(sent_by.values()) == 30
    assert received_outbox_ids(smtp_sink) == Counter({str(i): 1 for i in ids})
    assert {r.status for r in rows(mail_db_url)} == {outbox.SENT}


def test_a_row_left_sending_by_a_dead_worker_is_sent_again_after_its_lease(mail_db_url, smtp_sink):
    stale_id, live_id = queue_mails(mail_db_url, 2)
    with session_scope(mail_db_url) as session:
        stale, live = session.get(OutboxMail, stale_id), session.get(OutboxMail, live_id)
        stale.status, stale.locked_until = outbox.SENDING, utcnow() - timedelta(seconds=1)
        live.status, live.locked_until = outbox.SENDING, utcnow() + timedelta(minutes=5)
        session.add_all([stale, live])

    assert send_due_mails(mail_db_url) == 1

    by_id = {r.id: r for r in rows(mail_db_url)}
    assert by_id[stale_id].status == outbox.SENT and by_id[stale_id].attempts == 1
    assert by_id[live_id].status == outbox.SENDING  # its worker may still be sending it
    assert received_outbox_ids(smtp_sink) == Counter({str(stale_id): 1})


def test_a_worker_whose_claim_was_taken_over_does_not_record_over_the_new_one(mail_db_url, smtp_sink):
    (_mail_id,) = queue_mails(mail_db_url, 1)
    policy = SenderPolicy(lease_seconds=60)
    with session_scope(mail_db_url) as session:
        (slow_claim,) = mail_sender.claim_due(session, utcnow(), policy)
    # The slow worker's lease runs out; another worker claims and sends the mail.
    assert send_due_mails(mail_db_url, now=utcnow() + timedelta(seconds=120)) == 1

    mail_sender._finish(mail_db_url, slow_claim, "late failure", policy)

    (row,) = rows(mail_db_url)
    assert row.status == outbox.SENT and row.last_error.startswith("Envoi interrompu")


def test_lifespan_task_delivers_and_stops_on_cancellation(mail_db_url, smtp_sink, monkeypatch):
    from epay_app.config import get_settings

    monkeypatch.setenv("EPAY_OUTBOX_POLL_SECONDS", "0.05")
    get_settings.cache_clear()
    ids = queue_mails(mail_db_url, 2)

    async def scenario():
        task = asyncio.create_task(mail_sender.outbox_lifespan_task())
        for _ in range(100):
            await asyncio.sleep(0.05)
            if len(smtp_sink.files()) == 2:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    aio.run(scenario())
    assert received_outbox_ids(smtp_sink) == Counter({str(i): 1 for i in ids})


def test_worker_loop_delivers_and_stops_when_asked(mail_db_url, smtp_sink):
    ids = queue_mails(mail_db_url, 2)
    stop = threading.Event()
    worker = threading.Thread(target=mail_sender.run_forever, args=(stop, mail_db_url), kwargs={"poll_seconds": 0.05})
    worker.start()
    for _ in range(100):
        if len(smtp_sink.files()) == 2:
            break
        stop.wait(0.05)
    stop.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert received_outbox_ids(smtp_sink) == Counter({str(i): 1 for i in ids})


class PickySink(FileSink):
    """Refuses some recipients: 550 (for good) or 451 (try later)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("unknown"):
            return "550 5.1.1 No such user"
        if address.startswith("busy"):
            return "451 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_recipient_does_not_hold_back_the_others(mail_db_url, mail_settings_env, monkeypatch):
    from aiosmtpd.controller import Controller

    from epay_app.config import get_settings

    port = free_tcp_port()
    monkeypatch.setenv("EPAY_SMTP_PORT", str(port))
    get_settings.cache_clear()
    sink_dir = mail_settings_env / "picky"
    controller = Controller(PickySink(sink_dir), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with session_scope(mail_db_url) as session:
            for address in ("unknown@example.org", "busy@example.org", "ok@example.org"):
                outbox.enqueue(
                    session,
                    dedupe_key=address,
                    kind="test",
                    to_address=address,
                    subject="Objet",
                    body_text="texte",
                    body_html="<p>texte</p>",
                )
        assert send_due_mails(mail_db_url) == 1
    finally:
        controller.stop()

    by_address = {r.to_address: r for r in rows(mail_db_url)}
    assert by_address["ok@example.org"].status == outbox.SENT
    assert by_address["unknown@example.org"].status == outbox.FAILED  # 5xx: retrying will not help
    assert "550" in by_address["unknown@example.org"].last_error
    assert by_address["busy@example.org"].status == outbox.PENDING  # 4xx: tried again later
    assert by_address["busy@example.org"].attempts == 1
    assert len(list(sink_dir.glob("*.eml"))) == 1
