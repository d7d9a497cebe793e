"""Production mode (EPAY_DEMO=false) refuses to start on a demo set-up left behind.

Three things make a production instance unsafe although every setting is "valid":
- a demo account still active (its password is in the README and the seed);
- a publicly known PSP test key (Worldline's Sips simulation key, the local sandbox's Direct
  secrets) configured while the PSP URLs point at a real platform: anyone can seal a "paid"
  notification with it;
- no master key from the environment: the PSP keys would be encrypted under a key file created
  silently next to the code.

`production_problems` lists them (French, then English); `refuse_unsafe_production` is the
app's first lifespan task, so the server stops before it serves anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from ...config import ConfigurationError, Settings, get_settings
from ...models import PointOfSale, PspConfig, User
from ...psp.interface import PspProtocol
from .secrets import MasterKeyError, decrypt_secret

log = logging.getLogger(__name__)

# Worldline's published Sips simulation key (notes/worldline-sips.md) and the local sandbox's
# Direct demo secrets (psp/sandbox/direct/merchants.py: the sandbox is optional in production,
# so the values are repeated here; tests/unit/test_startup_checks.py keeps them in step).
PUBLIC_SIPS_KEYS = frozenset({"002001000000002_KEY1"})
PUBLIC_DIRECT_SECRETS = frozenset({"demo-api-secret-0001", "demo-webhook-secret-0001"})
DEMO_EMAIL_DOMAIN = "@openflex.demo"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def is_sandbox_url(url: str) -> bool:
    """The local sandbox listens on loopback; Worldline's platforms never do."""
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _public(secret: str, known: frozenset[str]) -> bool:
    return any(hmac.compare_digest(secret.encode(), k.encode()) for k in known)


def _decrypt(ciphertext: str, settings: Settings) -> str:
    return decrypt_secret(ciphertext, settings) if ciphertext else ""


def _psp_problems(session: Session, settings: Settings) -> list[str]:
    sips_real = [v for v in ("psp_paypage_url", "psp_office_url") if not is_sandbox_url(getattr(settings, v))]
    direct_real = not is_sandbox_url(settings.direct_api_url)
    if not sips_real and not direct_real:
        return []
    problems = []
    rows = session.exec(
        select(PspConfig, PointOfSale.name)
        .join(PointOfSale, col(PointOfSale.id) == PspConfig.pos_id)
        .order_by(col(PspConfig.id))
    ).all()
    for config, pos_name in rows:
        try:
            sips_key = _decrypt(
                config.key_ciphertext if config.protocol == PspProtocol.SIPS2.value else config.sips_key_ciphertext,
                settings,
            )
            direct = (
                []
                if config.protocol != PspProtocol.DIRECT.value
                else [_decrypt(config.key_ciphertext, settings), _decrypt(config.webhook_secret_ciphertext, settings)]
            )
        except MasterKeyError:
            problems.append(
                f"« {pos_name} » : clés PSP indéchiffrables avec EPAY_MASTER_KEYS / "
                f"PSP keys of '{pos_name}' cannot be decrypted with EPAY_MASTER_KEYS."
            )
            continue
        if sips_real and sips_key and _public(sips_key, PUBLIC_SIPS_KEYS):
            variables = ", ".join(f"EPAY_{v.upper()}" for v in sips_real)
            problems.append(
                f"« {pos_name} » utilise la clé Sips publique de simulation de Worldline avec une URL PSP réelle "
                f"({variables}) : n'importe qui peut sceller une notification « payé ». Saisissez la clé de "
                f"votre contrat dans Paramètres > e-Paiement. / '{pos_name}' uses Worldline's public Sips "
                f"simulation key against a real PSP URL ({variables}): set your own key."
            )
        if direct_real and any(s and _public(s, PUBLIC_DIRECT_SECRETS) for s in direct):
            problems.append(
                f"« {pos_name} » utilise les secrets Worldline Direct de démonstration du bac à sable avec "
                f"une URL réelle (EPAY_DIRECT_API_URL) : saisissez vos propres clés dans Paramètres > "
                f"e-Paiement. / '{pos_name}' uses the sandbox's public Direct demo secrets against a real "
                f"Direct URL (EPAY_DIRECT_API_URL): set your own API key and webhook secret."
            )
    return problems


def production_problems(session: Session, settings: Settings | None = None) -> list[str]:
    """What keeps this instance from running in production mode; empty in demo mode."""
    settings = settings or get_settings()
    if settings.demo:
        return []
    problems = []
    has_master_key = bool(settings.master_keys.strip(", "))
    if not has_master_key:
        problems.append(
            "EPAY_MASTER_KEYS est vide : en production la clé maître (Fernet) vient de l'environnement, "
            "jamais d'un fichier créé automatiquement. / EPAY_MASTER_KEYS is empty: in production the "
            "master key must come from the environment."
        )
    demo_accounts = session.exec(
        select(User.email)
        .where(col(User.active).is_(True), col(User.email).like(f"%{DEMO_EMAIL_DOMAIN}"))
        .order_by(User.email)
    ).all()
    if demo_accounts:
        problems.append(
            f"Comptes de démonstration encore actifs ({', '.join(demo_accounts)}) : désactivez-les, "
            f"ou lancez la démo avec EPAY_DEMO=true. / Demo accounts still active: deactivate them, or "
            f"run the demo with EPAY_DEMO=true."
        )
    if has_master_key:
        problems.extend(_psp_problems(session, settings))
    return problems


def check_production(settings: Settings | None = None) -> None:
    """Raise ConfigurationError listing every problem (nothing in demo mode)."""
    from ...db import session_scope

    settings = settings or get_settings()
    if settings.demo:
        log.warning(
            "mode démo (EPAY_DEMO=true) : comptes et clés de démonstration autorisés — demo mode, not for production"
        )
        return
    with session_scope(write=False) as session:
        problems = production_problems(session, settings)
    if problems:
        raise ConfigurationError(
            "Démarrage refusé en mode production (EPAY_DEMO=false) / production start refused:\n- "
            + "\n- ".join(problems)
        )


@contextlib.asynccontextmanager
async def refuse_unsafe_production():
    """The app's first lifespan task: an unsafe production set-up stops the server at start
    (its queries in a worker thread: the event loop only waits)."""
    try:
        await asyncio.to_thread(check_production)
    except ConfigurationError as exc:
        log.critical("%s", exc)
        raise
    yield
