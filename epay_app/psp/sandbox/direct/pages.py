"""The Direct hosted checkout pages, in French, in the look of the Sips page."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from ..page_html import CardFieldNames, amount_header, card_fields, layout

DIRECT_FIELDS = CardFieldNames(
    "cardholderName", "cardNumber", "expiryMonth", "expiryYear", "cvv", "CRYPTOGRAMME VISUEL (CVC)"
)


def _header(amount: int, reference: str, merchant_name: str) -> str:
    return amount_header(amount, reference, "merchant-reference", merchant_name)


def checkout_page(
    action: str,
    amount: int,
    reference: str,
    merchant_name: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    body = (
        _header(amount, reference, merchant_name)
        + '<p class="meta">PAYER PAR CARTE : <strong>VISA</strong> · <strong>MASTERCARD</strong></p>'
        + f'<form method="post" action="{escape(action)}" id="card-form" novalidate>'
        + card_fields(DIRECT_FIELDS, values or {}, errors or {})
        + '<button type="submit" class="confirm" id="pay" name="action" value="pay">Payer</button>'
        + '<div class="actions"><span></span>'
        + '<button type="submit" id="cancel" name="action" value="cancel">Annuler le paiement</button></div>'
        + "</form>"
    )
    return layout("Paiement", body)


def challenge_page(action: str, amount: int, reference: str, merchant_name: str, masked: str) -> str:
    body = (
        '<h1 style="font-size:20px;text-align:center">Authentification 3-D Secure</h1>'
        + _header(amount, reference, merchant_name)
        + f'<p class="meta">Carte : <span id="masked-card">{escape(masked)}</span></p>'
        + "<p>Votre banque vous demande de confirmer ce paiement. Saisissez le code reçu par SMS "
        "(environnement de test : n'importe quel code), puis validez.</p>"
        + f'<form method="post" action="{escape(action)}" id="challenge-form">'
        + '<label for="otp">CODE DE CONFIRMATION</label><input id="otp" name="otp" inputmode="numeric">'
        + '<button type="submit" class="confirm" id="validate" name="action" value="validate">Valider</button>'
        + "</form>"
    )
    return layout("Authentification 3-D Secure", body)


RESULTS = {
    "SUCCESSFUL": ("Paiement accepté", "Votre paiement a été accepté."),
    "REJECTED": ("Paiement refusé", "Votre paiement a été refusé."),
    "CANCELLED_BY_CONSUMER": ("Paiement annulé", "Le paiement a été annulé ou la session a expiré."),
}


def result_page(outcome: str) -> str:
    title, message = RESULTS[outcome]
    body = f'<h1 style="font-size:20px" id="result">{escape(title)}</h1><p>{escape(message)}</p>'
    return layout(title, body)


def error_page(message: str) -> str:
    body = f'<h1 style="font-size:20px">Paiement impossible</h1><p id="error-message">{escape(message)}</p>'
    return layout("Erreur de paiement", body)
