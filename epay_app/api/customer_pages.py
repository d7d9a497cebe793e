"""Small French HTML pages the customer sees on our side (payment result, payment link)."""
from __future__ import annotations

from html import escape
from typing import Mapping

from starlette.responses import HTMLResponse

from ..domain.money import format_eur

STYLE = (
    "body{font-family:Arial,Helvetica,sans-serif;background:#f4f6f9;margin:0;color:#1c2024}"
    "main{max-width:520px;margin:48px auto;background:#fff;border-radius:8px;padding:28px 32px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.12)}h1{font-size:22px;margin-top:0}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px}dt{color:#60646c}"
    "button{padding:10px 18px;background:#0d74ce;color:#fff;border:0;border-radius:4px;font-size:15px}"
)


def page(title: str, message: str, details: Mapping[str, str] | None = None, *,
         status_code: int = 200, page_id: str = "result") -> HTMLResponse:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in (details or {}).items())
    html = (
        f"<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style>"
        f"</head><body><main id=\"{escape(page_id)}\"><h1>{escape(title)}</h1><p>{escape(message)}</p>"
        f"{'<dl>' + rows + '</dl>' if rows else ''}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code)


def payment_details(reference: str, amount_cents: int) -> dict[str, str]:
    return {"Référence": reference, "Montant": format_eur(amount_cents)}


def auto_post(action: str, fields: Mapping[str, str], title: str) -> HTMLResponse:
    """An auto-submitting form (with a button when JavaScript is off)."""
    inputs = "".join(f"<input type=\"hidden\" name=\"{escape(k)}\" value=\"{escape(v)}\">"
                     for k, v in fields.items())
    html = (
        f"<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><main><h1>{escape(title)}</h1>"
        f"<form method=\"post\" action=\"{escape(action)}\" id=\"psp-form\">{inputs}"
        "<button type=\"submit\">Continuer vers le paiement sécurisé</button></form>"
        "<script>document.getElementById('psp-form').submit();</script></main></body></html>"
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
