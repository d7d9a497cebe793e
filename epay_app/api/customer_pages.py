"""Small French HTML pages the customer sees on our side (payment result, payment link)."""

from __future__ import annotations

from html import escape
from typing import Mapping

from starlette.responses import HTMLResponse

from ..domain.money import format_eur
from ..domain.statuses import PaymentStatus

STYLE = (
    "body{font-family:Arial,Helvetica,sans-serif;background:#f4f6f9;margin:0;color:#1c2024}"
    "main{max-width:520px;margin:48px auto;background:#fff;border-radius:8px;padding:28px 32px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.12)}h1{font-size:22px;margin-top:0}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px}dt{color:#60646c}"
    "button{padding:10px 18px;background:#0d74ce;color:#fff;border:0;border-radius:4px;font-size:15px}"
)


def page(
    title: str,
    message: str,
    details: Mapping[str, str] | None = None,
    *,
    status_code: int = 200,
    page_id: str = "result",
) -> HTMLResponse:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in (details or {}).items())
    html = (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style>'
        f'</head><body><main id="{escape(page_id)}"><h1>{escape(title)}</h1><p>{escape(message)}</p>'
        f"{'<dl>' + rows + '</dl>' if rows else ''}</main></body></html>"
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


def result_page(status: PaymentStatus, reference: str, amount_cents: int) -> HTMLResponse:
    title, message = RESULT_PAGES.get(status, ("Paiement enregistré", "Votre paiement a bien été enregistré."))
    return page(title, message, payment_details(reference, amount_cents))


def payment_details(reference: str, amount_cents: int) -> dict[str, str]:
    return {"Référence": reference, "Montant": format_eur(amount_cents)}


# The one inline script of our own pages: its hash is allowed by the CSP (api/security.py).
AUTO_POST_SCRIPT = "document.getElementById('psp-form').submit();"


def auto_post(action: str, fields: Mapping[str, str], title: str) -> HTMLResponse:
    """An auto-submitting form (with a button when JavaScript is off)."""
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())
    html = (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main><h1>{escape(title)}</h1>"
        f'<form method="post" action="{escape(action)}" id="psp-form">{inputs}'
        '<button type="submit">Continuer vers le paiement sécurisé</button></form>'
        f"<script>{AUTO_POST_SCRIPT}</script></main></body></html>"
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
