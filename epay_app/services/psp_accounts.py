"""A point of sale's PSP credentials, decrypted only for the call that needs them."""
from __future__ import annotations

from sqlmodel import Session, select

from ..config import Settings
from ..domain.errors import DomainError
from ..models import PspConfig
from ..psp.interface import MerchantCredentials
from .secrets import decrypt_secret


class PspNotConfigured(DomainError):
    pass


def credentials_for_pos(session: Session, pos_id: int, settings: Settings | None = None) -> MerchantCredentials:
    config = session.exec(select(PspConfig).where(PspConfig.pos_id == pos_id)).first()
    if config is None:
        raise PspNotConfigured("Le paiement en ligne n'est pas paramétré pour ce point de vente.")
    return credentials(config, settings)


def configs_for_merchant(session: Session, merchant_id: str) -> list[PspConfig]:
    """Every configuration using this merchant id (several points of sale may share one)."""
    return list(session.exec(select(PspConfig).where(PspConfig.merchant_id == merchant_id)).all())


def credentials(config: PspConfig, settings: Settings | None = None) -> MerchantCredentials:
    return MerchantCredentials(config.merchant_id, decrypt_secret(config.key_ciphertext, settings),
                               config.key_version)
