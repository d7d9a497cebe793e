"""PSP credentials per point of sale (F-03, F-11..F-13): list, add, edit, delete, rotate.

Every use case is scoped to the administrator's entity: a point of sale or a configuration of
another entity is treated as unknown. The key is encrypted before it reaches the session and
never returned: callers get the masked form only.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from sqlmodel import Session, select

from ..config import Settings
from ..domain.dates import utcnow
from ..domain.errors import DomainError, ValidationError
from ..models import Entity, PointOfSale, PspConfig
from .secrets import encrypt_secret, mask, rotate_secret

log = logging.getLogger(__name__)

# Field names shared with the settings form (the state maps errors onto these).
F_POS, F_MERCHANT, F_KEY, F_VERSION = "pos_id", "merchant_id", "key", "key_version"

MERCHANT_ID_RE = re.compile(r"^\d{6,20}$")  # Sips merchantId: digits (15 for Worldline's)
KEY_MAX_LENGTH = 256
KEY_VERSION_MAX = 9999
# Below this length the last four characters would give away too much of the key.
HINT_MIN_KEY_LENGTH = 12

MSG_OPTION_MISSING = ("L'option e-paiement n'est pas souscrite pour votre entité : "
                      "contactez notre service déploiement pour l'activer.")
MSG_POS_REQUIRED = "Sélectionnez un point de vente."
MSG_POS_FOREIGN = "Ce point de vente n'appartient pas à votre entité."
MSG_POS_TAKEN = "Ce point de vente a déjà une configuration de e-paiement."
MSG_MERCHANT_REQUIRED = "L'identifiant est obligatoire."
MSG_MERCHANT_FORMAT = ("L'identifiant doit être composé uniquement de chiffres "
                       "(identifiant commerçant Sips, de 6 à 20 chiffres).")
MSG_KEY_REQUIRED = "La clé de cryptage est obligatoire."
MSG_KEY_SPACES = "La clé de cryptage ne doit pas commencer ni se terminer par un espace."
MSG_KEY_TOO_LONG = f"La clé de cryptage ne doit pas dépasser {KEY_MAX_LENGTH} caractères."
MSG_KEY_CONTROL = "La clé de cryptage contient des caractères non autorisés."
MSG_VERSION = f"La version de la clé doit être un entier positif (de 1 à {KEY_VERSION_MAX})."
MSG_CONFIG_UNKNOWN = "Cette configuration de e-paiement n'existe pas ou plus."


class EpayOptionMissing(DomainError):
    def __init__(self):
        super().__init__(MSG_OPTION_MISSING)


@dataclass(frozen=True)
class ConfigRow:
    """What the list shows: never the key, only its masked form."""
    id: int
    pos_id: int
    pos_name: str
    merchant_id: str
    masked_key: str
    key_version: int


@dataclass(frozen=True)
class PointOfSaleChoice:
    id: int
    name: str


def fold(text: str) -> str:
    """Case- and accent-insensitive form for searching: 'Évry' and 'evry' match."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def key_hint(key: str) -> str:
    return key[-4:] if len(key) >= HINT_MIN_KEY_LENGTH else ""


def entity_has_option(session: Session, entity_id: int) -> bool:
    entity = session.get(Entity, entity_id)
    return bool(entity and entity.epay_option)


def _require_option(session: Session, entity_id: int) -> None:
    if not entity_has_option(session, entity_id):
        raise EpayOptionMissing()


def list_configs(session: Session, entity_id: int, search: str = "") -> list[ConfigRow]:
    """The entity's configurations, by point-of-sale name; `search` filters on that name."""
    rows = session.exec(
        select(PspConfig.id, PspConfig.pos_id, PointOfSale.name, PspConfig.merchant_id,
               PspConfig.key_hint, PspConfig.key_version)
        .join(PointOfSale, PointOfSale.id == PspConfig.pos_id)
        .where(PointOfSale.entity_id == entity_id)
        .order_by(PointOfSale.name, PointOfSale.id)
    ).all()
    # Accent folding is done here rather than in SQL: SQLite has no unaccent, and an entity
    # has a handful of points of sale, already narrowed down by the query.
    needle = fold(search)
    return [
        ConfigRow(id=cid, pos_id=pos_id, pos_name=name, merchant_id=merchant, masked_key=mask(hint),
                  key_version=version)
        for cid, pos_id, name, merchant, hint, version in rows
        if needle in fold(name)
    ]


def unconfigured_points_of_sale(session: Session, entity_id: int) -> list[PointOfSaleChoice]:
    configured = select(PspConfig.pos_id)
    rows = session.exec(
        select(PointOfSale.id, PointOfSale.name)
        .where(PointOfSale.entity_id == entity_id, PointOfSale.id.not_in(configured))
        .order_by(PointOfSale.name, PointOfSale.id)
    ).all()
    return [PointOfSaleChoice(id=pid, name=name) for pid, name in rows]


def _parse_version(raw) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not re.fullmatch(r"\d{1,6}", text):
        return None
    value = int(text)
    return value if 1 <= value <= KEY_VERSION_MAX else None


