"""PSP credentials per point of sale (F-03, F-11..F-13): list, add, edit, delete, rotate.

A configuration speaks one protocol: Worldline Direct (the default for a new configuration:
PSPID, API key id and secret, webhook key id and secret) or Worldline Sips 2.0 (historical:
merchantId, secret key, key version), kept for the payments Sips already took.

Every use case is scoped to the administrator's entity: a point of sale or a configuration of
another entity is treated as unknown. Secrets are encrypted before they reach the session and
never returned nor logged: callers get their masked form only.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from ...config import Settings
from ...domain.dates import utcnow
from ...domain.errors import DomainError, ValidationError
from ...domain.inputs import ascii_int
from ...models import DirectCheckout, Entity, PointOfSale, PspConfig
from ...psp.interface import PspProtocol
from .secrets import encrypt_secret, mask, rotate_secret

log = logging.getLogger(__name__)

# Field names shared with the settings form (the state maps errors onto these).
F_POS, F_PROTOCOL, F_MERCHANT, F_KEY, F_VERSION = "pos_id", "protocol", "merchant_id", "key", "key_version"
F_API_KEY_ID, F_WEBHOOK_KEY_ID, F_WEBHOOK_SECRET = "api_key_id", "webhook_key_id", "webhook_secret"

DEFAULT_PROTOCOL = PspProtocol.DIRECT  # for a new configuration; historical rows stay "sips2"

MERCHANT_ID_RE = re.compile(r"^\d{6,20}$")  # Sips merchantId: digits (15 for Worldline's)
PSPID_MAX_LENGTH = 30
PSPID_RE = re.compile(rf"^[A-Za-z0-9_-]{{1,{PSPID_MAX_LENGTH}}}$")
KEY_ID_MAX_LENGTH = 100
KEY_ID_RE = re.compile(rf"^[\x21-\x7e]{{1,{KEY_ID_MAX_LENGTH}}}$")  # printable ASCII, no space
KEY_MAX_LENGTH = 256
KEY_VERSION_MAX = 9999
# Below this length the last four characters would give away too much of the key.
HINT_MIN_KEY_LENGTH = 12

MSG_OPTION_MISSING = (
    "L'option e-paiement n'est pas souscrite pour votre entité : contactez notre service déploiement pour l'activer."
)
MSG_POS_REQUIRED = "Sélectionnez un point de vente."
MSG_POS_FOREIGN = "Ce point de vente n'appartient pas à votre entité."
MSG_POS_TAKEN = "Ce point de vente a déjà une configuration de e-paiement."
MSG_PROTOCOL = "Choisissez le protocole : « Worldline Direct » ou « Worldline Sips 2.0 (historique) »."
MSG_MERCHANT_REQUIRED = "L'identifiant est obligatoire."
MSG_MERCHANT_FORMAT = (
    "L'identifiant doit être composé uniquement de chiffres (identifiant commerçant Sips, de 6 à 20 chiffres)."
)
MSG_PSPID_REQUIRED = "L'identifiant (PSPID) est obligatoire."
MSG_PSPID_FORMAT = (
    "L'identifiant (PSPID) ne peut contenir que des lettres sans accent, des chiffres, "
    f"« _ » et « - » ({PSPID_MAX_LENGTH} caractères au plus)."
)
MSG_API_KEY_ID_REQUIRED = "La clé API (identifiant) est obligatoire."
MSG_API_KEY_ID_FORMAT = (
    "La clé API (identifiant) ne doit contenir ni espace ni caractère accentué "
    f"({KEY_ID_MAX_LENGTH} caractères au plus)."
)
MSG_WEBHOOK_KEY_ID_REQUIRED = "La clé webhook (identifiant) est obligatoire."
MSG_WEBHOOK_KEY_ID_FORMAT = (
    "La clé webhook (identifiant) ne doit contenir ni espace ni caractère "
    f"accentué ({KEY_ID_MAX_LENGTH} caractères au plus)."
)
MSG_VERSION = f"La version de la clé doit être un entier positif (de 1 à {KEY_VERSION_MAX})."
MSG_CONFIG_UNKNOWN = "Cette configuration de e-paiement n'existe pas ou plus."


def _secret_messages(name: str) -> dict[str, str]:
    """The four refusals of a secret field; `name` is how the message names it."""
    return {
        "required": f"{name} est obligatoire.",
        "spaces": f"{name} ne doit pas commencer ni se terminer par un espace.",
        "too_long": f"{name} ne doit pas dépasser {KEY_MAX_LENGTH} caractères.",
        "control": f"{name} contient des caractères non autorisés.",
    }


SIPS_KEY_MESSAGES = _secret_messages("La clé de cryptage")
API_SECRET_MESSAGES = _secret_messages("La clé API (secret)")
WEBHOOK_SECRET_MESSAGES = _secret_messages("La clé webhook (secret)")
MSG_KEY_REQUIRED = SIPS_KEY_MESSAGES["required"]
MSG_KEY_SPACES = SIPS_KEY_MESSAGES["spaces"]
MSG_KEY_TOO_LONG = SIPS_KEY_MESSAGES["too_long"]
MSG_KEY_CONTROL = SIPS_KEY_MESSAGES["control"]
MSG_API_SECRET_REQUIRED = API_SECRET_MESSAGES["required"]
MSG_WEBHOOK_SECRET_REQUIRED = WEBHOOK_SECRET_MESSAGES["required"]


class EpayOptionMissing(DomainError):
    def __init__(self):
        super().__init__(MSG_OPTION_MISSING)


@dataclass(frozen=True)
class ConfigRow:
    """What the list and the edit form show: never a secret, only masked forms.

    Sips: masked_key is the secret key's; key_version applies. Direct: masked_key is the API
    key secret's, with api_key_id, webhook_key_id and masked_webhook_secret."""

    id: int
    pos_id: int
    pos_name: str
    protocol: PspProtocol
    merchant_id: str
    masked_key: str
    key_version: int
    api_key_id: str
    webhook_key_id: str
    masked_webhook_secret: str


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


