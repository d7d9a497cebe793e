"""Small French HTML pages the customer sees on our side (payment result, payment link)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from html import escape

from starlette.responses import HTMLResponse

from ..config import get_settings
from ..db import session_scope
from ..domain.dates import as_utc, format_paris, utcnow
from ..domain.money import format_eur
from ..domain.statuses import PaymentStatus
from ..services.payment.callbacks import CallbackResult
from ..services.reservation.result_pages import COOKIE, ResultContext, issue_pass, result_context

log = logging.getLogger(__name__)

STYLE = (
    "body{font-family:Arial,Helvetica,sans-serif;background:#f4f6f9;margin:0;color:#1c2024}"
    "main{max-width:520px;margin:48px auto;background:#fff;border-radius:8px;padding:28px 32px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.12)}h1{font-size:22px;margin-top:0}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px}dt{color:#60646c}"
    "button{padding:10px 18px;background:#0d74ce;color:#fff;border:0;border-radius:4px;font-size:15px}"
    "header{border-bottom:1px solid #e0e1e6;margin-bottom:18px;padding-bottom:12px}"
    "header strong{font-size:17px}header p{margin:2px 0;color:#60646c;font-size:14px}"
    "a{color:#0d74ce}a:focus-visible,button:focus-visible{outline:3px solid #f78f1e;outline-offset:2px}"
    ".back{display:inline-block;margin-top:14px;font-weight:bold}.mine{color:#1a7f37;font-weight:bold}"
)
HEAD = '<meta charset="utf-8"><link rel="icon" href="/favicon.ico">'


def page(
    title: str,
    message: str,
    details: Mapping[str, str] | None = None,
    *,
    status_code: int = 200,
    page_id: str = "result",
    header: str = "",
    footer: str = "",
) -> HTMLResponse:
    """`header` and `footer` are HTML already escaped by the caller."""
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in (details or {}).items())
    html = (
        f'<!doctype html><html lang="fr"><head>{HEAD}<title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style>'
        f'</head><body><main id="{escape(page_id)}">{header}<h1>{escape(title)}</h1><p>{escape(message)}</p>'
        f"{'<dl>' + rows + '</dl>' if rows else ''}{footer}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code)


RESULT_PAGES = {
    PaymentStatus.AUTORISE: (
        "Paiement accepté",
        "Votre paiement a bien été accepté. Un e-mail de confirmation vous sera envoyé.",
    ),
    PaymentStatus.REJETE: (
        "Paiement refusé",
        "Votre paiement a été refusé : aucun montant n'a été "
        "débité. Contactez votre conseiller pour effectuer un nouveau paiement.",
    ),
    PaymentStatus.ANNULE: ("Paiement annulé", "Vous avez annulé le paiement : aucun montant n'a été débité."),
    PaymentStatus.ERREUR: (
        "Paiement en erreur",
        "Une erreur est survenue pendant le paiement. Contactez votre conseiller.",
    ),
    PaymentStatus.ENVOYE: (
        "Paiement en cours de traitement",
        "Votre paiement est en cours de traitement ; vous recevrez un e-mail dès qu'il sera accepté.",
    ),
}


def _dealer_header(context: ResultContext) -> str:
    lines = "".join(f"<p>{escape(line)}</p>" for line in (context.pos_address, context.pos_phone) if line)
    return f'<header id="dealer"><strong>{escape(context.pos_name)}</strong>{lines}</header>'


def _footer(context: ResultContext) -> str:
    mine = ""
    if context.reserved_until is not None:
        until = format_paris(context.reserved_until)
        mine = f'<p class="mine" id="reserved-for-you">Réservé pour vous jusqu\'au {until}</p>'
    return f'{mine}<a class="back" id="back-link" href="{escape(context.back_url)}">{escape(context.back_label)}</a>'


def result_page(
    status: PaymentStatus, reference: str, amount_cents: int, context: ResultContext | None = None
) -> HTMLResponse:
    """The outcome, branded with the point of sale, with a way back; for a reservation that still
    holds the vehicle, the pass that lets this browser see it as its own (services/reservation/result_pages.py)."""
    title, message = RESULT_PAGES.get(status, ("Paiement enregistré", "Votre paiement a bien été enregistré."))
    if context is None:
        return page(title, message, payment_details(reference, amount_cents))
    response = page(
        title,
        message,
        payment_details(reference, amount_cents),
        header=_dealer_header(context),
        footer=_footer(context),
    )
    if context.reservation_vehicle_id is not None and context.reserved_until is not None:
        # The result of payment_id is known to be this reservation's: the caller passed its context.
        response.set_cookie(
            COOKIE,
            issue_pass(context.payment_id, context.reservation_vehicle_id, context.reserved_until),
            max_age=max(60, int((as_utc(context.reserved_until) - utcnow()).total_seconds())),
            path="/",
            httponly=True,
            samesite="lax",
            secure=get_settings().public_url.startswith("https://"),
        )
    return response


def _read_context(payment_id: int) -> ResultContext:
    with session_scope(write=False) as session:
        return result_context(session, payment_id)


async def branded_result_page(result: CallbackResult) -> HTMLResponse:
    """The result page of a verified PSP return, with its point of sale (read off the event loop)."""
    try:
        context = await asyncio.to_thread(_read_context, result.payment_id)
    except Exception:  # the outcome is recorded: showing it matters more than the decoration
        log.exception("result page of %s: point of sale not read", result.reference)
        context = None
    return result_page(result.status, result.reference, result.amount_cents, context)


def payment_details(reference: str, amount_cents: int) -> dict[str, str]:
    return {"Référence": reference, "Montant": format_eur(amount_cents)}


# The one inline script of our own pages: its hash is allowed by the CSP (api/security.py).
AUTO_POST_SCRIPT = "document.getElementById('psp-form').submit();"


def auto_post(action: str, fields: Mapping[str, str], title: str) -> HTMLResponse:
    """An auto-submitting form (with a button when JavaScript is off)."""
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())
    html = (
        f'<!doctype html><html lang="fr"><head>{HEAD}<title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main><h1>{escape(title)}</h1>"
        f'<form method="post" action="{escape(action)}" id="psp-form">{inputs}'
        '<button type="submit">Continuer vers le paiement sécurisé</button></form>'
        f"<script>{AUTO_POST_SCRIPT}</script></main></body></html>"
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
