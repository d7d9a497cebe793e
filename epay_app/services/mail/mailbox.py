"""Read what the demo SMTP sink stored (emails/sink.py), for the "Boîte mail (démo)" page.

The sink holds every customer's mail and working payment links: only a logged-in
administrator reads it, and only in demo mode (`check_reader`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from ...config import Settings, get_settings
from ...domain.dates import format_paris
from ...domain.errors import DomainError
from ...domain.roles import GroupType
from ...models import User

_MAIL_ID = re.compile(r"[0-9A-Za-z_-]{1,100}", re.ASCII)  # a file stem, never a path (fullmatch)


class MailboxClosed(DomainError):
    """Not demo mode, or the viewer is not a logged-in administrator."""


def check_reader(user: User | None, settings: Settings | None = None) -> User:
    settings = settings or get_settings()
    if not settings.demo:
        raise MailboxClosed("La boîte mail de démonstration n'existe qu'en mode démo.")
    if user is None or user.group_type != GroupType.ADMINISTRATEUR.value:
        raise MailboxClosed("Accès refusé : la boîte mail de démonstration est réservée aux administrateurs.")
    return user


@dataclass(frozen=True)
class StoredMail:
    id: str
    subject: str
    to: str
    sender: str
    date: str  # "16/12/2024 à 16h32", Europe/Paris
    message_id: str
    text: str = ""
    html: str = ""


def _directory(directory: Path | None) -> Path:
    return Path(directory) if directory is not None else get_settings().mail_sink_dir


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None and part.get_content_subtype() == subtype else ""


def _parse(path: Path, with_bodies: bool) -> StoredMail:
    message = BytesParser(policy=default_policy).parsebytes(path.read_bytes(), headersonly=not with_bodies)
    try:
        date = format_paris(parsedate_to_datetime(str(message["Date"])))
    except (TypeError, ValueError):
        date = ""
    return StoredMail(
        id=path.stem,
        subject=str(message.get("Subject", "")),
        to=str(message.get("To", "")),
        sender=str(message.get("From", "")),
        date=date,
        message_id=str(message.get("Message-ID", "")),
        text=_part(message, "plain") if with_bodies else "",
        html=_part(message, "html") if with_bodies else "",
    )


def list_mails(directory: Path | None = None, limit: int = 100) -> list[StoredMail]:
    """The newest first, headers only."""
    folder = _directory(directory)
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.eml"), key=lambda p: p.name, reverse=True)[:limit]
    return [_parse(path, with_bodies=False) for path in paths]


def read_mail(mail_id: str, directory: Path | None = None) -> StoredMail | None:
    if not isinstance(mail_id, str) or not _MAIL_ID.fullmatch(mail_id):
        return None
    path = _directory(directory) / f"{mail_id}.eml"
    return _parse(path, with_bodies=True) if path.is_file() else None
