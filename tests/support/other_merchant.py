"""A second point of sale with its own Sips merchant, to send validly sealed messages that are
not the payment's point of sale's (a merchant mismatch)."""

from __future__ import annotations

from sqlmodel import Session, select

from epay_app.db import get_engine
from epay_app.models import PointOfSale, PspConfig
from epay_app.services.admin.secrets import encrypt_secret

OTHER_MERCHANT = "011223344551111"
OTHER_KEY = "011223344551111_OTHER_KEY_1"
OTHER_POS_NUMBER = 962


def ensure_other_point_of_sale(db_url: str, entity_id: int) -> dict[str, str]:
    """Idempotent: several modules may ask for it in one session."""
    with Session(get_engine(db_url), expire_on_commit=False) as session:
        pos = session.exec(select(PointOfSale).where(PointOfSale.number == OTHER_POS_NUMBER)).first()
        if pos is None:
            pos = PointOfSale(entity_id=entity_id, number=OTHER_POS_NUMBER, name="Point de vente 2")
            session.add(pos)
            session.flush()
            session.add(
                PspConfig(
                    pos_id=pos.id,
                    merchant_id=OTHER_MERCHANT,
                    key_hint=OTHER_KEY[-4:],
                    key_ciphertext=encrypt_secret(OTHER_KEY),
                    key_version=1,
                )
            )
            session.commit()
    return {"merchant_id": OTHER_MERCHANT, "secret_key": OTHER_KEY}
