"""The outbox sender's pure parts: backoff and the message it builds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from epay_app.config import Settings
from epay_app.services.mail.mail_sender import Claim, SenderPolicy, build_message, message_id

CREATED = datetime(2024, 12, 16, 15, 32, 7, tzinfo=UTC)


def test_backoff_doubles_then_caps():
    policy = SenderPolicy(backoff_base_seconds=30, backoff_cap_seconds=300)
    assert [policy.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5, 9)] == [30, 60, 120, 240, 300, 300]


def test_message_id_is_stable_and_derived_from_the_outbox_row():
    first = message_id(42, CREATED, "OpenFlex <no-reply@openflex.local>")
    assert first == "<outbox-42.20241216153207@openflex.local>"
    assert message_id(42, CREATED.replace(tzinfo=None), "OpenFlex <no-reply@openflex.local>") == first
    assert message_id(43, CREATED, "no-reply@openflex.local") != first


def test_message_has_text_and_html_alternatives_and_the_outbox_headers():
    claim = Claim(
        7,
        "patrick.pons@example.org",
        "Paiement de l'acompte de votre commande",
        "Bonjour M. Patrick PONS,",
        "<p>Bonjour M. Patrick PONS,</p>",
        CREATED,
        CREATED + timedelta(minutes=10),
    )
    msg = build_message(claim, Settings(mail_from="OpenFlex <no-reply@openflex.local>"))
    assert msg["Message-ID"] == "<outbox-7.20241216153207@openflex.local>"
    assert msg["X-Epay-Outbox-Id"] == "7"
    assert msg["Subject"] == "Paiement de l'acompte de votre commande"
    assert msg.get_body(("plain",)).get_content().strip() == "Bonjour M. Patrick PONS,"
    assert msg.get_body(("html",)).get_content().strip() == "<p>Bonjour M. Patrick PONS,</p>"
