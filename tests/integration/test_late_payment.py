"""A customer who pays after the order was cancelled: the payment is kept as authorised by the
PSP, then immediately "À rembourser" (F-26), with both changes in the audit trail."""

import httpx
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.models import EPaymentEvent, SalesOrder

from .test_sips_callbacks import _signed_response


def test_payment_on_a_cancelled_order_becomes_to_refund(api_server, make_payment, db):
    payment = make_payment()
    with session_scope() as s:
        order = s.get(SalesOrder, payment.order_id)
        order.status = "cancelled"
        s.add(order)
    answer = httpx.post(f"{api_server}/api/psp/sips/notify", data=_signed_response(payment), timeout=10)
    assert answer.status_code == 200
    db.rollback()
    events = db.exec(
        select(EPaymentEvent).where(EPaymentEvent.payment_id == payment.id).order_by(EPaymentEvent.id)
    ).all()
    assert [e.to_status for e in events][-2:] == ["autorise", "a_rembourser"]
    assert events[-1].source == "system"


def test_payment_on_a_live_order_stays_authorised(api_server, make_payment, db):
    payment = make_payment()
    answer = httpx.post(f"{api_server}/api/psp/sips/notify", data=_signed_response(payment), timeout=10)
    assert answer.status_code == 200
    db.rollback()
    statuses = [e.to_status for e in db.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == payment.id))]
    assert statuses[-1] == "autorise"
