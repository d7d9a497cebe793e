"""Which e-mail each payment event sends. Bodies come from emails/templates."""
from __future__ import annotations

from sqlmodel import Session

from ..models import Customer, EPayment, OutboxMail
from . import outbox


def queue_payment_request(session: Session, payment: EPayment, pay_url: str, *, resend: int = 0) -> OutboxMail:
    """PAIEMENT DE L'ACOMPTE, with the "Payer l'acompte en ligne" link. `resend` > 0 for
    "Renvoyer le lien" (each resend is its own mail)."""
    customer = session.get(Customer, payment.customer_id)
    text = (
        f"PAIEMENT DE L'ACOMPTE\n\nBonjour {customer.civility} {customer.first_name} {customer.last_name},\n"
        f"Paiement en ligne n° {payment.reference}\nPayer l'acompte en ligne : {pay_url}\n"
    )
    return outbox.enqueue(
        session, dedupe_key=f"request:{payment.id}:{resend}", kind="payment_request",
        to_address=customer.email, subject="Paiement de l'acompte de votre commande",
        body_text=text, body_html=f"<pre>{text}</pre>", payment_id=payment.id,
    )


def queue_payment_confirmation(session: Session, payment: EPayment) -> OutboxMail:
    """CONFIRMATION DE PAIEMENT DE L'ACOMPTE: exactly one per payment (dedupe key)."""
    customer = session.get(Customer, payment.customer_id)
    text = (
        f"CONFIRMATION DE PAIEMENT DE L'ACOMPTE\n\nBonjour {customer.civility} {customer.first_name} "
        f"{customer.last_name},\nVotre paiement en ligne n° {payment.reference} a bien été accepté.\n"
    )
    return outbox.enqueue(
        session, dedupe_key=f"confirmation:{payment.id}", kind="payment_confirmation",
        to_address=customer.email, subject="Confirmation de paiement de l'acompte",
        body_text=text, body_html=f"<pre>{text}</pre>", payment_id=payment.id,
    )
