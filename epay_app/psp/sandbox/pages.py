"""The hosted pages, in French, laid out like the guide's screenshot of Worldline's page."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from html import escape
from typing import Any

STYLE = """
body{font-family:Arial,Helvetica,sans-serif;background:#f2f4f7;margin:0;color:#222}
main{max-width:440px;margin:32px auto;background:#fff;border-radius:8px;padding:24px 28px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
.amount{font-size:28px;font-weight:bold;text-align:center;margin:4px 0 12px}
.meta{font-size:14px;margin:2px 0;text-align:center}
label{display:block;font-size:12px;font-weight:bold;margin:14px 0 4px;letter-spacing:.02em}
input{width:100%;box-sizing:border-box;padding:9px;border:1px solid #bbb;border-radius:4px;font-size:15px}
.row{display:flex;gap:8px;align-items:center}.row input{width:6em}
.error{color:#b00020;font-size:13px;margin-top:4px}
.confirm{margin-top:20px;width:100%;padding:12px;background:#0066a1;color:#fff;border:0;
border-radius:4px;font-size:16px;cursor:pointer}
.actions{display:flex;justify-content:space-between;margin-top:14px}
.actions a,.actions button{background:none;border:0;color:#0066a1;font-size:14px;cursor:pointer;
text-decoration:underline;padding:0}
footer{text-align:center;font-size:12px;color:#666;margin-top:22px}
"""


def amount_text(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f} EUR"


def _layout(title: str, body: str, status_note: str = "") -> str:
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="/favicon.ico">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body}"
        f"<footer>{status_note}Paiement traité par <strong>WORLDLINE</strong></footer></main></body></html>"
    )


def _header(txn: Mapping[str, Any], merchant_name: str) -> str:
    return (
        f'<div class="amount" id="amount">{amount_text(txn["amount"])}</div>'
        f'<p class="meta">Référence de la commande : <span id="order-id">{escape(txn["order_id"])}</span></p>'
        f'<p class="meta">Bénéficiaire : <span id="merchant-name">{escape(merchant_name)}</span></p>'
    )


def payment_page(
    txn: Mapping[str, Any],
    merchant_name: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    values, errors = values or {}, errors or {}

    def field(name: str, **attrs: str) -> str:
        extra = " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items())
        return f'<input id="{name}" name="{name}" value="{escape(values.get(name, ""))}" {extra}>'

    def error(name: str) -> str:
        return f'<div class="error" id="error-{name}">{escape(errors[name])}</div>' if name in errors else ""

    sid = escape(txn["id"])
    body = (
        _header(txn, merchant_name)
        + '<p class="meta">PAYER AVEC : <strong>VISA</strong></p>'
        + f'<form method="post" action="/payment/{sid}" id="card-form" novalidate>'
        + '<label for="holder">TITULAIRE DE LA CARTE*</label>'
        + field("holder", autocomplete="cc-name")
        + error("holder")
        + '<label for="card_number">NUMÉRO DE LA CARTE*</label>'
        + field("card_number", inputmode="numeric", autocomplete="cc-number")
        + error("card_number")
        + '<label for="exp_month">DATE D\'EXPIRATION (MM / AAAA)*</label><div class="row">'
        + field("exp_month", inputmode="numeric", maxlength="2", placeholder="MM")
        + " / "
        + field("exp_year", inputmode="numeric", maxlength="4", placeholder="AAAA")
        + "</div>"
        + error("expiry")
        + '<label for="cvc">CODE DE VÉRIFICATION DE LA CARTE*</label><div class="row">'
        + field("cvc", inputmode="numeric", maxlength="4", autocomplete="cc-csc")
        + ' <span title="Les 3 ou 4 chiffres au dos de la carte">?</span></div>'
        + error("cvc")
        + '<button type="submit" class="confirm" id="confirm">Oui, je confirme mon paiement</button>'
        + "</form>"
        + f'<form method="post" action="/payment/{sid}/cancel" class="actions">'
        + f'<a href="/payment/{sid}/means" id="back">Retour</a>'
        + '<button type="submit" id="cancel">Annulation</button></form>'
    )
    return _layout("Paiement", body)


def means_page(txn: Mapping[str, Any], merchant_name: str) -> str:
    """Where "Retour" leads: the choice of the means of payment (only VISA here)."""
    sid = escape(txn["id"])
    body = (
        _header(txn, merchant_name)
        + '<p class="meta">Choisissez votre moyen de paiement :</p>'
        + f'<p class="meta"><a href="/payment/{sid}" id="visa"><strong>VISA</strong></a></p>'
        + f'<form method="post" action="/payment/{sid}/cancel" class="actions">'
        + '<span></span><button type="submit" id="cancel">Annulation</button></form>'
    )
    return _layout("Paiement", body)


def error_page(code: str, message: str) -> str:
    body = (
        '<h1 style="font-size:20px">Paiement impossible</h1>'
        f'<p id="error-message">{escape(message)}</p>'
        f'<p>Code réponse : <span id="response-code">{escape(code)}</span></p>'
    )
    return _layout("Erreur de paiement", body)


def redirect_page(action: str, fields: Mapping[str, str], note: str) -> str:
    """Send the browser on with an auto-submitting form (a button without JavaScript)."""
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())
    body = (
        f'<p>{escape(note)}</p><form method="post" action="{escape(action)}" id="return-form">'
        f'{inputs}<button type="submit" class="confirm">Retour au site du marchand</button></form>'
        "<script>document.getElementById('return-form').submit();</script>"
    )
    return _layout("Retour au site du marchand", body)