def _row(config: PspConfig, pos_name: str) -> ConfigRow:
    assert config.id is not None  # flushed or read from the database
    direct = config.protocol == PspProtocol.DIRECT.value
    return ConfigRow(
        id=config.id,
        pos_id=config.pos_id,
        pos_name=pos_name,
        protocol=PspProtocol(config.protocol),
        merchant_id=config.merchant_id,
        masked_key=mask(config.key_hint),
        key_version=config.key_version,
        api_key_id=config.api_key_id if direct else "",
        webhook_key_id=config.webhook_key_id if direct else "",
        masked_webhook_secret=mask(config.webhook_secret_hint) if direct else "",
    )


def list_configs(session: Session, entity_id: int, search: str = "") -> list[ConfigRow]:
    """The entity's configurations, by point-of-sale name; `search` filters on that name."""
    rows = session.exec(
        select(PspConfig, PointOfSale.name)
        .join(PointOfSale, col(PointOfSale.id) == PspConfig.pos_id)
        .where(PointOfSale.entity_id == entity_id)
        .order_by(PointOfSale.name, col(PointOfSale.id))
    ).all()
    # Accent folding is done here rather than in SQL: SQLite has no unaccent, and an entity
    # has a handful of points of sale, already narrowed down by the query.
    needle = fold(search)
    return [_row(config, name) for config, name in rows if needle in fold(name)]


def unconfigured_points_of_sale(session: Session, entity_id: int) -> list[PointOfSaleChoice]:
    configured = select(PspConfig.pos_id)
    rows = session.exec(
        select(col(PointOfSale.id), PointOfSale.name)
        .where(PointOfSale.entity_id == entity_id, col(PointOfSale.id).not_in(configured))
        .order_by(PointOfSale.name, col(PointOfSale.id))
    ).all()
    return [PointOfSaleChoice(id=pid, name=name) for pid, name in rows if pid is not None]


def parse_protocol(raw) -> PspProtocol | None:
    if isinstance(raw, PspProtocol):
        return raw
    try:
        return PspProtocol(str(raw if raw is not None else "").strip())
    except ValueError:
        return None


def _parse_version(raw) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not re.fullmatch(r"\d{1,6}", text):
        return None
    value = int(text)
    return value if 1 <= value <= KEY_VERSION_MAX else None


def _check_merchant(merchant_id, protocol: PspProtocol, errors: dict[str, str]) -> str:
    merchant_id = str(merchant_id if merchant_id is not None else "").strip()
    direct = protocol is PspProtocol.DIRECT
    if not merchant_id:
        errors[F_MERCHANT] = MSG_PSPID_REQUIRED if direct else MSG_MERCHANT_REQUIRED
    elif not (PSPID_RE if direct else MERCHANT_ID_RE).fullmatch(merchant_id):
        errors[F_MERCHANT] = MSG_PSPID_FORMAT if direct else MSG_MERCHANT_FORMAT
    return merchant_id


def _check_key_id(raw, name: str, required_msg: str, format_msg: str, errors: dict[str, str]) -> str:
    key_id = str(raw if raw is not None else "").strip()
    if not key_id:
        errors[name] = required_msg
    elif not KEY_ID_RE.fullmatch(key_id):
        errors[name] = format_msg
    return key_id


