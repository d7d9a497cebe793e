"""The guarded transition: every change appends an event; same state is a no-op; illegal refused."""

import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.errors import IllegalTransition
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import EPayment, EPaymentEvent
from epay_app.services.payment.payments import change_status, lock_payment


@pytest.fixture
def payment_id(seeded_db_url):
    with session_scope(seeded_db_url) as s:
        pay = s.exec(select(EPayment).where(EPayment.status == S.ENVOYE.value)).first()
        return seeded_db_url, pay.id


def _events(s, pid):
    return s.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == pid).order_by(EPaymentEvent.id)).all()


def test_change_appends_one_event_and_sets_the_status_date(payment_id):
    url, pid = payment_id
    with session_scope(url) as s:
        before = len(_events(s, pid))
        pay = lock_payment(s, pid)
        assert change_status(s, pay, S.AUTORISE, source="psp:notify", psp_code="00") is True
    with session_scope(url) as s:
        pay = s.get(EPayment, pid)
        assert pay.status == S.AUTORISE.value and pay.authorised_at is not None
        events = _events(s, pid)
        assert len(events) == before + 1
        assert (events[-1].from_status, events[-1].to_status, events[-1].psp_code) == ("envoye", "autorise", "00")


def test_same_state_is_a_no_op_without_event(payment_id):
    url, pid = payment_id
    with session_scope(url) as s:
        before = len(_events(s, pid))
        assert change_status(s, lock_payment(s, pid), S.ENVOYE, source="test") is False
    with session_scope(url) as s:
        assert len(_events(s, pid)) == before


def test_illegal_move_is_refused_and_changes_nothing(payment_id, caplog):
    url, pid = payment_id
    with pytest.raises(IllegalTransition), session_scope(url) as s:
        change_status(s, lock_payment(s, pid), S.REMBOURSE, source="test")
    assert "refused transition envoye -> rembourse" in caplog.text
    with session_scope(url) as s:
        assert s.get(EPayment, pid).status == S.ENVOYE.value
