"""PSP keys encrypted at rest (F-13): Fernet under master keys from the environment.

EPAY_MASTER_KEYS holds one or more Fernet keys, comma-separated, newest first:
encryption uses the newest, decryption tries them all (rotation). Without it, in demo mode
only (EPAY_DEMO=true), a local key file is used, created on first use; production refuses.
"""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ...config import Settings, get_settings
from ...domain.errors import DomainError

log = logging.getLogger(__name__)


class MasterKeyError(DomainError):
    pass


def master_keys(settings: Settings) -> list[str]:
    keys = [k.strip() for k in settings.master_keys.split(",") if k.strip()]
    if keys:
        return keys
    if not settings.demo:
        raise MasterKeyError("EPAY_MASTER_KEYS est vide : en production la clé maître vient de l'environnement.")
    path = settings.master_key_file
    if not path.exists():
        path.write_text(Fernet.generate_key().decode() + "\n")
        path.chmod(0o600)
        log.warning("clé maître locale créée dans %s (en production : EPAY_MASTER_KEYS)", path)
    return [k.strip() for k in path.read_text().replace(",", "\n").split() if k.strip()]


def cipher(settings: Settings | None = None) -> MultiFernet:
    settings = settings or get_settings()
    try:
        return MultiFernet([Fernet(k.encode()) for k in master_keys(settings)])
    except (ValueError, TypeError) as exc:
        raise MasterKeyError(
            "Clé maître invalide : EPAY_MASTER_KEYS doit contenir des clés Fernet (base64, 32 octets)."
        ) from exc


def encrypt_secret(plain: str, settings: Settings | None = None) -> str:
    return cipher(settings).encrypt(plain.encode()).decode()


def decrypt_secret(token: str, settings: Settings | None = None) -> str:
    try:
        return cipher(settings).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise MasterKeyError(
            "Impossible de déchiffrer la clé : la clé maître ne correspond pas (rotation incomplète ?)."
        ) from exc


def rotate_secret(token: str, settings: Settings | None = None) -> str:
    """Re-encrypt under the newest master key."""
    try:
        return cipher(settings).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise MasterKeyError("Impossible de ré-chiffrer : aucune clé maître ne convient.") from exc


def mask(hint: str) -> str:
    return "••••••••" + hint
