"""Payment links /pay/<token> (F-60): unforgeable, bound to one payment, with an expiry.

token = "<payment id>.<expiry epoch>.<HMAC-SHA256(secret, id.psp_reference.expiry)>". The secret is
EPAY_LINK_SECRET, or else derived from each master key, so a key rotation keeps old links valid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta

from sqlmodel import Session

from ...config import Settings, get_settings
from ...domain.dates import as_utc, utcnow
from ...domain.errors import DomainError
from ...domain.inputs import ascii_int
from ...domain.statuses import PaymentStatus
from ...models import Customer, EPayment, SipsSession
from ...psp.interface import PaypageForm, PspProtocol, StartRequest, get_gateway
from ...psp.sips import NOTIFY_PATH, RETURN_PATH
from ..admin.psp_accounts import credentials_for_pos
from ..admin.secrets import master_keys


class LinkInvalid(DomainError):
    pass


class LinkExpired(DomainError):
    pass


class LinkUsed(DomainError):
    """The payment is no longer waiting for the customer (paid, cancelled, refused…)."""

    def __init__(self, status: PaymentStatus):
        self.status = status
        super().__init__(f"Ce paiement n'est plus en attente ({status.label}).")


_TOKEN = re.compile(r"([0-9]{1,18})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})", re.ASCII)


def _secrets(settings: Settings) -> list[bytes]:
    if settings.link_secret:
        return [settings.link_secret.encode()]
    return [hmac.new(key.encode(), b"epay:paylink:v1", hashlib.sha256).digest() for key in master_keys(settings)]


def _signature(secret: bytes, payment: EPayment, expiry: int) -> str:
    message = f"{payment.id}.{payment.psp_reference}.{expiry}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_expiry(payment: EPayment, settings: Settings | None = None) -> datetime:
    settings = settings or get_settings()
    if payment.link_expires_at is not None:
        return as_utc(payment.link_expires_at)
    return as_utc(payment.created_at) + timedelta(hours=settings.link_ttl_hours)


def renew_if_expired(payment: EPayment, settings: Settings | None = None, now: datetime | None = None) -> bool:
    """ "Renvoyer le lien" on an expired link: a fresh lifetime, hence a new token (F-60); a link
    still valid is sent again as is. True when renewed."""
    settings = settings or get_settings()
    now = now or utcnow()
    if link_expiry(payment, settings) > now:
        return False
    payment.link_expires_at = now + timedelta(hours=settings.link_ttl_hours)
    return True


def make_token(payment: EPayment, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    expiry = int(link_expiry(payment, settings).timestamp())
    return f"{payment.id}.{expiry}.{_signature(_secrets(settings)[0], payment, expiry)}"


def pay_url(payment: EPayment, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return f"{settings.public_url.rstrip('/')}/pay/{make_token(payment, settings)}"


def payment_for_token(
    session: Session, token: str, settings: Settings | None = None, now: datetime | None = None
) -> EPayment:
    """The payment a link pays, still Envoyé and not expired; LinkInvalid/LinkExpired/LinkUsed otherwise."""
    settings = settings or get_settings()
    match = _TOKEN.fullmatch(token) if isinstance(token, str) and len(token) <= 100 else None
    payment_id, expiry = (ascii_int(match[1]), ascii_int(match[2])) if match else (None, None)
    if match is None or payment_id is None or expiry is None:  # ASCII digits only: "٣٤" is not 34
        raise LinkInvalid("Ce lien de paiement est invalide.")
    parts = match.groups()
    payment = session.get(EPayment, payment_id)
    if payment is None or not any(
        hmac.compare_digest(_signature(secret, payment, expiry), parts[2]) for secret in _secrets(settings)
    ):
        raise LinkInvalid("Ce lien de paiement est invalide.")
    status = PaymentStatus(payment.status)
    if status is not PaymentStatus.ENVOYE:
        raise LinkUsed(status)
    now = now or utcnow()
    if now.timestamp() >= expiry or now >= link_expiry(payment, settings):
        raise LinkExpired("Ce lien de paiement a expiré.")
    return payment


def record_sips_session(payment_id: int, session_factory=None) -> None:
    """The customer was just sent to a Sips hosted page: its 15-minute session starts now
    (reconciliation asks about the payment right after it ends). Run after the answer went out
    (a background task of /pay): it must never hold the customer up, and if it is lost the
    reconciliation's age-based safety net still asks."""
    if session_factory is None:
        from ...db import session_scope as session_factory
    with session_factory() as session:
        row = session.get(SipsSession, payment_id) or SipsSession(payment_id=payment_id, started_at=utcnow())
        row.started_at = utcnow()
        session.add(row)


def sips_form(session: Session, payment: EPayment, settings: Settings) -> PaypageForm:
    creds = credentials_for_pos(session, payment.pos_id, settings)
    customer = session.get(Customer, payment.customer_id)
    base = settings.public_url.rstrip("/")
    request = StartRequest(
        reference=payment.reference,
        psp_reference=payment.psp_reference,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        credentials=creds,
        return_url=base + RETURN_PATH,
        notify_url=base + NOTIFY_PATH,
        customer_email=customer.email if customer else "",
    )
    form = get_gateway(PspProtocol.SIPS2.value, settings).start_payment(request)
    assert isinstance(form, PaypageForm)
    return form


def checkout_form(session: Session, token: str, settings: Settings | None = None) -> tuple[EPayment, PaypageForm]:
    """The Sips form for this link (the Sips sandbox tests and benches post it directly)."""
    settings = settings or get_settings()
    payment = payment_for_token(session, token, settings)
    return payment, sips_form(session, payment, settings)
