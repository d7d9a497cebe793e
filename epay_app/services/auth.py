"""Passwords (scrypt) and login sessions."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from ..domain.dates import as_utc, utcnow
from ..domain.errors import DomainError
from ..models import User, UserSession

_N, _R, _P = 2**14, 8, 1
SESSION_DAYS = 7
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 5


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt${}${}${}${}${}".format(
        _N, _R, _P, base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if algo != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt_b64),
            n=int(n), r=int(r), p=int(p), dklen=32,
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


def login(session: Session, email: str, password: str) -> str:
    """Check the credentials and open a session. Returns the session token.

    After MAX_FAILED_LOGINS consecutive failures the account is locked for LOCK_MINUTES
    (the counter lives in the database, so it holds across workers). Failures are committed
    by the caller's transaction even though LoginFailed is raised: see `login_or_count_failure`.
    """
    user = session.exec(
        select(User).where(User.email == (email or "").strip().lower()).with_for_update()
    ).first()
    now = utcnow()
    if user is not None and user.locked_until is not None and as_utc(user.locked_until) > now:
        raise LoginLocked("Trop de tentatives de connexion. Réessayez dans quelques minutes.")
    if user is None or not user.active or not verify_password(password or "", user.password_hash):
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                user.failed_logins = 0
            session.add(user)
            session.commit()
        raise LoginFailed("Identifiant ou mot de passe incorrect.")
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    token = secrets.token_urlsafe(32)
    session.add(UserSession(
        token_hash=_token_hash(token), user_id=user.id,
        expires_at=utcnow() + timedelta(days=SESSION_DAYS),
    ))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    row = session.exec(select(UserSession).where(UserSession.token_hash == _token_hash(token))).first()
    if row is None or as_utc(row.expires_at) < utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user and user.active else None


def logout(session: Session, token: str) -> None:
    row = session.exec(select(UserSession).where(UserSession.token_hash == _token_hash(token))).first()
    if row is not None:
        session.delete(row)
