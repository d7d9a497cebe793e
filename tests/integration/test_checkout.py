"""Passing offer 26837 with its deposit: every rule refused on the server with its French
message and nothing written; the card deposit paid online; resend, new attempt, cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from epay_app.db import session_scope
from epay_app.domain.errors import DomainError, ValidationError
from epay_app.domain.statuses import PaymentStatus as S
from epay_app.models import (
    Customer,
    Entity,
    EPayment,
    EPaymentEvent,
    OutboxMail,
    PointOfSale,
    PspConfig,
    SalesOrder,
    User,
)
from epay_app.pages.rows import PaymentAttempt
from epay_app.pages.sale_views import opportunity_fields, present_offer, present_order
from epay_app.services.access.scope import OfferNotFound
from epay_app.services.payment import paylinks
from epay_app.services.payment.payments import change_status, lock_payment
from epay_app.services.sales import checkout, documents, orders
from epay_app.services.sales.checkout import CheckoutForm

NOW = datetime(2024, 12, 16, 15, 32, tzinfo=UTC)  # 16/12/2024 à 16h32, Paris
CARD_500 = CheckoutForm(
    balance_method="Virement",
    deposit_amount="500",
    deposit_method="Carte bancaire",
    delivery_date=date(2024, 12, 24),
    extreme_delivery_date=date(2027, 5, 11),
)
REFERENCE = "00045_000061_20000026837_1"


def offer_view(session, number, user):
    """The offer page's view, as its presenter makes it from the use case's facts."""
    return present_offer(checkout.load_offer_facts(session, number, user))


def order_view(session, number, user):
    return present_order(orders.load_order_facts(session, number, user))


def opportunity_rows(session, user):
    return [opportunity_fields(line) for line in orders.opportunity_lines(session, user)]


@pytest.fixture
def db(seeded_db_url):
    """A fresh seeded database per test: SQLite, and PostgreSQL when EPAY_TEST_PG_URL is set."""
    return seeded_db_url


def user(s, email="vendeur@openflex.demo") -> User:
    return s.exec(select(User).where(User.email == email)).one()


def counts(url) -> tuple[int, int, int, int]:
    with session_scope(url, write=False) as s:
        return tuple(
            s.exec(select(func.count()).select_from(t)).one() for t in (SalesOrder, EPayment, EPaymentEvent, OutboxMail)
        )


def validate(url, form=CARD_500, email="vendeur@openflex.demo", now=NOW):
    with session_scope(url) as s:
        result = checkout.validate_order(s, offer_number=26837, form=form, user=user(s, email), now=now)
        return result.order.number, result.payment.id if result.payment else None


def refused(url, form, field, message):
    before = counts(url)
    with pytest.raises(ValidationError) as err:
        validate(url, form)
    assert err.value.errors[field] == message
    assert counts(url) == before


CASH = checkout.CASH_LIMIT_MESSAGE


@pytest.mark.parametrize(
    "changes,field,message",
    [
        (dict(deposit_amount=""), "deposit_amount", "Le montant de l'acompte est obligatoire."),
        (dict(deposit_amount="abc"), "deposit_amount", "Le montant doit être un nombre (ex. 500,00)."),
        (dict(deposit_amount="0"), "deposit_amount", "Le montant de l'acompte doit être supérieur à 0 €."),
        (
            dict(deposit_amount="24 900,01"),
            "deposit_amount",
            "Le montant de l'acompte ne peut pas dépasser le prix de vente (24 900,00 €).",
        ),
        (dict(deposit_method=""), "deposit_method", "Le moyen de paiement de l'acompte est obligatoire."),
        (dict(deposit_method="Espèces", deposit_amount="1000,01"), "deposit_method", CASH),
        (dict(balance_method="Espèces"), "balance_method", CASH),
        (dict(balance_method=""), "balance_method", "Choisissez le moyen de paiement du solde."),
        (dict(delivery_date=None), "delivery_date", "La date de livraison est obligatoire."),
        (
            dict(delivery_date=date(2024, 12, 1)),
            "delivery_date",
            "La date de livraison ne peut pas être dans le passé.",
        ),
        (
            dict(extreme_delivery_date=date(2024, 12, 20)),
            "extreme_delivery_date",
            "La date de livraison extrême ne peut pas précéder la date de livraison.",
        ),
    ],
)
def test_each_rule_is_refused_with_its_message_and_nothing_is_written(db, changes, field, message):
    refused(db, replace(CARD_500, **changes), field, message)


def test_cash_deposit_up_to_1000_is_accepted_without_e_payment(db):
    number, payment_id = validate(db, replace(CARD_500, deposit_method="Espèces", deposit_amount="1 000,00"))
    assert (number, payment_id) == (26837, None)
    assert counts(db)[1:] == (6, 12, 0)  # only the demo's payments and events


@pytest.mark.parametrize(
    "field,blank,message",
    [
        ("civility", "", "La civilité du client est obligatoire pour le e-paiement."),
        ("last_name", "", "Le nom du client est obligatoire pour le e-paiement."),
        ("first_name", " ", "Le prénom du client est obligatoire pour le e-paiement."),
        ("email", "", "L'adresse e-mail du client est obligatoire pour le e-paiement."),
        ("email", "patrick.pons", "L'adresse e-mail du client n'est pas valide."),
    ],
)
def test_e_payment_needs_the_customer_identity_f04(db, field, blank, message):
    with session_scope(db) as s:
        pons = s.exec(select(Customer).where(Customer.last_name == "PONS")).one()
        setattr(pons, field, blank)
        s.add(pons)
    refused(db, CARD_500, f"customer_{field}", message)
    # Without e-payment (the customer declines it) the same customer is fine.
    assert validate(db, replace(CARD_500, decline_online=True))[1] is None


def test_card_deposit_creates_order_payment_event_and_one_mail_in_one_transaction(db):
    before = counts(db)
    _number, payment_id = validate(db)
    assert counts(db) == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1)
    with session_scope(db, write=False) as s:
        order = s.exec(select(SalesOrder).where(SalesOrder.number == 26837)).one()
        seller = user(s)
        assert (
            order.status,
            order.validated_by_id,
            order.deposit_amount_cents,
            order.deposit_method,
            order.deposit_online,
            order.balance_method,
        ) == ("placed", seller.id, 50_000, "Carte bancaire", True, "Virement")
        assert order.delivery_date == date(2024, 12, 24) and order.extreme_delivery_date == date(2027, 5, 11)
        pay = s.get(EPayment, payment_id)
        assert (pay.reference, pay.psp_reference, pay.status, pay.amount_cents, pay.attempt) == (
            REFERENCE,
            REFERENCE.replace("_", ""),
            S.ENVOYE.value,
            50_000,
            1,
        )
        assert pay.order_id == order.id and pay.seller_id == seller.id
        assert pay.link_expires_at is not None and pay.sent_at is not None
        event = s.exec(select(EPaymentEvent).where(EPaymentEvent.payment_id == pay.id)).one()
        assert (event.from_status, event.to_status, event.source, event.actor) == (
            None,
            "envoye",
            "user",
            "Thomas MARTIN",
        )
        mail = s.exec(select(OutboxMail).where(OutboxMail.payment_id == pay.id)).one()
        assert mail.to_address == "patrick.pons@example.com" and mail.dedupe_key == f"request:{pay.id}:0"
        assert REFERENCE in mail.body_text


def test_a_failing_mail_rolls_back_the_order_and_the_payment(db, monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(checkout, "queue_payment_request", broken)
    before = counts(db)
    with pytest.raises(RuntimeError):
        validate(db)
    assert counts(db) == before


def test_opt_out_checkbox_creates_no_payment(db):
    before = counts(db)
    number, payment_id = validate(db, replace(CARD_500, decline_online=True))
    assert payment_id is None and counts(db) == (before[0] + 1, *before[1:])
    with session_scope(db, write=False) as s:
        assert s.exec(select(SalesOrder).where(SalesOrder.number == number)).one().deposit_online is False


def test_no_e_payment_without_option_or_psp_configuration(db):
    with session_scope(db) as s:
        s.delete(s.exec(select(PspConfig).join(PointOfSale).where(PointOfSale.number == 61)).one())
    with session_scope(db, write=False) as s:
        view = offer_view(s, 26837, user(s))
        assert (view.epay_option, view.epay_available, view.epay_reason) == (
            True,
            False,
            "Le e-paiement n'est pas configuré pour ce point de vente.",
        )
    assert validate(db)[1] is None
    with session_scope(db, write=False) as s:
        assert checkout.epay_availability(
            s, s.exec(select(PointOfSale).where(PointOfSale.number == 61)).one().id
        ) == checkout.EpayAvailability(option=True, configured=False)
        ent = s.exec(select(Entity).where(Entity.number == 45)).one()
    with session_scope(db) as s:
        ent = s.get(Entity, ent.id)
        ent.epay_option = False
        s.add(ent)
    with session_scope(db, write=False) as s:
        assert offer_view(s, 26837, user(s)).epay_reason == ""


def test_second_submit_is_refused_and_points_to_the_order(db):
    validate(db)
    before = counts(db)
    with pytest.raises(checkout.OrderAlreadyExists) as err:
        validate(db)
    assert err.value.order_number == 26837
    assert counts(db) == before


def test_secretary_and_other_entities_cannot_pass_the_order(db):
    with pytest.raises(DomainError, match="Accès refusé"):
        validate(db, email="secretaire@openflex.demo")
    with pytest.raises(OfferNotFound):
        validate(db, email="audrey.villien@openflex.demo")
    assert counts(db)[0] == 5


def _set_status(url, payment_id, *path):
    with session_scope(url) as s:
        pay = lock_payment(s, payment_id)
        for status in path:
            change_status(s, pay, status, source="psp:notify", psp_code="05")


def test_new_attempt_after_refusal_gives_suffix_2_and_leaves_the_first_untouched(db):
    _, first = validate(db)
    with session_scope(db) as s, pytest.raises(DomainError, match="qu'après un paiement annulé"):
        checkout.new_attempt(s, order_number=26837, user=user(s), now=NOW)
    _set_status(db, first, S.REJETE)
    with session_scope(db) as s:
        second = checkout.new_attempt(s, order_number=26837, user=user(s), now=NOW + timedelta(minutes=5))
        assert second.reference == "00045_000061_20000026837_2"
        second_id = second.id
    with session_scope(db, write=False) as s:
        old = s.get(EPayment, first)
        assert (old.status, old.reference) == (S.REJETE.value, REFERENCE)
        assert s.get(EPayment, second_id).status == S.ENVOYE.value
        assert s.exec(select(func.count()).select_from(OutboxMail).where(OutboxMail.payment_id == second_id)).one() == 1
        view = order_view(s, 26837, user(s))
        assert [a.state for a in view.attempts] == ["Refusé", "En attente"]
        assert (view.payment_badge, view.can_resend, view.can_retry) == ("e-Paiement en attente", True, False)
        # The history speaks the table's words, and names people, not sources or merchant ids.
        events = [(e.reference, e.what, e.who) for e in view.timeline if "e-mail" not in e.who]
        assert sorted(events) == [
            (REFERENCE, "Créé : En attente", "Thomas MARTIN"),
            (REFERENCE, "En attente → Refusé", "Worldline — paiement refusé (code 05)"),
            ("00045_000061_20000026837_2", "Créé : En attente", "Thomas MARTIN"),
        ]
    # A double click on "Effectuer un nouveau paiement" creates no third attempt.
    with session_scope(db) as s, pytest.raises(DomainError):
        checkout.new_attempt(s, order_number=26837, user=user(s), now=NOW)


def test_resend_queues_a_new_mail_with_the_same_link_and_is_throttled(db):
    _, pid = validate(db)
    with session_scope(db) as s:
        mail = checkout.resend_link(s, order_number=26837, user=user(s), now=NOW + timedelta(minutes=1))
        assert mail.dedupe_key == f"request:{pid}:1"
    with session_scope(db) as s, pytest.raises(checkout.ResendTooSoon):
        checkout.resend_link(s, order_number=26837, user=user(s), now=NOW + timedelta(minutes=1, seconds=10))
    with session_scope(db) as s:
        checkout.resend_link(s, order_number=26837, user=user(s), now=NOW + timedelta(minutes=2))
    with session_scope(db, write=False) as s:
        mails = s.exec(select(OutboxMail).where(OutboxMail.payment_id == pid).order_by(OutboxMail.id)).all()
        assert [m.dedupe_key for m in mails] == [f"request:{pid}:{n}" for n in range(3)]
        links = {line for m in mails for line in m.body_text.splitlines() if "/pay/" in line}
        assert len(links) == 1  # the same link every time


def test_cancelling_the_order_moves_an_authorised_payment_to_refund(db):
    _, pid = validate(db)
    _set_status(db, pid, S.AUTORISE)
    with session_scope(db) as s:
        orders.cancel_order(s, order_number=26837, user=user(s))
    with session_scope(db, write=False) as s:
        order = s.exec(select(SalesOrder).where(SalesOrder.number == 26837)).one()
        assert order.status == "cancelled" and order.cancelled_at is not None
        pay = s.get(EPayment, pid)
        assert pay.status == S.A_REMBOURSER.value and pay.refund_requested_at is not None
        last = s.exec(
            select(EPaymentEvent).where(EPaymentEvent.payment_id == pid).order_by(EPaymentEvent.id.desc())
        ).first()
        assert (last.from_status, last.to_status, last.actor) == ("autorise", "a_rembourser", "Thomas MARTIN")
        view = order_view(s, 26837, user(s))
        assert (view.payment_badge, view.can_resend, view.can_retry) == ("e-Paiement à rembourser", False, False)


def test_order_view_has_the_guide_lines(db):
    validate(db)
    with session_scope(db, write=False) as s:
        view = order_view(s, 26837, user(s))
    assert view.banner == (
        "La commande 26837 pour le véhicule CEED 1.4 T-GDI 140 ch ISG DCT7 Edition #1 - "
        "DF231LM a été validée par Thomas MARTIN"
    )
    assert view.validated_line == "La commande a été validée le 16/12/2024 à 16h32 par Thomas MARTIN."
    assert view.delivery_line == (
        "Le véhicule sera livré le 24/12/2024 dans le point de vente Point de vente 1 (Vincent S.)."
    )
    assert view.extreme_line == "La date de livraison extrême est le 11/05/2027."
    assert view.recap["sale_price_ttc"] == "24 900,00 €" and view.recap["advantages_ttc"] == "- 100,00 €"
    assert view.vehicle["price"] == "25 000,00 € TTC" and view.vehicle["power"] == "7 CV / 140 ch"
    assert view.deposit["epay_amount"] == "500,00 €"
    (attempt,) = view.attempts
    assert attempt == PaymentAttempt(
        reference=REFERENCE,
        amount="500,00 €",
        created="16/12/2024",
        state="En attente",
        status="envoye",
        id=attempt.id,
        receipt="",  # no receipt before the payment
        refund_notice="",
    )
    assert view.timeline[0].what == "Créé : En attente"


def test_version_changes_when_a_callback_changes_the_status(db):
    _, pid = validate(db)
    with session_scope(db, write=False) as s:
        order_id = s.exec(select(SalesOrder.id).where(SalesOrder.number == 26837)).one()
        before = orders.payments_version(s, order_id)
    _set_status(db, pid, S.AUTORISE)
    with session_scope(db, write=False) as s:
        assert orders.payments_version(s, order_id) != before


def test_order_pdf_is_a_pdf(db):
    validate(db)
    with session_scope(db, write=False) as s:
        pdf = documents.order_form_pdf(s, 26837, user(s))
    assert pdf.filename == "bon-de-commande-26837.pdf" and pdf.content.startswith(b"%PDF") and len(pdf.content) > 1000


def test_opportunity_list_is_scoped_to_the_entity(db):
    validate(db)
    with session_scope(db, write=False) as s:
        rows = opportunity_rows(s, user(s))
        other = opportunity_rows(s, user(s, "audrey.villien@openflex.demo"))
    assert [(r["offer"], r["order"], r["badge"], r["customer"]) for r in rows] == [
        ("26837", "26837", "e-Paiement en attente", "M. Patrick PONS")
    ]
    assert all(r["offer"] != "26837" for r in other) and other


def test_customer_can_be_fixed_from_the_offer(db):
    with session_scope(db) as s:
        with pytest.raises(ValidationError) as err:
            checkout.update_customer(
                s,
                offer_number=26837,
                user=user(s),
                values={"civility": "", "last_name": "PONS", "first_name": "Patrick", "email": "x"},
            )
        assert err.value.errors == {
            "civility": "La civilité du client est obligatoire.",
            "email": "L'adresse e-mail du client n'est pas valide.",
        }
    with session_scope(db) as s:
        checkout.update_customer(
            s,
            offer_number=26837,
            user=user(s),
            values={"civility": "Mme.", "last_name": "PONS", "first_name": "Patricia", "email": "p.pons@example.com"},
        )
    with session_scope(db, write=False) as s:
        assert offer_view(s, 26837, user(s)).customer["label"] == "Mme. Patricia PONS"


def test_the_mail_carries_the_signed_payment_link_of_the_attempt(db):
    _, pid = validate(db)
    with session_scope(db, write=False) as s:
        mail = s.exec(select(OutboxMail).where(OutboxMail.payment_id == pid)).one()
        link = next(word for word in mail.body_text.split() if "/pay/" in word)
        token = link.rsplit("/pay/", 1)[1]
        assert paylinks.payment_for_token(s, token, now=NOW + timedelta(hours=1)).id == pid


def test_resend_after_expiry_sends_a_fresh_link(db):
    _, pid = validate(db)
    later = NOW + timedelta(days=30)
    with session_scope(db) as s:
        checkout.resend_link(s, order_number=26837, user=user(s), now=later)
    with session_scope(db, write=False) as s:
        pay = s.get(EPayment, pid)
        assert pay.link_expires_at.replace(tzinfo=UTC) > later
        mails = s.exec(select(OutboxMail).where(OutboxMail.payment_id == pid).order_by(OutboxMail.id)).all()
        old, new = (m.body_text.split("/pay/")[1].split()[0] for m in mails)
        assert old != new
        assert paylinks.payment_for_token(s, new, now=later + timedelta(hours=1)).id == pid
        with pytest.raises(paylinks.LinkExpired):
            paylinks.payment_for_token(s, old, now=later)


def test_the_modal_offers_the_receipt_once_paid_and_the_refund_notice_once_refunded(db):
    _, pid = validate(db)
    _set_status(db, pid, S.AUTORISE)
    with session_scope(db, write=False) as s:
        view = order_view(s, 26837, user(s))
    assert [(a.receipt, a.refund_notice) for a in view.attempts] == [("1", "")]
    with session_scope(db) as s:
        payment = lock_payment(s, pid)
        change_status(s, payment, S.A_REMBOURSER, source="user")
        change_status(s, payment, S.REMBOURSE, source="psp:office")
    with session_scope(db, write=False) as s:
        view = order_view(s, 26837, user(s))
        receipt = documents.payment_document_pdf(s, pid, documents.RECEIPT, user(s))
        notice = documents.payment_document_pdf(s, pid, documents.REFUND_NOTICE, user(s))
    assert [(a.receipt, a.refund_notice) for a in view.attempts] == [("1", "1")]
    assert receipt.filename == f"recu-acompte-{REFERENCE}.pdf" and receipt.content.startswith(b"%PDF")
    assert notice.filename == f"avis-remboursement-{REFERENCE}.pdf" and notice.content.startswith(b"%PDF")
