"""The "CONFIRMATION DE PAIEMENT DE L'ACOMPTE" e-mail carries the deposit receipt, built from the
payment when the outbox sends it: read back from a real SMTP sink, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

from pypdf import PdfReader
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.domain.statuses import PaymentStatus
from epay_app.models import EPayment, OutboxMail
from epay_app.services.mail import outbox
from epay_app.services.mail.mail_sender import send_due_mails
from epay_app.services.payment import callbacks
from epay_app.services.payment.payments import change_status, lock_payment

from .test_notifications import seed_payment

REFERENCE = "00045_000061_20000026837_1"


def _authorise(db_url: str, payment_id: int) -> None:
    """What a PSP notification does on authorisation (callbacks.apply_psp_response's tail)."""
    with session_scope(db_url) as session:
        payment = lock_payment(session, payment_id)
        if change_status(session, payment, PaymentStatus.AUTORISE, source="psp:notify", psp_code="00"):
            callbacks.after_psp_status_change(
                session, payment, PaymentStatus.AUTORISE, authorisation_id="A12345", masked_pan="4970 10XX XXXX 0001"
            )


def _in_threads(target, *args, count: int = 2) -> None:
    errors: list[BaseException] = []

    def run():
        try:
            target(*args)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def _drain(db_url: str) -> None:
    idle = 0
    while idle < 3:
        idle = idle + 1 if send_due_mails(db_url, batch=1) == 0 else 0


def confirmations(sink) -> list:
    messages = [message_from_bytes(path.read_bytes(), policy=default_policy) for path in sink.files()]
    return [m for m in messages if m["Subject"] == "Confirmation de paiement de l'acompte"]


def pdf_parts(message) -> list:
    return [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]


def _assert_one_receipt(message) -> None:
    (part,) = pdf_parts(message)
    assert part.get_filename() == f"recu-acompte-{REFERENCE}.pdf"
    assert part.get_content_disposition() == "attachment"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(part.get_content())).pages)
    text = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    assert "Reçu d'acompte" in text
    assert f"N° de transaction {REFERENCE}" in text
    assert "Montant payé 500,00 €" in text
    assert "N° d'autorisation A12345" in text


def _seed(db_url: str) -> int:
    with session_scope(db_url) as session:
        return seed_payment(session).id


def test_the_confirmation_mail_carries_the_receipt_once_after_racing_notifications_and_senders(mail_db_url, smtp_sink):
    payment_id = _seed(mail_db_url)

    _in_threads(_authorise, mail_db_url, payment_id)  # the webhook and the return, together
    _in_threads(_drain, mail_db_url)  # two outbox workers, together

    (message,) = confirmations(smtp_sink)
    _assert_one_receipt(message)
    assert "CONFIRMATION DE PAIEMENT DE L'ACOMPTE" in message.get_body(("plain",)).get_content()
    assert "Vous trouverez votre reçu d'acompte en pièce jointe." in message.get_body(("html",)).get_content()
    with session_scope(mail_db_url, write=False) as session:
        (row,) = session.exec(select(OutboxMail).where(OutboxMail.kind == "payment_confirmation")).all()
        assert row.status == outbox.SENT


def test_a_confirmation_sent_again_after_a_lost_lease_carries_the_receipt_once_again(mail_db_url, smtp_sink):
    payment_id = _seed(mail_db_url)
    _authorise(mail_db_url, payment_id)
    _drain(mail_db_url)
    # The worker died after the server's 250 OK: the row is left 'sending', its lease runs out.
    with session_scope(mail_db_url) as session:
        row = session.exec(select(OutboxMail).where(OutboxMail.kind == "payment_confirmation")).one()
        row.status, row.locked_until = outbox.SENDING, utcnow() - timedelta(seconds=1)
        session.add(row)

    _in_threads(_drain, mail_db_url)

    first, second = confirmations(smtp_sink)
    assert first["Message-ID"] == second["Message-ID"]
    _assert_one_receipt(first)
    _assert_one_receipt(second)


def test_a_confirmation_whose_payment_cannot_give_a_receipt_waits_and_the_others_go(mail_db_url, smtp_sink):
    payment_id = _seed(mail_db_url)
    _authorise(mail_db_url, payment_id)
    with session_scope(mail_db_url) as session:  # a row broken by hand: no authorisation time
        payment = session.get(EPayment, payment_id)
        payment.authorised_at = None
        session.add(payment)
        outbox.enqueue(
            session,
            dedupe_key="other",
            kind="test",
            to_address="x@example.org",
            subject="Autre",
            body_text="t",
            body_html="<p>t</p>",
        )

    assert send_due_mails(mail_db_url) == 1

    with session_scope(mail_db_url, write=False) as session:
        row = session.exec(select(OutboxMail).where(OutboxMail.kind == "payment_confirmation")).one()
    assert row.status == outbox.PENDING and row.last_error.startswith("pièce jointe")
    assert confirmations(smtp_sink) == []


def _refund(db_url: str, payment_id: int) -> None:
    """The order cancelled (À rembourser), then the PSP reports the refund."""
    with session_scope(db_url) as session:
        payment = lock_payment(session, payment_id)
        change_status(session, payment, PaymentStatus.A_REMBOURSER, source="user")
        change_status(session, payment, PaymentStatus.REMBOURSE, source="psp:notify")
        callbacks.after_psp_status_change(session, payment, PaymentStatus.REMBOURSE)


def test_a_refund_mails_the_refund_notice_attached_once(mail_db_url, smtp_sink):
    payment_id = _seed(mail_db_url)
    _authorise(mail_db_url, payment_id)
    _refund(mail_db_url, payment_id)
    _in_threads(_drain, mail_db_url)

    messages = [message_from_bytes(path.read_bytes(), policy=default_policy) for path in smtp_sink.files()]
    (notice,) = [m for m in messages if m["Subject"] == "Avis de remboursement"]
    assert "AVIS DE REMBOURSEMENT" in notice.get_body(("plain",)).get_content()
    (part,) = pdf_parts(notice)
    assert part.get_filename() == f"avis-remboursement-{REFERENCE}.pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(part.get_content())).pages)
    text = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    assert "Avis de remboursement" in text and "Montant remboursé 500,00 €" in text
    # The receipt sent earlier stays the receipt: still one, with its own document.
    (confirmation,) = confirmations(smtp_sink)
    _assert_one_receipt(confirmation)