def _check_secret(raw, name: str, messages: dict[str, str], errors: dict[str, str], required: bool) -> str:
    # A secret is taken as typed: trimming it silently would store a key the PSP does not know.
    secret = str(raw if raw is not None else "")
    if not secret:
        if required:
            errors[name] = messages["required"]
    elif secret.strip() != secret:
        errors[name] = messages["spaces"] if secret.strip() else messages["required"]
    elif len(secret) > KEY_MAX_LENGTH:
        errors[name] = messages["too_long"]
    elif any(unicodedata.category(c).startswith("C") for c in secret):
        errors[name] = messages["control"]
    return secret


def _check_version(raw, errors: dict[str, str]) -> int:
    version = _parse_version(raw)
    if version is None:
        errors[F_VERSION] = MSG_VERSION
    return version or 0


def _pos_id(raw) -> int | None:
    """ASCII digits within an id column's range (a larger number reads as unknown, not a 500)."""
    return ascii_int(str(raw if raw is not None else "").strip())


@dataclass(frozen=True)
class _Credentials:
    """Validated form values; the secrets are plain text here and must go nowhere but encryption."""

    protocol: PspProtocol
    merchant_id: str
    key: str = field(repr=False)
    key_version: int
    api_key_id: str
    webhook_key_id: str
    webhook_secret: str = field(repr=False)


def _check_credentials(
    errors: dict[str, str],
    protocol,
    merchant_id,
    key,
    key_version,
    api_key_id,
    webhook_key_id,
    webhook_secret,
    secrets_required: bool,
) -> _Credentials | None:
    """Validate the fields of `protocol` (the other protocol's fields are ignored). Secrets are
    required when `secrets_required` (a new configuration, or a change of protocol); otherwise
    an empty secret keeps the stored one."""
    chosen = parse_protocol(protocol)
    if chosen is None:
        errors[F_PROTOCOL] = MSG_PROTOCOL
        return None
    merchant = _check_merchant(merchant_id, chosen, errors)
    if chosen is PspProtocol.SIPS2:
        key = _check_secret(key, F_KEY, SIPS_KEY_MESSAGES, errors, secrets_required)
        version = _check_version(key_version, errors)
        return _Credentials(chosen, merchant, key, version, "", "", "")
    api_id = _check_key_id(api_key_id, F_API_KEY_ID, MSG_API_KEY_ID_REQUIRED, MSG_API_KEY_ID_FORMAT, errors)
    key = _check_secret(key, F_KEY, API_SECRET_MESSAGES, errors, secrets_required)
    hook_id = _check_key_id(
        webhook_key_id, F_WEBHOOK_KEY_ID, MSG_WEBHOOK_KEY_ID_REQUIRED, MSG_WEBHOOK_KEY_ID_FORMAT, errors
    )
    hook_secret = _check_secret(webhook_secret, F_WEBHOOK_SECRET, WEBHOOK_SECRET_MESSAGES, errors, secrets_required)
    return _Credentials(chosen, merchant, key, 1, api_id, hook_id, hook_secret)


def _apply(config: PspConfig, creds: _Credentials, settings: Settings | None) -> None:
    """Write validated credentials on the row; an empty secret keeps the stored one."""
    config.protocol = creds.protocol.value
    config.merchant_id = creds.merchant_id
    if creds.key:
        config.key_ciphertext = encrypt_secret(creds.key, settings)
        config.key_hint = key_hint(creds.key)
    if creds.protocol is PspProtocol.SIPS2:
        config.key_version = creds.key_version
        # Direct keys have no use on a Sips configuration: keep no secret that nothing needs.
        config.api_key_id = config.webhook_key_id = ""
        config.webhook_secret_ciphertext = config.webhook_secret_hint = ""
    else:
        config.api_key_id = creds.api_key_id
        config.webhook_key_id = creds.webhook_key_id
        if creds.webhook_secret:
            config.webhook_secret_ciphertext = encrypt_secret(creds.webhook_secret, settings)
            config.webhook_secret_hint = key_hint(creds.webhook_secret)


def create_config(
    session: Session,
    entity_id: int,
    pos_id,
    merchant_id: str,
    key: str,
    key_version="1",
    settings: Settings | None = None,
    *,
    protocol: PspProtocol | str = DEFAULT_PROTOCOL,
    api_key_id: str = "",
    webhook_key_id: str = "",
    webhook_secret: str = "",
) -> ConfigRow:
    """Add the credentials of one of the entity's points of sale. Raises ValidationError.

    Direct (the default): merchant_id is the PSPID, key the API key secret, with api_key_id and
    the webhook key (webhook_key_id, webhook_secret); key_version is ignored.
    Sips 2.0: merchant_id, key (the secret key) and key_version; the Direct fields are ignored."""
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
    creds = _check_credentials(
        errors,
        protocol,
        merchant_id,
        key,
        key_version,
        api_key_id,
        webhook_key_id,
        webhook_secret,
        secrets_required=True,
    )
    if errors or creds is None:
        raise ValidationError(errors)
    assert pid is not None and pos is not None  # a missing or foreign point of sale raised above
    config = PspConfig(pos_id=pid, merchant_id=creds.merchant_id, key_ciphertext="")
    _apply(config, creds, settings)
    session.add(config)
    session.flush()
    log.info(
        "psp config %s added for point of sale %s (%s, merchant %s)",
        config.id,
        pid,
        config.protocol,
        config.merchant_id,
    )
    return _row(config, pos.name)


