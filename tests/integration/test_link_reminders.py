"""F-60: the reminder e-mail before a payment link expires, and "Renvoyer le lien" on an expired link."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import as_utc, utcnow
from epay_app.domain.roles import GroupType
from epay_app.domain.statuses import PaymentStatus
from epay_app.models import EPayment, OutboxMail
from epay_app.services.dashboards import tracking
from epay_app.services.payment.paylinks import LinkExpired, pay_url, payment_for_token
from epay_app.services.payment.payments import change_status, lock_payment
from epay_app.services.payment.reminders import queue_link_reminders


def _reminders(db, payment_id) -> list[OutboxMail]:
    db.rollback()
    return db.exec(
        select(OutboxMail).where(OutboxMail.payment_id == payment_id, OutboxMail.kind == "payment_reminder")
    ).all()


def _run(now=None):
    return queue_link_reminders(session_scope, now or utcnow())


def _aged(payment_id: int, hours: float) -> None:
    """The link was sent `hours` ago (its request mail too)."""
    with session_scope() as s:
        payment = s.get(EPayment, payment_id)
        payment.created_at = utcnow() - timedelta(hours=hours)
        s.add(payment)


def test_reminder_is_queued_once_a_day_before_expiry(make_payment, db):
    payment = make_payment(link_hours=20)  # sent 52 h ago with a 72 h link
    _aged(payment.id, 52)
    assert payment.reference in _run()
    assert _run() == [] and _run(utcnow() + timedelta(hours=5)) == []
    [mail] = _reminders(db, payment.id)
    assert mail.subject == "Rappel : paiement de l'acompte"
    assert mail.to_address == "client@test.local"
    db.rollback()
    stored = db.get(EPayment, payment.id)
    assert pay_url(stored) in mail.body_text  # the same, still valid link
    assert "RAPPEL : PAIEMENT DE L'ACOMPTE" in mail.body_text


def test_no_reminder_while_the_link_has_more_than_a_day_left(make_payment, db):
    payment = make_payment(link_hours=30)
    _aged(payment.id, 42)
    assert payment.reference not in _run()
    assert _reminders(db, payment.id) == []


@pytest.mark.parametrize("status", [PaymentStatus.AUTORISE, PaymentStatus.ANNULE, PaymentStatus.REJETE])
def test_no_reminder_for_a_paid_or_cancelled_payment(make_payment, db, status):
    payment = make_payment(link_hours=10)
    _aged(payment.id, 62)
    with session_scope() as s:
        change_status(s, lock_payment(s, payment.id), status, source="test")
    _run()
    assert _reminders(db, payment.id) == []


def test_no_reminder_after_expiry(make_payment, db):
    payment = make_payment(link_hours=-1)
    _aged(payment.id, 73)
    _run()
    assert _reminders(db, payment.id) == []


def test_no_reminder_right_after_a_link_sent_inside_the_window(make_payment, db):
    payment = make_payment(link_hours=10)  # a short link, just sent: the request mail is enough
    assert payment.reference not in _run()
    assert _reminders(db, payment.id) == []


def test_reminders_off_when_hours_is_zero(make_payment, db, epay_env):
    payment = make_payment(link_hours=20)
    _aged(payment.id, 52)
    from epay_app.config import get_settings

    assert (
        queue_link_reminders(
            session_scope, utcnow(), settings=get_settings().model_copy(update={"link_reminder_hours": 0})
        )
        == []
    )
    assert _reminders(db, payment.id) == []


def test_resend_from_the_list_gives_an_expired_link_a_fresh_lifetime(api_server, make_payment, db, demo_point_of_sale):
    payment = make_payment(link_hours=-2)
    with session_scope(write=False) as s:
        old_token = pay_url(s.get(EPayment, payment.id)).rsplit("/", 1)[1]
        with pytest.raises(LinkExpired):
            payment_for_token(s, old_token)
    assert httpx.get(f"{api_server}/pay/{old_token}").status_code == 410
    viewer = tracking.Viewer(
        user_id=demo_point_of_sale["seller_id"],
        group=GroupType.VENDEUR,
        entity_id=demo_point_of_sale["entity_id"],
        pos_id=demo_point_of_sale["pos_id"],
    )
    with session_scope() as s:
        tracking.resend_link(s, viewer, payment.id)
    db.rollback()
    stored = db.get(EPayment, payment.id)
    assert as_utc(stored.link_expires_at) > utcnow() + timedelta(hours=71)
    mail = db.exec(
        select(OutboxMail).where(OutboxMail.payment_id == payment.id, OutboxMail.kind == "payment_request")
    ).all()[-1]
    new_link = pay_url(stored)
    assert new_link in mail.body_text and old_token not in mail.body_text
    assert httpx.get(new_link).status_code == 200  # on its way to the hosted page


def test_expired_link_page_is_clear(api_server, make_payment):
    payment = make_payment(link_hours=-1)
    page = httpx.get(pay_url(payment))
    assert page.status_code == 410
    assert "Lien de paiement expiré" in page.text
    assert "Contactez votre conseiller pour recevoir un nouveau lien." in page.text
