"""What the payment result page shows around the outcome: the point of sale that takes the payment,
a way back, and for a reservation the proof that lets its payer see it as theirs (issue 14).

The proof is a cookie set by the result page only, i.e. only for the browser that came back from
the PSP with a verified answer (Direct: RETURNMAC + the platform's status; Sips: the seal). It
names the payment and the vehicle, expires with the block, and is signed with a secret derived
from the master keys: a visitor cannot forge one for a vehicle he did not pay for, and a copied
one only shows "Réservé pour vous" (it allows nothing)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from http.cookies import CookieError, SimpleCookie

from sqlmodel import Session

from ... import routes
from ...config import Settings, get_settings
from ...domain.dates import as_utc, utcnow
from ...domain.references import PaymentKind
from ...domain.statuses import PaymentStatus
from ...models import EPayment, PointOfSale, Vehicle
from ..admin.secrets import master_keys
from .reservations import blocked_until

COOKIE = "epay_reservation"
_PASS = re.compile(r"([0-9]{1,18})\.([0-9]{1,18})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})", re.ASCII)
# Statuses in which the reservation still holds the vehicle for its payer.
HOLDING = (PaymentStatus.ENVOYE.value, PaymentStatus.AUTORISE.value)


@dataclass(frozen=True)
class ResultContext:
    payment_id: int
    pos_name: str
    pos_address: str
    pos_phone: str
    back_url: str
    back_label: str
    reservation_vehicle_id: int | None = None
    reserved_until: datetime | None = None  # the payer's own block, when it still holds


def result_context(session: Session, payment_id: int, now: datetime | None = None) -> ResultContext:
    payment = session.get(EPayment, payment_id)
    assert payment is not None  # the payment of a verified PSP return
    pos = session.get(PointOfSale, payment.pos_id)
    assert pos is not None  # the payment's foreign key
    if payment.kind != PaymentKind.RESERVATION.value:
        return ResultContext(
            payment_id, pos.name, pos.address, pos.phone, routes.public_stock(pos.number), "Voir nos véhicules"
        )
    vehicle = session.get(Vehicle, payment.vehicle_id)
    assert vehicle is not None and vehicle.id is not None  # a reservation has its vehicle
    until = _own_block(vehicle, payment, now)
    return ResultContext(
        payment_id,
        pos.name,
        pos.address,
        pos.phone,
        routes.public_vehicle(pos.number, vehicle.id),
        "Retour au véhicule",
        reservation_vehicle_id=vehicle.id,
        reserved_until=until,
    )


def _own_block(vehicle: Vehicle, payment: EPayment, now: datetime | None) -> datetime | None:
    if vehicle.reservation_payment_id != payment.id or payment.status not in HOLDING:
        return None
    return blocked_until(vehicle, now)


def _secrets(settings: Settings) -> list[bytes]:
    return [
        hmac.new(key.encode(), b"epay:reservation-pass:v1", hashlib.sha256).digest() for key in master_keys(settings)
    ]


def _signature(secret: bytes, payment_id: int, vehicle_id: int, expiry: int) -> str:
    digest = hmac.new(secret, f"{payment_id}.{vehicle_id}.{expiry}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_pass(payment_id: int, vehicle_id: int, expires: datetime, settings: Settings | None = None) -> str:
    expiry = int(as_utc(expires).timestamp())
    signature = _signature(_secrets(settings or get_settings())[0], payment_id, vehicle_id, expiry)
    return f"{payment_id}.{vehicle_id}.{expiry}.{signature}"


def pass_payment(cookie_header: str, vehicle_id: int, now: datetime | None = None) -> int | None:
    """The payment id a valid, unexpired pass for this vehicle names, from a Cookie header."""
    try:
        morsel = SimpleCookie(cookie_header or "").get(COOKIE)
    except CookieError:
        return None
    match = _PASS.fullmatch(morsel.value) if morsel else None
    if match is None or int(match[2]) != vehicle_id:
        return None
    payment_id, expiry = int(match[1]), int(match[3])
    if expiry <= (as_utc(now) if now else utcnow()).timestamp():
        return None
    for secret in _secrets(get_settings()):
        if hmac.compare_digest(_signature(secret, payment_id, vehicle_id, expiry), match[4]):
            return payment_id
    return None


def own_reservation(session: Session, vehicle: Vehicle, payment_id: int | None, now=None) -> datetime | None:
    """Until when the vehicle is held for the payment the visitor's pass names, or None."""
    if payment_id is None:
        return None
    payment = session.get(EPayment, payment_id)
    if payment is None or payment.vehicle_id != vehicle.id:
        return None
    return _own_block(vehicle, payment, now)
