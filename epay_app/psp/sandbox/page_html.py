"""The HTML both hosted pages share: the Worldline look, the amount header and the card fields."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from html import escape
from typing import NamedTuple

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


def layout(title: str, body: str, status_note: str = "") -> str:
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="/favicon.ico">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body}"
        f"<footer>{status_note}Paiement traité par <strong>WORLDLINE</strong></footer></main></body></html>"
    )


def amount_header(amount: int, reference: str, reference_id: str, merchant_name: str) -> str:
    return (
        f'<div class="amount" id="amount">{amount_text(amount)}</div>'
        f'<p class="meta">Référence de la commande : <span id="{reference_id}">{escape(reference)}</span></p>'
        f'<p class="meta">Bénéficiaire : <span id="merchant-name">{escape(merchant_name)}</span></p>'
    )


class CardFieldNames(NamedTuple):
    """Each protocol's names for the form fields (also their ids and error keys)."""

    holder: str
    number: str
    month: str
    year: str
    cvc: str
    cvc_label: str


def card_fields(names: CardFieldNames, values: Mapping[str, str], errors: Mapping[str, str]) -> str:
    """Holder, number, expiry and CVC inputs, each with its French error under it."""

    def field(name: str, **attrs: str) -> str:
        extra = " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items())
        return f'<input id="{name}" name="{name}" value="{escape(values.get(name, ""))}" {extra}>'

    def error(name: str) -> str:
        return f'<div class="error" id="error-{name}">{escape(errors[name])}</div>' if name in errors else ""

    return (
        f'<label for="{names.holder}">TITULAIRE DE LA CARTE*</label>'
        + field(names.holder, autocomplete="cc-name")
        + error(names.holder)
        + f'<label for="{names.number}">NUMÉRO DE LA CARTE*</label>'
        + field(names.number, inputmode="numeric", autocomplete="cc-number")
        + error(names.number)
        + f'<label for="{names.month}">DATE D\'EXPIRATION (MM / AAAA)*</label><div class="row">'
        + field(names.month, inputmode="numeric", maxlength="2", placeholder="MM")
        + " / "
        + field(names.year, inputmode="numeric", maxlength="4", placeholder="AAAA")
        + "</div>"
        + error("expiry")
        + f'<label for="{names.cvc}">{names.cvc_label}*</label><div class="row">'
        + field(names.cvc, inputmode="numeric", maxlength="4", autocomplete="cc-csc")
        + ' <span title="Les 3 ou 4 chiffres au dos de la carte">?</span></div>'
        + error(names.cvc)
    )
