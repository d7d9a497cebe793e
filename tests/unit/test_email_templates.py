"""The customer e-mails say, word for word, what the user guide shows (F-32, F-33)."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from jinja2 import UndefinedError

from epay_app.emails.render import render

PAY_URL = "http://localhost:3000/pay/tok3n"
PRIVACY_URL = "https://www.openflex.fr/politique-de-confidentialite"


def guide_context(**overrides) -> dict:
    context = {
        "customer_name": "M. Patrick PONS",
        "vehicle": "KIA CEED 1.4 T-GDI 140 ch ISG DCT7 Edition #1",
        "vehicle_details": "Neuf",
        "amount": "500,00 €",
        "reference": "00045_000061_20000026837_1",
        "pay_url": PAY_URL,
        "contact": {
            "pos_name": "Point de vente 1 (Vincent S.)",
            "person": "ADMINISTRATEUR Administrateur",
            "phone": "+33 3 85 00 00 01",
            "email": "PDV1@GMAIL.COM",
            "address": "16 Rue Guepet 71100 Chalons-sur-Saône",
        },
        "privacy_url": PRIVACY_URL,
        "opportunity_number": 26837,
        "blocked_until": "18/12/2024 à 16h32",
    }
    context.update(overrides)
    return context


def words(text: str) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def flat(text: str) -> str:
    return " ".join(text.split())


REQUEST_SENTENCES = [
    "PAIEMENT DE L'ACOMPTE",
    "Bonjour M. Patrick PONS,",
    "Vous venez d'effectuer l'achat de votre nouveau véhicule KIA CEED 1.4 T-GDI 140 ch ISG DCT7 "
    "Edition #1 et nous vous remercions de votre confiance. Pour finaliser votre commande il suffit "
    "de régler votre acompte d'un montant de 500,00 € via le paiement en ligne n° "
    "00045_000061_20000026837_1 en cliquant sur le lien suivant :",
    "Contactez Point de vente 1 (Vincent S.)",
    "ADMINISTRATEUR Administrateur - +33 3 85 00 00 01 PDV1@GMAIL.COM",
    "16 Rue Guepet 71100 Chalons-sur-Saône",
    "Vous pouvez accéder à tout moment à notre Politique de confidentialité et exercer votre droit de retrait.",
]


@pytest.mark.parametrize("sentence", REQUEST_SENTENCES)
def test_payment_request_says_what_the_guide_says(sentence):
    _, text, html = render("payment_request", **guide_context())
    assert sentence in flat(text)
    assert sentence in words(html)


def test_payment_request_html_highlights_vehicle_amount_and_reference_and_links_the_button():
    _, text, html = render("payment_request", **guide_context())
    assert "nouveau véhicule <b>KIA CEED 1.4 T-GDI 140 ch ISG DCT7 Edition #1</b> et nous" in html
    assert "montant de <b>500,00 €</b> via le paiement en ligne n° <b>00045_000061_20000026837_1</b>" in html
    button = re.search(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert button.group(1) == PAY_URL
    assert htmllib.unescape(button.group(2)) == "Payer l'acompte en ligne"
    assert f'href="{PRIVACY_URL}"' in html
    assert "OpenFlex" in html
    assert f"Payer l'acompte en ligne : {PAY_URL}" in text
    assert PRIVACY_URL in text


def test_payment_request_subject():
    subject, _, _ = render("payment_request", **guide_context())
    assert subject == "Paiement de l'acompte de votre commande"


def test_confirmation_says_what_the_guide_says():
    context = guide_context(
        customer_name="M. Romain CABUS",
        vehicle="CUPRA Born 230 ch - Batterie L VZ",
        amount="1 000,00 €",
        reference="00160_000291_20000000092_1",
    )
    subject, text, html = render("payment_confirmation", **context)
    expected = [
        "CONFIRMATION DE PAIEMENT DE L'ACOMPTE",
        "Bonjour M. Romain CABUS,",
        "Nous vous confirmons que votre paiement en ligne n° 00160_000291_20000000092_1 d'un montant de "
        "1 000,00 € pour l'acompte de la commande de votre nouveau véhicule CUPRA Born 230 ch - "
        "Batterie L VZ a bien été accepté.",
        "Votre conseiller commercial est à votre service pour tout complément d'information relatif à cette commande.",
        "Contactez Point de vente 1 (Vincent S.)",
        "Vous pouvez accéder à tout moment à notre Politique de confidentialité et exercer votre droit de retrait.",
    ]
    for sentence in expected:
        assert sentence in flat(text)
        assert sentence in words(html)
    assert "<b>1 000,00 €</b>" in html and "<b>CUPRA Born 230 ch - Batterie L VZ</b>" in html
    assert subject == "Confirmation de paiement de l'acompte"


def test_html_escapes_what_customers_and_staff_typed():
    context = guide_context(
        customer_name="M. <script>alert(1)</script> PONS",
        vehicle='KIA <img src=x onerror="alert(2)">',
        pay_url='http://localhost:3000/pay/x"><script>alert(3)</script>',
    )
    for name in ("payment_request", "payment_confirmation", "reservation_request", "reservation_confirmation"):
        _, text, html = render(name, **context)
        assert "<script>" not in html and "<img" not in html, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name
    _, text, _ = render("payment_request", **context)
    assert "M. <script>alert(1)</script> PONS" in text  # plain text is not HTML: left as typed


@pytest.mark.parametrize(
    "name,title,button",
    [
        ("reservation_request", "PAIEMENT DE LA RÉSERVATION", "Payer la réservation en ligne"),
        ("reservation_confirmation", "CONFIRMATION DE PAIEMENT DE LA RÉSERVATION", None),
        ("reservation_staff_notification", "NOUVELLE E-RÉSERVATION", "Voir les e-Paiements"),
    ],
)
def test_reservation_mails_name_the_opportunity(name, title, button):
    context = guide_context(
        staff_name="Vincent S.",
        customer_phone="06 00 00 00 00",
        customer_email="patrick.pons@example.org",
        app_url="http://localhost:3000/e-paiements",
    )
    subject, text, html = render(name, **context)
    for body in (flat(text), words(html)):
        assert title in body
        assert "Sur l'opportunité n°26837" in body
        assert "500,00 €" in body and "00045_000061_20000026837_1" in body
        if button:
            assert button in body
    assert "réservation" in subject.lower()


def test_staff_notification_is_the_new_e_reservation_mail():
    context = guide_context(
        staff_name="Vincent S.",
        customer_phone="",
        customer_email="p@example.org",
        app_url="http://localhost:3000/e-paiements",
    )
    subject, text, _ = render("reservation_staff_notification", **context)
    assert subject.startswith("Nouvelle e-réservation")
    assert "Bonjour Vincent S.," in text
    assert "M. Patrick PONS a réservé le véhicule" in flat(text)


def test_a_missing_value_is_an_error_not_a_blank_in_a_customer_mail():
    context = guide_context()
    del context["amount"]
    with pytest.raises(UndefinedError):
        render("payment_request", **context)


def test_reminder_has_the_payment_request_design_with_the_link_and_the_expiry():
    subject, text, html = render("payment_reminder", **guide_context(expires_at="19/12/2024 à 16h32"))
    assert subject == "Rappel : paiement de l'acompte"
    for body in (words(html), flat(text)):
        assert "RAPPEL : PAIEMENT DE L'ACOMPTE" in body
        assert "Bonjour M. Patrick PONS," in body
        assert "d'un montant de 500,00 €" in body and "00045_000061_20000026837_1" in body
        assert "valable jusqu'au 19/12/2024 à 16h32" in body
        assert "Contactez Point de vente 1 (Vincent S.)" in body
    assert f'href="{PAY_URL}"' in html and "Payer l'acompte en ligne" in words(html)
    assert f"Payer l'acompte en ligne : {PAY_URL}" in text
    # The same design as the payment request: same layout, same orange button.
    request_html = render("payment_request", **guide_context())[2]
    assert (
        html.split('<tr><td style="padding:12px 24px 8px')[0].replace("RAPPEL : ", "")
        == request_html.split('<tr><td style="padding:12px 24px 8px')[0]
    )
    assert "#f26a21" in html
