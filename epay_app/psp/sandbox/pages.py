"""The hosted pages, in French, laid out like the guide's screenshot of Worldline's page."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from .page_html import CardFieldNames, amount_header, card_fields, layout

SIPS_FIELDS = CardFieldNames(
    "holder", "card_number", "exp_month", "exp_year", "cvc", "CODE DE VÉRIFICATION DE LA CARTE"
)


def _header(txn: Mapping[str, Any], merchant_name: str) -> str:
    return amount_header(txn["amount"], txn["order_id"], "order-id", merchant_name)


def payment_page(
    txn: Mapping[str, Any],
    merchant_name: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    sid = escape(txn["id"])
    body = (
        _header(txn, merchant_name)
        + '<p class="meta">PAYER AVEC : <strong>VISA</strong></p>'
        + f'<form method="post" action="/payment/{sid}" id="card-form" novalidate>'
        + card_fields(SIPS_FIELDS, values or {}, errors or {})
        + '<button type="submit" class="confirm" id="confirm">Oui, je confirme mon paiement</button>'
        + "</form>"
        + f'<form method="post" action="/payment/{sid}/cancel" class="actions">'
        + f'<a href="/payment/{sid}/means" id="back">Retour</a>'
        + '<button type="submit" id="cancel">Annulation</button></form>'
    )
    return layout("Paiement", body)


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
    return layout("Paiement", body)


def error_page(code: str, message: str) -> str:
    body = (
        '<h1 style="font-size:20px">Paiement impossible</h1>'
        f'<p id="error-message">{escape(message)}</p>'
        f'<p>Code réponse : <span id="response-code">{escape(code)}</span></p>'
    )
    return layout("Erreur de paiement", body)


def redirect_page(action: str, fields: Mapping[str, str], note: str) -> str:
    """Send the browser on with an auto-submitting form (a button without JavaScript)."""
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())
    body = (
        f'<p>{escape(note)}</p><form method="post" action="{escape(action)}" id="return-form">'
        f'{inputs}<button type="submit" class="confirm">Retour au site du marchand</button></form>'
        "<script>document.getElementById('return-form').submit();</script>"
    )
    return layout("Retour au site du marchand", body)
