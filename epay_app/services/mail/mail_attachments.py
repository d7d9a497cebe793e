"""What a queued mail carries besides its text, rebuilt from the payment when it is sent.

The outbox row keeps only the mail's kind and payment: the PDF is generated at send time, so a
mail sent again (a retry, a lease taken over) carries the same document, once, and no PDF is
stored in the database next to the payment it describes."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from ...models import EPayment
from ..sales import documents
from ..sales.documents import PdfFile

NOTICE_KINDS: dict[str, Callable[[Session, EPayment], PdfFile]] = {
    "payment_confirmation": documents.receipt_for_payment,
    "refund_notice": documents.refund_notice_for_payment,
}


class AttachmentMissing(Exception):
    """The mail's document cannot be built (its payment is gone): the mail waits and retries."""


def attachments_for(session: Session, kind: str, payment_id: int | None) -> list[PdfFile]:
    build = NOTICE_KINDS.get(kind)
    if build is None or payment_id is None:
        return []
    payment = session.get(EPayment, payment_id)
    if payment is None:
        raise AttachmentMissing(f"e-Paiement {payment_id} introuvable pour la pièce jointe")
    return [build(session, payment)]
