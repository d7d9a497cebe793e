"""What the offer and order pages share: printing a PDF, and the actions not in this demo."""

from __future__ import annotations

import reflex as rx

from ..db import session_scope
from ..domain.errors import DomainError
from ..domain.inputs import parse_id

NOT_AVAILABLE = "Cette action n'est pas disponible dans cette démonstration."


def pdf_download(make_pdf, number: str, user):
    """`make_pdf(session, number, user) -> (filename, bytes)` offered as a download, or a toast."""
    try:
        with session_scope(write=False) as session:
            filename, pdf = make_pdf(session, parse_id(number, "Document introuvable."), user)
    except DomainError as exc:
        return rx.toast.error(str(exc))
    return rx.download(data=pdf, filename=filename, mime_type="application/pdf")
