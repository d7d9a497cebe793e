"""Payment e-mails built from the database rows, queued, sent and read back from the sink."""

from __future__ import annotations

import os
import re
import smtplib
import subprocess
import sys
import time
from datetime import UTC, datetime

from sqlmodel import select

from epay_app.config import ROOT
from epay_app.db import session_scope
from epay_app.models import (
    Customer,
    DealerGroup,
    Entity,
    EPayment,
    Offer,
    Opportunity,
    OutboxMail,
    PointOfSale,
    SalesOrder,
    User,
    Vehicle,
)
from epay_app.services.mail import mailbox, notifications
from epay_app.services.mail.mail_sender import send_due_mails

from .conftest import free_tcp_port

PAY_URL = "http://localhost:3000/pay/abc.def"


def seed_payment(session, kind: str = "deposit", customer_name: str = "Pons") -> EPayment:
    group = DealerGroup(name="Groupe Vincent S.")
    session.add(group)
    session.flush()
    entity = Entity(group_id=group.id, number=45, name="bee2link PP Vincent S.", epay_option=True)
    session.add(entity)
    session.flush()
    pos = PointOfSale(
        entity_id=entity.id,
        number=61,
        name="Point de vente 1 (Vincent S.)",
        address="16 Rue Guepet 71100 Chalons-sur-Saône",
        phone="+33 3 85 00 00 01",
        email="PDV1@GMAIL.COM",
    )
    session.add(pos)
    session.flush()
    seller = User(
        first_name="Administrateur",
        last_name="Administrateur",
        email="admin@pdv1.example",
        password_hash="x",
        group_type="administrateur",
        entity_id=entity.id,
        pos_id=pos.id,
    )
    customer = Customer(
        civility="M.",
        first_name="Patrick",
        last_name=customer_name,
        email="patrick.pons@example.org",
        phone="06 00 00 00 00",
    )
    vehicle = Vehicle(
        pos_id=pos.id, make="KIA", model="CEED", version="1.4 T-GDI 140 ch ISG DCT7 Edition #1", plate="AB-123-CD"
    )
    session.add_all([seller, customer, vehicle])
    session.flush()
    opportunity = Opportunity(number=1234, customer_id=customer.id, seller_id=seller.id, pos_id=pos.id)
    session.add(opportunity)
    session.flush()
    offer = Offer(number=26837, opportunity_id=opportunity.id, vehicle_id=vehicle.id)
    session.add(offer)
    session.flush()
    order = SalesOrder(number=26837, offer_id=offer.id, pos_id=pos.id)
    session.add(order)
    session.flush()
    reference = "00045_000061_20000026837_1" if kind == "deposit" else "00045_000061_10000001234_1"
    payment = EPayment(
        reference=reference,
        psp_reference=reference.replace("_", ""),
        kind=kind,
        amount_cents=50_000,
        order_id=order.id if kind == "deposit" else None,
        opportunity_id=opportunity.id,
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        seller_id=seller.id,
        pos_id=pos.id,
        entity_id=entity.id,
        link_expires_at=datetime(2024, 12, 18, 15, 32, tzinfo=UTC),
    )
    session.add(payment)
    session.flush()
    return payment


def flat(text: str) -> str:
    return " ".join(text.split())


def test_payment_request_is_built_from_the_payment_rows(mail_db_url):
    with session_scope(mail_db_url) as session:
        payment = seed_payment(session)
        mail = notifications.queue_payment_request(session, payment, PAY_URL)
    assert mail.to_address == "patrick.pons@example.org" and mail.kind == "payment_request"
    text = flat(mail.body_text)
    assert "Bonjour M. Patrick PONS," in text
    assert (
        "Vous venez d'effectuer l'achat de votre nouveau véhicule KIA CEED 1.4 T-GDI 140 ch ISG DCT7 "
        "Edition #1 et nous vous remercions de votre confiance."
    ) in text
    assert "d'un montant de 500,00 € via le paiement en ligne n° 00045_000061_20000026837_1" in text
    assert "Contactez Point de vente 1 (Vincent S.)" in text
    assert "ADMINISTRATEUR Administrateur - +33 3 85 00 00 01 admin@pdv1.example" in text
    assert "16 Rue Guepet 71100 Chalons-sur-Saône" in text
    assert f'href="{PAY_URL}"' in mail.body_html


