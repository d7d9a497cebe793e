"""What the offer and order pages share: printing a PDF, and the actions not in this demo."""

from __future__ import annotations

import reflex as rx

from ..domain.inputs import parse_id
from ..services.sales.documents import PdfFile

NOT_AVAILABLE = "Cette action n'est pas disponible dans cette démonstration."


def _build(session, make_pdf, number: str, user, *args) -> PdfFile:
    return make_pdf(session, parse_id(number, "Document introuvable."), *args, user)


async def pdf_download(state, make_pdf, number: str, user, *args):
    """`make_pdf(session, id, *args, user) -> PdfFile` built in a worker thread (AppState._run)
    and offered as a download, or a toast (not found, out of scope, not available)."""
    if user is None:
        return rx.toast.error("Session expirée.")
    outcome = await state._run(_build, make_pdf, number, user, *args, write=False)
    if not outcome.ok:
        return outcome.toast()
    pdf = outcome.value
    return rx.download(data=pdf.content, filename=pdf.filename, mime_type="application/pdf")
