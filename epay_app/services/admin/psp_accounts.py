"""A point of sale's PSP credentials, decrypted only for the call that needs them."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, or_
from sqlmodel import Session, col, select

from ...config import Settings
from ...domain.errors import DomainError
from ...models import PspConfig
from ...psp.interface import MerchantCredentials, PspProtocol
from .secrets import decrypt_secret


class PspNotConfigured(DomainError):
    pass


def config_for_pos(session: Session, pos_id: int) -> PspConfig:
    config = session.exec(select(PspConfig).where(PspConfig.pos_id == pos_id)).first()
    if config is None:
        raise PspNotConfigured("Le paiement en ligne n'est pas paramétré pour ce point de vente.")
    return config


def credentials_for_pos(
    session: Session, pos_id: int, settings: Settings | None = None, *, protocol: PspProtocol | None = None
) -> MerchantCredentials:
    """The point of sale's credentials for `protocol` (default: the one it uses today). A
    Sips-era payment of a point of sale now on Direct gets the Sips credentials it kept."""
    config = config_for_pos(session, pos_id)
    if protocol is None or protocol.value == config.protocol:
        return credentials(config, settings)
    if protocol is PspProtocol.SIPS2 and config.sips_merchant_id:
        return MerchantCredentials(
            config.sips_merchant_id, _decrypt(config.sips_key_ciphertext, settings), config.sips_key_version
        )
    raise PspNotConfigured(f"Les identifiants {protocol.label} de ce point de vente ne sont plus paramétrés.")


# Built once, as the callbacks' other statements (services.payment.payments).
_CONFIGS_FOR_MERCHANT = select(PspConfig).where(
    or_(
        (col(PspConfig.merchant_id) == bindparam("merchant_id")) & (col(PspConfig.protocol) == PspProtocol.SIPS2.value),
        col(PspConfig.sips_merchant_id) == bindparam("merchant_id"),
    )
)
_CONFIGS_FOR_WEBHOOK_KEY = select(PspConfig).where(
    PspConfig.webhook_key_id == bindparam("key_id"), PspConfig.protocol == PspProtocol.DIRECT.value
)


def configs_for_merchant(session: Session, merchant_id: str) -> list[PspConfig]:
    """Every configuration using this Sips merchant id, today or before it moved to Direct
    (several points of sale may share one)."""
    return list(session.exec(_CONFIGS_FOR_MERCHANT, params={"merchant_id": merchant_id}).all())


def sips_credentials(config: PspConfig, settings: Settings | None = None) -> MerchantCredentials:
    """A configuration's Sips credentials: its own, or those it kept when it moved to Direct."""
    if config.protocol == PspProtocol.SIPS2.value:
        return credentials(config, settings)
    return MerchantCredentials(
        config.sips_merchant_id, _decrypt(config.sips_key_ciphertext, settings), config.sips_key_version
    )


def configs_for_webhook_key(session: Session, webhook_key_id: str) -> list[PspConfig]:
    """Worldline Direct configurations whose webhooks are signed with this key id."""
    if not webhook_key_id:
        return []
    return list(session.exec(_CONFIGS_FOR_WEBHOOK_KEY, params={"key_id": webhook_key_id}).all())


def _decrypt(ciphertext: str, settings: Settings | None) -> str:
    if not ciphertext:
        return ""
    return _decrypted(ciphertext) if settings is None else decrypt_secret(ciphertext, settings)


def credentials(config: PspConfig, settings: Settings | None = None) -> MerchantCredentials:
    return MerchantCredentials(
        config.merchant_id,
        _decrypt(config.key_ciphertext, settings),
        config.key_version,
        protocol=PspProtocol(config.protocol),
        api_key_id=config.api_key_id,
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
