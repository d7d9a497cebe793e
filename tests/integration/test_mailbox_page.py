"""The demo mailbox page's handlers, on what the real SMTP sink stored."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

import pytest
import reflex as rx
from reflex.istate.data import RouterData

from epay_app.config import get_settings
from epay_app.db import reset_engines, session_scope
from epay_app.pages.mailbox import IFRAME_SANDBOX, MailboxState
from epay_app.services.access import auth
from epay_app.services.demo import demo_data
from tests.support import database
from tests.support.pages import drive


@pytest.fixture
def demo_users(tmp_path, monkeypatch):
    """A migrated, seeded database of its own: the demo users log in with DEMO_PASSWORD."""
    url = database.create_migrated_database("sqlite", tmp_path, "mailbox.db")
    with session_scope(url) as s:
        demo_data.seed(s)
    monkeypatch.setenv("REFLEX_DB_URL", url)
    monkeypatch.setenv("EPAY_DEMO", "true")
    get_settings.cache_clear()
    reset_engines()
    yield url
    reset_engines()


def token_for(email: str) -> str:
    with session_scope() as s:
        return auth.login(s, email, demo_data.DEMO_PASSWORD)


def mailbox_state(token: str = "") -> MailboxState:
    state = rx.State(_reflex_internal_init=True)
    for name in MailboxState.get_full_name().split(".")[1:]:
        state = state.substates[name]
    # The websocket handshake carries the HttpOnly session cookie (api/session.py).
    state.router = RouterData.from_router_data({"headers": {"cookie": f"epay_session={token}"}})
    return state


def send(port: int, subject: str, html: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "no-reply@openflex.local", "patrick.pons@example.org", subject
    msg.set_content("texte")
    msg.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(msg)


def test_mailbox_lists_received_mails_and_frames_the_selected_one(smtp_sink, demo_users):
    send(smtp_sink.port, "Premier", "<p>un</p>")
    send(smtp_sink.port, "Paiement de l'acompte de votre commande", '<a href="http://x/pay/t">Payer</a>')
    state = mailbox_state(token_for("admin@openflex.demo"))

    drive(MailboxState.load_mailbox.fn(state))
    assert [m.subject for m in state.mails] == ["Paiement de l'acompte de votre commande", "Premier"]
    assert state.mails[0].to == "patrick.pons@example.org"

    drive(MailboxState.open_mail.fn(state, state.mails[0].id))
    assert state.selected_subject == "Paiement de l'acompte de votre commande"
    assert state.selected_html.startswith('<base target="_top">')
    assert '<a href="http://x/pay/t">Payer</a>' in state.selected_html
    assert "allow-scripts" not in IFRAME_SANDBOX and "allow-same-origin" not in IFRAME_SANDBOX


def test_mailbox_is_closed_outside_demo_mode(smtp_sink, demo_users, monkeypatch):
    send(smtp_sink.port, "Secret", "<p>lien de paiement</p>")
    state = mailbox_state(token_for("admin@openflex.demo"))
    monkeypatch.setenv("EPAY_DEMO", "false")
    get_settings.cache_clear()

    assert drive(MailboxState.load_mailbox.fn(state)) is not None  # a redirect
    assert state.mails == []
    mail_id = sorted(p.stem for p in smtp_sink.files())[0]
    assert drive(MailboxState.open_mail.fn(state, mail_id)) is not None
    assert state.selected_html == ""


@pytest.mark.parametrize(
    "email", ["", "vendeur@openflex.demo", "directeur@openflex.demo"], ids=["anonymous", "seller", "director"]
)
def test_mailbox_is_refused_without_an_administrator_login_even_in_demo_mode(smtp_sink, demo_users, email, caplog):
    # Finding: /demo/mails listed every mail (and its working payment link) to any visitor.
    send(smtp_sink.port, "Paiement de l'acompte", '<a href="http://x/pay/secret-token">Payer</a>')
    state = mailbox_state(token_for(email) if email else "")
    mail_id = sorted(p.stem for p in smtp_sink.files())[0]

    with caplog.at_level(logging.WARNING, logger="epay_app.state"):
        assert drive(MailboxState.load_mailbox.fn(state)) is not None  # a redirect or a refusal toast
        assert drive(MailboxState.open_mail.fn(state, mail_id)) is not None
    assert state.mails == []
    assert state.selected_html == "" and "secret-token" not in repr(state.dict())
    assert "MailboxState.load_mailbox" in caplog.text and "MailboxState.open_mail" in caplog.text


@pytest.mark.parametrize("mail_id", ["x\n", "../../etc/passwd", "a\x00b", "٣٤", "a" * 300, 12])
def test_malformed_mail_ids_are_a_french_message(smtp_sink, demo_users, mail_id):
    state = mailbox_state(token_for("admin@openflex.demo"))
    answer = drive(MailboxState.open_mail.fn(state, mail_id))
    assert answer is not None and state.selected_html == ""
