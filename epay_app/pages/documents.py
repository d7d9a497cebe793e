"""What the offer and order pages share: printing a PDF, and the actions not in this demo."""

from __future__ import annotations

import reflex as rx

from ..domain.inputs import parse_id


def _make_pdf(session, make_pdf, number: str, user):
    return make_pdf(session, parse_id(number, "Document introuvable."), user)


NOT_AVAILABLE = "Cette action n'est pas disponible dans cette démonstration."


async def pdf_download(state, make_pdf, number: str, user):
    """`make_pdf(session, number, user) -> (filename, bytes)` offered as a download, or a toast."""
    outcome = await state._run(_make_pdf, make_pdf, number, user, write=False)
    if not outcome.ok:
        return outcome.toast()
    filename, pdf = outcome.value
    return rx.download(data=pdf, filename=filename, mime_type="application/pdf")
