"""Passwords (scrypt) and login sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from ...domain.dates import as_utc, utcnow
from ...domain.errors import DomainError, ValidationError
from ...domain.roles import GroupType
from ...models import Entity, LoginThrottle, PointOfSale, User, UserSession

_N, _R, _P = 2**14, 8, 1
SESSION_DAYS = 7
SESSION_COOKIE = "epay_session"  # HttpOnly, set by api/session.py


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        if "\x00" in password:
            return False
        algo, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if algo != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt_b64),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


class LoginFailed(DomainError):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LoginLocked(LoginFailed):
    pass


class WeakPassword(DomainError):
    pass


# --- throttling ------------------------------------------------------------------------------
# Failures are counted per account (whatever the address), per client address (whatever the
# account) and per pair. Past a number of free failures each key must wait, doubling from
# BASE_WAIT up to MAX_WAIT: an attacker is slowed to one guess per MAX_WAIT, the owner is never
# locked out for good (the wait ends, an administrator can reset it, and failures from another
# address only count against the account past ACCOUNT_FREE_FAILURES). Unknown e-mails are
# counted exactly like known ones: the throttle does not reveal which accounts exist.
MAX_FAILED_LOGINS = 5  # free failures for one account from one address
ADDRESS_FREE_FAILURES = 20  # free failures from one address, all accounts together
ACCOUNT_FREE_FAILURES = 50  # free failures for one account, all addresses together
BASE_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET_FAILURES_AFTER = timedelta(hours=24)
MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 256
LOGIN_FAILED = "Identifiant ou mot de passe incorrect."


def wait_after(failures: int, free: int) -> timedelta | None:
    """The wait imposed after `failures` consecutive failures of a key allowed `free` ones."""
    if failures < free:
        return None
    return min(BASE_WAIT * 2 ** min(failures - free, 20), MAX_WAIT)


def normalise_email(email: object) -> str:
    return email.strip().lower() if isinstance(email, str) else ""


def _keys(email: str, address: str) -> list[tuple[str, int]]:
    address = (address or "inconnue")[:64]
    email = email[:MAX_EMAIL_LENGTH]
    return [
        (f"pair:{email}|{address}", MAX_FAILED_LOGINS),
        (f"address:{address}", ADDRESS_FREE_FAILURES),
        (f"account:{email}", ACCOUNT_FREE_FAILURES),
    ]


def _throttle_rows(session: Session, keys: list[tuple[str, int]], now) -> list[tuple[LoginThrottle, int]]:
    rows = []
    for key, free in keys:
        row = session.exec(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).first()
        if row is None:
            row = LoginThrottle(key=key)
        elif row.last_failure_at is not None and now - as_utc(row.last_failure_at) > FORGET_FAILURES_AFTER:
            row.failures, row.blocked_until = 0, None
        rows.append((row, free))
    return rows


def _locked_message(until) -> str:
    minutes = max(1, -(-int((as_utc(until) - utcnow()).total_seconds()) // 60))
    return (
        f"Trop de tentatives de connexion. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}, "
        "ou demandez à un administrateur de débloquer le compte."
    )


_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash with the same cost as a real one, checked when the e-mail is unknown."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


def login(session: Session, email: object, password: object, client_address: str = "") -> str:
    """Check the credentials and open a session. Returns the session token.

    The same work whether the e-mail exists or not (one scrypt, the same throttle rows), so
    neither the answer, its time nor the throttle tells which accounts exist. Failures are
    committed here even though LoginFailed is raised (the caller's transaction then rolls
    back nothing)."""
    email = normalise_email(email)
    password = password if isinstance(password, str) else ""
    well_formed = (
        0 < len(email) <= MAX_EMAIL_LENGTH
        and len(password) <= MAX_PASSWORD_LENGTH
        and "\x00" not in email
        and "\x00" not in password
    )
    now = utcnow()
    rows = _throttle_rows(session, _keys(email if well_formed else "", client_address), now)
    blocked = [
        as_utc(r.blocked_until) for r, _ in rows if r.blocked_until is not None and as_utc(r.blocked_until) > now
    ]
    if blocked:
        raise LoginLocked(_locked_message(max(blocked)))
    user = session.exec(select(User).where(User.email == email)).first() if well_formed else None
    stored = user.password_hash if user is not None else _dummy()
    valid = verify_password(password if well_formed else "", stored)
    if not (valid and user is not None and user.active):
        for row, free in rows:
            row.failures += 1
            row.last_failure_at = now
            wait = wait_after(row.failures, free)
            row.blocked_until = now + wait if wait else None
            session.add(row)
        session.commit()
        raise LoginFailed(LOGIN_FAILED)
    for row, _free in rows:
        if not row.key.startswith("address:") and row.failures:
            row.failures, row.blocked_until = 0, None
            session.add(row)
    token = secrets.token_urlsafe(32)
    assert user.id is not None  # read from the database
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            expires_at=utcnow() + timedelta(days=SESSION_DAYS),
        )
    )
    return token


def reset_login_throttle(session: Session, administrator: User | None, email: str) -> int:
    """An administrator lifts the waits of an account (all addresses). Returns the rows cleared."""
    if administrator is None or administrator.group_type != GroupType.ADMINISTRATEUR.value:
        raise PermissionError("Seul un administrateur peut débloquer un compte.")
    email = normalise_email(email)
    rows = session.exec(
        select(LoginThrottle).where(
            or_(
                col(LoginThrottle.key) == f"account:{email}",
                col(LoginThrottle.key).startswith(f"pair:{email}|", autoescape=True),
            )
        )
    ).all()
    for row in rows:
        session.delete(row)
    return len(rows)


# --- password policy (accounts created or changed in the app) --------------------------------
MIN_PASSWORD_LENGTH = 12
_COMMON = {
    "epaiement",
    "motdepasse",
    "password",
    "azertyuiop",
    "123456789012",
    "openflex",
    "bienvenue",
    "soleil",
    "azerty",
}


def password_problems(password: object, email: str = "") -> list[str]:
    """Why a new password is refused, in French (empty: accepted)."""
    if not isinstance(password, str):
        return ["Le mot de passe est obligatoire."]
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Le mot de passe ne doit pas dépasser {MAX_PASSWORD_LENGTH} caractères.")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        problems.append("Le mot de passe ne doit pas contenir de caractère de contrôle.")
    kinds = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if kinds < 3:
        problems.append(
            "Le mot de passe doit mêler au moins trois types de caractères parmi : minuscules, "
            "majuscules, chiffres, symboles."
        )
    lowered = password.lower()
    local = normalise_email(email).split("@")[0]
    if any(word in lowered for word in _COMMON) or (len(local) >= 3 and local in lowered):
        problems.append("Le mot de passe est trop facile à deviner (mot courant ou adresse e-mail).")
    return problems


def set_password(session: Session, user: User, new_password: str) -> None:
    """Change a user's password after the policy check; ends the user's other sessions."""
    problems = password_problems(new_password, user.email)
    if problems:
        raise WeakPassword(" ".join(problems))
    user.password_hash = hash_password(new_password)
    session.add(user)
    for row in session.exec(select(UserSession).where(UserSession.user_id == user.id)).all():
        session.delete(row)


EXCHANGE_SECONDS = 60


def issue_exchange_ticket(session: Session, token: str) -> str:
    """A one-time ticket, valid a minute, that the browser trades for the session cookie."""
    row = session.exec(select(UserSession).where(UserSession.token_hash == _token_hash(token))).first()
    if row is None:
        raise DomainError("Session inconnue.")
    ticket = secrets.token_urlsafe(32)
    row.exchange_hash = _token_hash(ticket)
    row.exchange_expires_at = utcnow() + timedelta(seconds=EXCHANGE_SECONDS)
    session.add(row)
    return ticket


def exchange_ticket(session: Session, ticket: object) -> str | None:
    """Trade a ticket for the session token, once: the token is rotated here, so the one the
    login handler held (on the websocket, in the state) is worthless afterwards."""
    if not isinstance(ticket, str) or not 0 < len(ticket) <= 100:
        return None
    row = session.exec(select(UserSession).where(UserSession.exchange_hash == _token_hash(ticket))).first()
    if row is None:
        return None
    expired = row.exchange_expires_at is None or as_utc(row.exchange_expires_at) < utcnow()
    row.exchange_hash = row.exchange_expires_at = None
    if expired or as_utc(row.expires_at) < utcnow():
        session.add(row)
        return None
    token = secrets.token_urlsafe(32)
    row.token_hash = _token_hash(token)
    session.add(row)
    return token


def login_for_cookie(session: Session, email: object, password: object, client_address: str = "") -> str:
    """The login form's use case: check the credentials, open a session, and answer the
    one-time ticket the browser trades for the HttpOnly cookie (api/session.py)."""
    return issue_exchange_ticket(session, login(session, email, password, client_address=client_address))


def user_for_token(session: Session, token: str) -> User | None:
    user_id = session_user_id(session, token)
    return None if user_id is None else session.get(User, user_id)


def user_and_places_for_token(session: Session, token: str) -> tuple[User, Entity | None, PointOfSale | None] | None:
    """`user_for_token`, with the user's entity and point of sale, in one query: every guarded
    event asks (a statement each was a round trip each, and a wait for the GIL under load)."""
    if not token:
        return None
    row = session.exec(
        select(UserSession.expires_at, User, Entity, PointOfSale)
        .join(User, col(User.id) == col(UserSession.user_id))
        .outerjoin(Entity, col(Entity.id) == col(User.entity_id))
        .outerjoin(PointOfSale, col(PointOfSale.id) == col(User.pos_id))
        .where(UserSession.token_hash == _token_hash(token))
    ).first()
    if row is None or not _session_open(row[0], row[1].active):
        return None
    return row[1], row[2], row[3]


def session_user_id(session: Session, token: str) -> int | None:
    """The id of the active user behind a valid session token, in one query (a live page asks
    at each refresh); None for an empty, unknown or expired token or an inactive user."""
    if not token:
        return None
    row = session.exec(
        select(UserSession.expires_at, User.id, User.active)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(UserSession.token_hash == _token_hash(token))
    ).first()
    if row is None or not _session_open(row[0], row[2]):
        return None
    return row[1]


def _session_open(expires_at: datetime, user_active: bool) -> bool:
    """A session serves its user until it expires, and only while the user is active."""
    return as_utc(expires_at) >= utcnow() and bool(user_active)


def logout(session: Session, token: str) -> None:
    row = session.exec(select(UserSession).where(UserSession.token_hash == _token_hash(token))).first()
    if row is not None:
        session.delete(row)


def change_own_password(session: Session, user: User, current: object, new: object, confirm: object) -> None:
    """ "Mon compte": the user changes their password. Field errors in French; nothing written
    on any error. Every session of the user ends (the caller sends them to the login page)."""
    current, new, confirm = (v if isinstance(v, str) else "" for v in (current, new, confirm))
    if not verify_password(current[:MAX_PASSWORD_LENGTH], user.password_hash):
        raise ValidationError({"current": "Mot de passe actuel incorrect."})
    problems = password_problems(new, user.email)
    if problems:
        raise ValidationError({"new": " ".join(problems)})
    if new != confirm:
        raise ValidationError({"confirm": "Les deux saisies du nouveau mot de passe diffèrent."})
    if new == current:
        raise ValidationError({"new": "Le nouveau mot de passe doit être différent de l'actuel."})
    set_password(session, user, new)


ACCOUNT_NOT_FOUND = "Aucun compte de votre entité ne correspond à cette adresse e-mail."


def unlock_entity_account(session: Session, administrator: User, email: object) -> int:
    """An administrator lifts the login waits of an account of their own entity (another
    entity's account, or no account, reads as not found)."""
    address = normalise_email(email)
    well_formed = 0 < len(address) <= MAX_EMAIL_LENGTH and "\x00" not in address
    target = session.exec(select(User).where(User.email == address)).first() if well_formed else None
    if target is None or target.entity_id != administrator.entity_id:
        raise ValidationError({"email": ACCOUNT_NOT_FOUND})
    return reset_login_throttle(session, administrator, address)
