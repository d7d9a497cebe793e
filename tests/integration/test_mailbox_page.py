"""The demo mailbox page's handlers, on what the real SMTP sink stored."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import reflex as rx

from epay_app.config import get_settings
from epay_app.pages.mailbox import IFRAME_SANDBOX, MailboxState


def mailbox_state() -> MailboxState:
    state = rx.State(_reflex_internal_init=True)
    for name in MailboxState.get_full_name().split(".")[1:]:
        state = state.substates[name]
    return state


def send(port: int, subject: str, html: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "no-reply@openflex.local", "patrick.pons@example.org", subject
    msg.set_content("texte")
    msg.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(msg)


def test_mailbox_lists_received_mails_and_frames_the_selected_one(smtp_sink):
    send(smtp_sink.port, "Premier", "<p>un</p>")
    send(smtp_sink.port, "Paiement de l'acompte de votre commande", '<a href="http://x/pay/t">Payer</a>')
    state = mailbox_state()

    MailboxState.load_mailbox.fn(state)
    assert [m["subject"] for m in state.mails] == ["Paiement de l'acompte de votre commande", "Premier"]
    assert state.mails[0]["to"] == "patrick.pons@example.org"

    MailboxState.open_mail.fn(state, state.mails[0]["id"])
    assert state.selected_subject == "Paiement de l'acompte de votre commande"
    assert state.selected_html.startswith('<base target="_top">')
    assert '<a href="http://x/pay/t">Payer</a>' in state.selected_html
    assert "allow-scripts" not in IFRAME_SANDBOX and "allow-same-origin" not in IFRAME_SANDBOX


def test_mailbox_is_closed_outside_demo_mode(smtp_sink, monkeypatch):
    send(smtp_sink.port, "Secret", "<p>lien de paiement</p>")
    monkeypatch.setenv("EPAY_DEMO", "false")
    get_settings.cache_clear()
    state = mailbox_state()

    assert MailboxState.load_mailbox.fn(state) is not None  # a redirect
    assert state.mails == []
    mail_id = sorted(p.stem for p in smtp_sink.files())[0]
    assert MailboxState.open_mail.fn(state, mail_id) is not None
    assert state.selected_html == ""