def test_same_request_twice_queues_one_mail_and_each_resend_its_own(mail_db_url):
    with session_scope(mail_db_url) as session:
        payment = seed_payment(session)
        first = notifications.queue_payment_request(session, payment, PAY_URL)
        again = notifications.queue_payment_request(session, payment, PAY_URL)
        resent = notifications.queue_payment_request(session, payment, PAY_URL, resend=1)
        confirmations = {notifications.queue_payment_confirmation(session, payment).id for _ in range(3)}
        count = len(session.exec(select(OutboxMail)).all())
    assert first.id == again.id != resent.id
    assert len(confirmations) == 1 and count == 3


def test_reservation_mails_go_to_the_customer_and_the_seller(mail_db_url):
    with session_scope(mail_db_url) as session:
        payment = seed_payment(session, kind="reservation")
        request = notifications.queue_reservation_request(session, payment, PAY_URL)
        confirmation = notifications.queue_reservation_confirmation(session, payment)
        staff = notifications.queue_reservation_staff_notification(session, payment)
    assert request.to_address == confirmation.to_address == "patrick.pons@example.org"
    assert staff.to_address == "admin@pdv1.example"
    assert "Sur l'opportunité n°1234" in request.body_text
    assert "réservé jusqu'au 18/12/2024 à 16h32" in request.body_text  # Europe/Paris
    assert staff.subject == "Nouvelle e-réservation – Sur l'opportunité n°1234"
    assert "immatriculation AB-123-CD" in staff.body_text


def test_request_mail_arrives_in_the_demo_mailbox_with_its_link(mail_db_url, smtp_sink):
    with session_scope(mail_db_url) as session:
        payment = seed_payment(session, customer_name="<script>alert(1)</script>")
        notifications.queue_payment_request(session, payment, PAY_URL)
    assert send_due_mails(mail_db_url) == 1

    (summary,) = mailbox.list_mails(smtp_sink.directory)
    assert summary.subject == "Paiement de l'acompte de votre commande"
    assert summary.to == "patrick.pons@example.org"
    mail = mailbox.read_mail(summary.id, smtp_sink.directory)
    assert "PAIEMENT DE L'ACOMPTE" in mail.text and PAY_URL in mail.text
    assert re.search(rf'<a href="{re.escape(PAY_URL)}"[^>]*>Payer l&#39;acompte en ligne</a>', mail.html)
    assert "<script>" not in mail.html and "&lt;SCRIPT&gt;" in mail.html
    assert mailbox.read_mail("../../etc/passwd", smtp_sink.directory) is None


def test_sink_and_sender_commands_deliver_a_queued_mail(mail_db_url, tmp_path):
    port = free_tcp_port()
    sink_dir = tmp_path / "cli_sink"
    env = {**os.environ, "EPAY_SMTP_PORT": str(port), "REFLEX_DB_URL": mail_db_url}
    sink = subprocess.Popen(
        [sys.executable, "-m", "epay_app.emails.sink", "--port", str(port), "--dir", str(sink_dir)], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
                break
            except OSError:
                assert time.monotonic() < deadline, "the sink did not start"
                time.sleep(0.1)
        with session_scope(mail_db_url) as session:
            notifications.queue_payment_request(session, seed_payment(session), PAY_URL)
        sender = subprocess.run(
            [sys.executable, "-m", "epay_app.services.mail.mail_sender", "--once"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sender.returncode == 0, sender.stderr
        assert sender.stdout.strip() == "1"
        assert [m.subject for m in mailbox.list_mails(sink_dir)] == ["Paiement de l'acompte de votre commande"]
        assert (sink_dir / "index.jsonl").read_text().count("\n") == 1
    finally:
        sink.terminate()
        assert sink.wait(timeout=10) == 0
