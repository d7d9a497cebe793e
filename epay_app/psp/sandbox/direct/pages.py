"""The Direct hosted checkout pages, in French, in the look of the Sips page."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from ..pages import _layout, amount_text


def _header(amount: int, reference: str, merchant_name: str) -> str:
    return (
        f'<div class="amount" id="amount">{amount_text(amount)}</div>'
        f'<p class="meta">Référence de la commande : <span id="merchant-reference">{escape(reference)}</span></p>'
        f'<p class="meta">Bénéficiaire : <span id="merchant-name">{escape(merchant_name)}</span></p>'
    )


def checkout_page(
    action: str,
    amount: int,
    reference: str,
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

    body = (
        _header(amount, reference, merchant_name)
        + '<p class="meta">PAYER PAR CARTE : <strong>VISA</strong> · <strong>MASTERCARD</strong></p>'
        + f'<form method="post" action="{escape(action)}" id="card-form" novalidate>'
        + '<label for="cardholderName">TITULAIRE DE LA CARTE*</label>'
        + field("cardholderName", autocomplete="cc-name")
        + error("cardholderName")
        + '<label for="cardNumber">NUMÉRO DE LA CARTE*</label>'
        + field("cardNumber", inputmode="numeric", autocomplete="cc-number")
        + error("cardNumber")
        + '<label for="expiryMonth">DATE D\'EXPIRATION (MM / AAAA)*</label><div class="row">'
        + field("expiryMonth", inputmode="numeric", maxlength="2", placeholder="MM")
        + " / "
        + field("expiryYear", inputmode="numeric", maxlength="4", placeholder="AAAA")
        + "</div>"
        + error("expiry")
        + '<label for="cvv">CRYPTOGRAMME VISUEL (CVC)*</label><div class="row">'
        + field("cvv", inputmode="numeric", maxlength="4", autocomplete="cc-csc")
        + ' <span title="Les 3 ou 4 chiffres au dos de la carte">?</span></div>'
        + error("cvv")
        + '<button type="submit" class="confirm" id="pay" name="action" value="pay">Payer</button>'
        + '<div class="actions"><span></span>'
        + '<button type="submit" id="cancel" name="action" value="cancel">Annuler le paiement</button></div>'
        + "</form>"
    )
    return _layout("Paiement", body)


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
    return _layout("Authentification 3-D Secure", body)


RESULTS = {
    "SUCCESSFUL": ("Paiement accepté", "Votre paiement a été accepté."),
    "REJECTED": ("Paiement refusé", "Votre paiement a été refusé."),
    "CANCELLED_BY_CONSUMER": ("Paiement annulé", "Le paiement a été annulé ou la session a expiré."),
}


def result_page(outcome: str) -> str:
    title, message = RESULTS[outcome]
    body = f'<h1 style="font-size:20px" id="result">{escape(title)}</h1><p>{escape(message)}</p>'
    return _layout(title, body)


def error_page(message: str) -> str:
    body = f'<h1 style="font-size:20px">Paiement impossible</h1><p id="error-message">{escape(message)}</p>'
    return _layout("Erreur de paiement", body)