def _owned_config(session: Session, entity_id: int, config_id) -> tuple[PspConfig, PointOfSale]:
    cid = _pos_id(config_id)
    config = session.get(PspConfig, cid) if cid is not None else None
    pos = session.get(PointOfSale, config.pos_id) if config else None
    if config is None or pos is None or pos.entity_id != entity_id:
        raise DomainError(MSG_CONFIG_UNKNOWN)
    return config, pos


def get_config(session: Session, entity_id: int, config_id) -> ConfigRow:
    config, pos = _owned_config(session, entity_id, config_id)
    return _row(config, pos.name)


def update_config(
    session: Session,
    entity_id: int,
    config_id,
    merchant_id: str,
    key: str = "",
    key_version="1",
    settings: Settings | None = None,
    *,
    protocol: PspProtocol | str | None = None,
    api_key_id: str = "",
    webhook_key_id: str = "",
    webhook_secret: str = "",
) -> ConfigRow:
    """Change a configuration; an empty secret keeps the current one. `protocol` None keeps the
    configuration's protocol; a different protocol requires every secret of the new one."""
    _require_option(session, entity_id)
    config, pos = _owned_config(session, entity_id, config_id)
    current = PspProtocol(config.protocol)
    chosen = current if protocol is None else parse_protocol(protocol)
    errors: dict[str, str] = {}
    creds = _check_credentials(
        errors,
        chosen.value if chosen else protocol,
        merchant_id,
        key,
        key_version,
        api_key_id,
        webhook_key_id,
        webhook_secret,
        secrets_required=chosen is not current,
    )
    if errors or creds is None:
        raise ValidationError(errors)
    replaced = [name for name, value in (("key", creds.key), ("webhook secret", creds.webhook_secret)) if value]
    if current is PspProtocol.SIPS2 and creds.protocol is PspProtocol.DIRECT:
        _keep_sips_credentials(config)
    _apply(config, creds, settings)
    config.updated_at = utcnow()
    session.add(config)
    session.flush()
    log.info(
        "psp config %s updated (%s%s, merchant %s, replaced: %s)",
        config.id,
        config.protocol,
        "" if creds.protocol is current else f", was {current.value}",
        config.merchant_id,
        ", ".join(replaced) or "nothing secret",
    )
    return _row(config, pos.name)


def _keep_sips_credentials(config: PspConfig) -> None:
    """A point of sale moving to Direct keeps its Sips merchant and key (still encrypted): its
    Sips-era payments are refunded and reconciled through Sips Office with them."""
    config.sips_merchant_id = config.merchant_id
    config.sips_key_ciphertext = config.key_ciphertext
    config.sips_key_version = config.key_version


def delete_config(session: Session, entity_id: int, config_id) -> str:
    """Remove a configuration; returns the point of sale's name for the confirmation message."""
    _require_option(session, entity_id)
    config, pos = _owned_config(session, entity_id, config_id)
    session.delete(config)
    session.flush()
    log.info("psp config %s deleted (point of sale %s)", config.id, pos.id)
    return pos.name


def rotate_all(session: Session, settings: Settings | None = None) -> int:
    """Re-encrypt every stored secret (Sips key or Direct API secret, Direct webhook secret) under
    the newest master key; returns the number of configurations. All or nothing: a secret that
    no master key opens raises MasterKeyError and the caller's transaction rolls back."""
    configs = session.exec(select(PspConfig).order_by(col(PspConfig.id))).all()
    for config in configs:
        config.key_ciphertext = rotate_secret(config.key_ciphertext, settings)
        if config.webhook_secret_ciphertext:
            config.webhook_secret_ciphertext = rotate_secret(config.webhook_secret_ciphertext, settings)
        if config.sips_key_ciphertext:
            config.sips_key_ciphertext = rotate_secret(config.sips_key_ciphertext, settings)
        session.add(config)
    # The RETURNMAC of each hosted checkout is kept like a secret too.
    for checkout in session.exec(select(DirectCheckout).order_by(col(DirectCheckout.id))).all():
        checkout.return_mac_ciphertext = rotate_secret(checkout.return_mac_ciphertext, settings)
        session.add(checkout)
    session.flush()
    return len(configs)
