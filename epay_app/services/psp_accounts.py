"""A point of sale's PSP credentials, decrypted only for the call that needs them."""
from __future__ import annotations

from functools import lru_cache

from sqlmodel import Session, select

from ..config import Settings
from ..domain.errors import DomainError
from ..models import PspConfig
from ..psp.interface import MerchantCredentials, PspProtocol
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


def configs_for_webhook_key(session: Session, webhook_key_id: str) -> list[PspConfig]:
    """Worldline Direct configurations whose webhooks are signed with this key id."""
    if not webhook_key_id:
        return []
    return list(session.exec(
        select(PspConfig).where(PspConfig.webhook_key_id == webhook_key_id,
                                PspConfig.protocol == PspProtocol.DIRECT.value)
    ).all())


def _decrypt(ciphertext: str, settings: Settings | None) -> str:
    if not ciphertext:
        return ""
    return _decrypted(ciphertext) if settings is None else decrypt_secret(ciphertext, settings)


def credentials(config: PspConfig, settings: Settings | None = None) -> MerchantCredentials:
    return MerchantCredentials(
        config.merchant_id, _decrypt(config.key_ciphertext, settings), config.key_version,
        protocol=PspProtocol(config.protocol), api_key_id=config.api_key_id,
        webhook_key_id=config.webhook_key_id,
        webhook_secret=_decrypt(config.webhook_secret_ciphertext, settings),
    )


# Every PSP callback needs its merchant's key; decrypting it means reading the master keys and
# a Fernet decryption. The result is kept in this process only (never logged, never in Reflex
# state), under the ciphertext it came from: a changed or re-encrypted key is a new ciphertext,
# hence a new entry, and old entries age out. The default settings, whose master keys decrypt
# it, are fixed for the process's life; explicit settings (rotation, tests) are not cached.
@lru_cache(maxsize=128)
def _decrypted(ciphertext: str) -> str:
    return decrypt_secret(ciphertext)
