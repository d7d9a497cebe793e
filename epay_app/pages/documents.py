"""What the offer and order pages share: printing a PDF, and the actions not in this demo."""

from __future__ import annotations

import asyncio

import reflex as rx

from ..db import session_scope
from ..domain.errors import DomainError
from ..domain.inputs import parse_id
from ..services.documents import PdfFile

NOT_AVAILABLE = "Cette action n'est pas disponible dans cette démonstration."


def _build(make_pdf, number: str, user, *args) -> PdfFile:
    with session_scope(write=False) as session:
        return make_pdf(session, parse_id(number, "Document introuvable."), *args, user)


async def pdf_download(make_pdf, number: str, user, *args):
    """`make_pdf(session, id, *args, user) -> PdfFile` built in a worker thread and offered as a
    download, or a toast (not found, out of scope, not available)."""
    if user is None:
        return rx.toast.error("Session expirée.")
    try:
        pdf = await asyncio.to_thread(_build, make_pdf, number, user, *args)
    except DomainError as exc:
        return rx.toast.error(str(exc))
    return rx.download(data=pdf.content, filename=pdf.filename, mime_type="application/pdf")
