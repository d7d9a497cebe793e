"""Ask Sips where a Sips payment stands (getTransactionData): for reconciliation (F-61). Direct
payments are asked through services.payment.direct_payments."""

from __future__ import annotations

import asyncio

from sqlmodel import Session

from ...config import Settings
from ...models import EPayment
from ...psp.interface import (
    MerchantCredentials,
    PspProtocol,
    SipsProtocol,
    TransactionState,
    get_sips_gateway,
)
from ..admin.psp_accounts import credentials_for_pos
from .payments import PaymentNotFound


async def query_payment_status(
    session: Session, payment_id: int, *, gateway: SipsProtocol | None = None, settings: Settings | None = None
) -> TransactionState:
    """Read-only: the caller decides what to do with the answer. Ends the session's
    transaction before the network call so no database lock is held while waiting. The database
    work runs in a worker thread: the event loop only waits."""

    def read() -> tuple[MerchantCredentials, str]:
        payment = session.get(EPayment, payment_id)
        if payment is None:
            raise PaymentNotFound(f"e-Paiement introuvable (id {payment_id})")
        # The Sips credentials, even when the point of sale has moved to Direct since.
        creds = credentials_for_pos(session, payment.pos_id, settings, protocol=PspProtocol.SIPS2)
        reference = payment.psp_reference
        session.commit()
        return creds, reference

    creds, reference = await asyncio.to_thread(read)
    gateway = gateway or get_sips_gateway(settings)
    return await gateway.get_transaction(creds, reference)