def _check_merchant(merchant_id: str, errors: dict[str, str]) -> str:
    merchant_id = (merchant_id or "").strip()
    if not merchant_id:
        errors[F_MERCHANT] = MSG_MERCHANT_REQUIRED
    elif not MERCHANT_ID_RE.fullmatch(merchant_id):
        errors[F_MERCHANT] = MSG_MERCHANT_FORMAT
    return merchant_id


def _check_key(key: str, errors: dict[str, str], required: bool) -> None:
    # The key is taken as typed: trimming it silently would store a key the PSP does not know.
    key = key or ""
    if not key:
        if required:
            errors[F_KEY] = MSG_KEY_REQUIRED
    elif key.strip() != key:
        errors[F_KEY] = MSG_KEY_SPACES if key.strip() else MSG_KEY_REQUIRED
    elif len(key) > KEY_MAX_LENGTH:
        errors[F_KEY] = MSG_KEY_TOO_LONG
    elif any(unicodedata.category(c).startswith("C") for c in key):
        errors[F_KEY] = MSG_KEY_CONTROL


def _check_version(raw, errors: dict[str, str]) -> int:
    version = _parse_version(raw)
    if version is None:
        errors[F_VERSION] = MSG_VERSION
    return version or 0


def _pos_id(raw) -> int | None:
    text = str(raw if raw is not None else "").strip()
    return int(text) if text.isdigit() else None


def create_config(session: Session, entity_id: int, pos_id, merchant_id: str, key: str,
                  key_version="1", settings: Settings | None = None) -> ConfigRow:
    """Add the credentials of one of the entity's points of sale. Raises ValidationError."""
    _require_option(session, entity_id)
    errors: dict[str, str] = {}
    pid = _pos_id(pos_id)
    pos = session.get(PointOfSale, pid) if pid is not None else None
    if pid is None:
        errors[F_POS] = MSG_POS_REQUIRED
    elif pos is None or pos.entity_id != entity_id:
        errors[F_POS] = MSG_POS_FOREIGN
    elif session.exec(select(PspConfig.id).where(PspConfig.pos_id == pid)).first() is not None:
        errors[F_POS] = MSG_POS_TAKEN
    merchant_id = _check_merchant(merchant_id, errors)
    _check_key(key, errors, required=True)
    version = _check_version(key_version, errors)
    if errors:
        raise ValidationError(errors)
    config = PspConfig(pos_id=pid, merchant_id=merchant_id, key_ciphertext=encrypt_secret(key, settings),
                       key_hint=key_hint(key), key_version=version)
    session.add(config)
    session.flush()
    log.info("psp config %s added for point of sale %s (merchant %s)", config.id, pid, merchant_id)
    return ConfigRow(config.id, pid, pos.name, merchant_id, mask(config.key_hint), version)


def _owned_config(session: Session, entity_id: int, config_id) -> tuple[PspConfig, PointOfSale]:
    cid = _pos_id(config_id)
    config = session.get(PspConfig, cid) if cid is not None else None
    pos = session.get(PointOfSale, config.pos_id) if config else None
    if config is None or pos is None or pos.entity_id != entity_id:
        raise DomainError(MSG_CONFIG_UNKNOWN)
    return config, pos


def get_config(session: Session, entity_id: int, config_id) -> ConfigRow:
    config, pos = _owned_config(session, entity_id, config_id)
    return ConfigRow(config.id, pos.id, pos.name, config.merchant_id, mask(config.key_hint),
                     config.key_version)


def update_config(session: Session, entity_id: int, config_id, merchant_id: str, key: str = "",
                  key_version="1", settings: Settings | None = None) -> ConfigRow:
    """Change identifier and version; an empty key keeps the current one."""
    _require_option(session, entity_id)
    config, pos = _owned_config(session, entity_id, config_id)
    errors: dict[str, str] = {}
    merchant_id = _check_merchant(merchant_id, errors)
    _check_key(key, errors, required=False)
    version = _check_version(key_version, errors)
    if errors:
        raise ValidationError(errors)
    config.merchant_id = merchant_id
    config.key_version = version
    if key:
        config.key_ciphertext = encrypt_secret(key, settings)
        config.key_hint = key_hint(key)
    config.updated_at = utcnow()
    session.add(config)
    session.flush()
    log.info("psp config %s updated (merchant %s, key %s)", config.id, merchant_id,
             "replaced" if key else "kept")
    return ConfigRow(config.id, pos.id, pos.name, merchant_id, mask(config.key_hint), version)


def delete_config(session: Session, entity_id: int, config_id) -> str:
    """Remove a configuration; returns the point of sale's name for the confirmation message."""
    _require_option(session, entity_id)
    config, pos = _owned_config(session, entity_id, config_id)
    session.delete(config)
    session.flush()
    log.info("psp config %s deleted (point of sale %s)", config.id, pos.id)
    return pos.name


def rotate_all(session: Session, settings: Settings | None = None) -> int:
    """Re-encrypt every stored key under the newest master key. All or nothing: a key that no
    master key opens raises MasterKeyError and the caller's transaction rolls back."""
    configs = session.exec(select(PspConfig).order_by(PspConfig.id)).all()
    for config in configs:
        config.key_ciphertext = rotate_secret(config.key_ciphertext, settings)
        session.add(config)
    session.flush()
    return len(configs)
