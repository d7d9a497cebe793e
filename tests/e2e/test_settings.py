"""Paramètres > Opportunités > Parcours de vente digitalisé in Chromium: an administrator manages
the e-paiement configurations — Worldline Direct by default, Sips 2.0 (historique) on request —
without any secret ever coming back to the browser; other group types are refused; group
settings are edited with French field errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.roles import GroupType
from epay_app.models import Entity, PointOfSale, User
from epay_app.services.access.auth import hash_password
from epay_app.services.demo.demo_data import DEMO_PASSWORD

from .conftest import login

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def point_of_sale_1_still_on_sips(live_app):
    """These tests start where a dealer coming from Sips starts: "Point de vente 1" with its Sips
    merchant only (the demo has since moved it to Worldline Direct)."""
    from epay_app.models import PspConfig

    with session_scope(live_app.db_url) as s:
        pos1 = s.exec(select(PointOfSale).where(PointOfSale.number == 61)).one()
        old = s.exec(select(PspConfig).where(PspConfig.pos_id == pos1.id)).one()
        # The kept Sips key is already encrypted under the app's master key.
        sips = PspConfig(
            pos_id=pos1.id,
            protocol="sips2",
            merchant_id=old.sips_merchant_id,
            key_ciphertext=old.sips_key_ciphertext,
            key_hint="KEY1",
            key_version=1,
        )
        s.delete(old)
        s.flush()
        s.add(sips)


SECRET_KEY = "e2e-Distinctive-Sips-Secret-7Q9Z"
# Worldline Direct: the API key secret and the webhook secret typed in the Direct test.
API_SECRET = "e2e-Direct-ApiSecret+Q3v/Wx81Lm0P=="
WEBHOOK_SECRET = "e2e-Direct-WebhookSecret/Hh5Rt27Ks9Y="
DIRECT_SECRETS = (API_SECRET, WEBHOOK_SECRET)
SIPS_LABEL, DIRECT_LABEL = "Worldline Sips 2.0 (historique)", "Worldline Direct"
POS2 = "Point de vente 2 (Vincent S.)"
CATEGORIES = [
    "Groupe, entités et points de vente",
    "Utilisateurs, groupes et gestion des droits",
    "Thématisation",
    "Clients",
    "Véhicules",
    "Opportunités",
    "Politique des prix",
    "Financement",
    "Offres promotionnelles",
    "Notifications internes",
    "Communication",
    "Gestion du RGPD",
]


def capture_frames(page) -> dict[str, list[str]]:
    frames: dict[str, list[str]] = {"received": [], "sent": []}

    def on_ws(ws):
        ws.on("framereceived", lambda payload: frames["received"].append(_text(payload)))
        ws.on("framesent", lambda payload: frames["sent"].append(_text(payload)))

    page.on("websocket", on_ws)
    return frames


def _text(payload) -> str:
    return payload.decode("utf-8", "replace") if isinstance(payload, (bytes, bytearray)) else str(payload)


def open_digital_journey(page, app):
    page.locator("#user-menu").click()
    page.get_by_role("menuitem", name="Paramètres").click()
    page.wait_for_url(re.compile(r".*/parametres/?$"))
    page.locator("#settings-categories").get_by_role("link", name="Opportunités").click()
    page.wait_for_url(re.compile(r".*/parametres/opportunites/?$"))
    page.get_by_role("tab", name=re.compile("PARCOURS DE VENTE DIGITALISÉ")).click()
    expect(page.locator("#digital-journey-title")).to_have_text("Parcours de vente digitalisé")


def row(page, name):
    return page.locator(".config-row").filter(has_text=name)


def test_admin_adds_edits_searches_and_deletes_a_configuration_without_the_key_reaching_the_browser(
    live_app, page, shot
):
    frames = capture_frames(page)
    login(page, live_app, "admin@openflex.demo")
    page.locator("#user-menu").click()
    page.get_by_role("menuitem", name="Paramètres").click()
    page.wait_for_url(re.compile(r".*/parametres/?$"))
    for label in CATEGORIES:
        expect(page.locator("#settings-categories").get_by_text(label, exact=True)).to_be_visible()
    shot("01-parametres")
    page.locator("#settings-categories").get_by_role("link", name="Opportunités").click()
    page.wait_for_url(re.compile(r".*/parametres/opportunites/?$"))
    expect(page.get_by_text("PARAMÈTRES > OPPORTUNITÉS")).to_be_visible()
    for tab in ("SYNTHÈSE", "CAMPAGNES DE REPRISES", "IMPRESSION DES PDF"):
        expect(page.get_by_role("tab", name=tab)).to_be_visible()
    page.get_by_role("tab", name=re.compile("PARCOURS DE VENTE DIGITALISÉ")).click()
    expect(page.locator("#digital-journey-title")).to_have_text("Parcours de vente digitalisé")
    expect(page.get_by_text("Le e-paiement permet aux utilisateurs de proposer à leur client")).to_be_visible()
    expect(row(page, "Point de vente 1 (Vincent S.)")).to_contain_text("002001000000002")
    expect(row(page, "Point de vente 1 (Vincent S.)")).to_contain_text("••••••••KEY1")
    expect(page.locator(".config-row")).to_have_count(1)
    shot("02-parcours-de-vente-digitalise")

    expect(row(page, "Point de vente 1 (Vincent S.)")).to_contain_text(SIPS_LABEL)
    expect(page.locator("#config-table").get_by_role("columnheader", name="Protocole")).to_be_visible()

    # Add: a new configuration is Worldline Direct unless Sips 2.0 is chosen; every missing field
    # is named in French, nothing is saved.
    page.get_by_role("button", name="Ajouter une configuration de e-paiement").click()
    dialog = page.locator("#config-dialog")
    expect(dialog.get_by_text("Pour quel point de vente souhaitez-vous configurer le e-paiement ? *")).to_be_visible()
    expect(dialog.get_by_label(DIRECT_LABEL)).to_be_checked()
    dialog.get_by_label(SIPS_LABEL).check()
    expect(dialog.get_by_label(SIPS_LABEL)).to_be_checked()
    expect(dialog.get_by_label("Identifiant *", exact=True)).to_be_visible()
    expect(dialog.get_by_label("Clé API (secret) *")).to_have_count(0)
    expect(dialog.get_by_text("Identifiant *")).to_be_visible()
    expect(dialog.get_by_text("Clé de cryptage *")).to_be_visible()
    expect(page.locator("#config-version")).to_have_value("1")
    page.locator("#config-save").click()
    expect(dialog.get_by_text("Sélectionnez un point de vente.")).to_be_visible()
    expect(dialog.get_by_text("L'identifiant est obligatoire.")).to_be_visible()
    expect(dialog.get_by_text("La clé de cryptage est obligatoire.")).to_be_visible()
    shot("03-champs-obligatoires")

    page.locator("#config-pos").click()
    expect(page.get_by_role("option")).to_have_count(1)
    page.get_by_role("option", name=POS2).click()
    page.locator("#config-merchant").fill("Bee2LinkTest1")
    page.locator("#config-key").fill(" " + SECRET_KEY)
    page.locator("#config-version").fill("0")
    page.locator("#config-save").click()
    expect(dialog.get_by_text("L'identifiant doit être composé uniquement de chiffres", exact=False)).to_be_visible()
    expect(dialog.get_by_text("La clé de cryptage ne doit pas commencer ni se terminer par un espace.")).to_be_visible()
    expect(dialog.get_by_text("La version de la clé doit être un entier positif", exact=False)).to_be_visible()
    expect(dialog.get_by_text("Sélectionnez un point de vente.")).to_have_count(0)
    shot("04-erreurs-de-format")
    expect(page.locator(".config-row")).to_have_count(1)

    page.locator("#config-merchant").fill("002001000000062")
    page.locator("#config-key").fill(SECRET_KEY)
    page.locator("#config-version").fill("2")
    page.locator("#config-save").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(".config-row")).to_have_count(2)
    expect(row(page, POS2)).to_contain_text("002001000000062")
    expect(row(page, POS2)).to_contain_text("••••••••7Q9Z")
    expect(row(page, POS2)).to_contain_text("2")
    expect(row(page, POS2)).to_contain_text(SIPS_LABEL)
    shot("05-configuration-ajoutee")

    # Every point of sale is configured now: the select has nothing left to offer.
    page.get_by_role("button", name="Ajouter une configuration de e-paiement").click()
    expect(page.locator("#config-pos-none")).to_be_visible()
    expect(page.locator("#config-api-secret")).to_have_value("")
    expect(page.locator("#config-webhook-secret")).to_have_value("")
    page.locator("#config-cancel").click()
    expect(dialog).to_have_count(0)

    # Search as you type, without case or accents.
    search = page.locator("#config-search")
    search.press_sequentially("PÔINT DE VENTE 2")
    expect(page.locator(".config-row")).to_have_count(1)
    expect(row(page, POS2)).to_be_visible()
    search.fill("zzz")
    expect(page.get_by_text("Aucune donnée", exact=True)).to_be_visible()
    shot("06-recherche-aucune-donnee")
    search.fill("")
    expect(page.locator(".config-row")).to_have_count(2)

    # Edit: the key left empty keeps the current one.
    page.get_by_role("button", name=f"Modifier la configuration de {POS2}").click()
    expect(dialog.get_by_text("Modifier la configuration de e-paiement")).to_be_visible()
    expect(page.locator("#config-pos-name")).to_have_text(POS2)
    expect(dialog.get_by_label(SIPS_LABEL)).to_be_checked()
    expect(dialog.get_by_label("Clé de cryptage", exact=True)).to_be_visible()  # optional: empty keeps it
    expect(page.locator("#config-merchant")).to_have_value("002001000000062")
    expect(page.locator("#config-key")).to_have_value("")
    expect(page.locator("#config-version")).to_have_value("2")
    page.locator("#config-merchant").fill("002001000000063")
    shot("07-modification")
    page.locator("#config-save").click()
    expect(dialog).to_have_count(0)
    expect(row(page, POS2)).to_contain_text("002001000000063")
    expect(row(page, POS2)).to_contain_text("••••••••7Q9Z")

    # Delete, after confirmation.
    page.get_by_role("button", name=f"Supprimer la configuration de {POS2}").click()
    expect(page.get_by_role("alertdialog")).to_contain_text(POS2)
    shot("08-confirmation-suppression")
    page.locator("#config-delete-confirm").click()
    expect(page.locator(".config-row")).to_have_count(1)
    expect(row(page, POS2)).to_have_count(0)

    # The key went up once (the form), and never came back: not in the page, not in any frame.
    page.reload()
    page.get_by_role("tab", name=re.compile("PARCOURS DE VENTE DIGITALISÉ")).click()
    expect(page.locator(".config-row")).to_have_count(1)
    assert SECRET_KEY not in page.content()
    assert any(SECRET_KEY in f for f in frames["sent"]), "the capture saw no form submission"
    assert frames["received"], "no websocket frame captured"
    leaks = [f for f in frames["received"] if SECRET_KEY in f or "002001000000002_KEY1" in f]
    assert leaks == []


def _assert_no_direct_secret_received(page, frames):
    html = page.content()
    for secret in DIRECT_SECRETS:
        assert secret not in html
        assert [f for f in frames["received"] if secret in f] == []


def test_admin_creates_a_worldline_direct_configuration_and_no_secret_ever_reaches_the_browser(live_app, page, shot):
    frames = capture_frames(page)
    login(page, live_app, "admin@openflex.demo")
    open_digital_journey(page, live_app)
    expect(page.locator(".config-row")).to_have_count(1)

    page.get_by_role("button", name="Ajouter une configuration de e-paiement").click()
    dialog = page.locator("#config-dialog")
    expect(dialog.get_by_role("group", name="Protocole *")).to_be_visible()
    expect(dialog.get_by_label(DIRECT_LABEL)).to_be_checked()
    expect(dialog.get_by_label(SIPS_LABEL)).not_to_be_checked()
    # The guide's Direct labels, each tied to its field; the secrets are password fields.
    for label, field_id in (
        ("Identifiant (PSPID) *", "config-merchant"),
        ("Clé API (identifiant) *", "config-api-key-id"),
        ("Clé API (secret) *", "config-api-secret"),
        ("Clé webhook (identifiant) *", "config-webhook-key-id"),
        ("Clé webhook (secret) *", "config-webhook-secret"),
    ):
        expect(dialog.get_by_label(label, exact=True)).to_have_attribute("id", field_id)
    for field_id in ("config-api-secret", "config-webhook-secret"):
        expect(page.locator(f"#{field_id}")).to_have_attribute("type", "password")
    expect(page.locator("#config-key")).to_have_count(0)
    expect(page.locator("#config-version")).to_have_count(0)
    shot("01-direct-par-defaut")

    page.locator("#config-save").click()
    for message in (
        "Sélectionnez un point de vente.",
        "L'identifiant (PSPID) est obligatoire.",
        "La clé API (identifiant) est obligatoire.",
        "La clé API (secret) est obligatoire.",
        "La clé webhook (identifiant) est obligatoire.",
        "La clé webhook (secret) est obligatoire.",
    ):
        expect(dialog.get_by_text(message, exact=True)).to_be_visible()
    shot("02-direct-champs-obligatoires")

    page.locator("#config-pos").click()
    page.get_by_role("option", name=POS2).click()
    page.locator("#config-merchant").fill("Bee2 Link")
    page.locator("#config-api-key-id").fill("47E9 DB5E")
    page.locator("#config-api-secret").fill(" " + API_SECRET)
    page.locator("#config-webhook-key-id").fill("hook-key-e2e")
    page.locator("#config-webhook-secret").fill(WEBHOOK_SECRET + " ")
    page.locator("#config-save").click()
    expect(dialog.get_by_text("L'identifiant (PSPID) ne peut contenir que des lettres", exact=False)).to_be_visible()
    expect(dialog.get_by_text("La clé API (identifiant) ne doit contenir ni espace", exact=False)).to_be_visible()
    expect(
        dialog.get_by_text("La clé API (secret) ne doit pas commencer ni se terminer par un espace.")
    ).to_be_visible()
    expect(
        dialog.get_by_text("La clé webhook (secret) ne doit pas commencer ni se terminer par un espace.")
    ).to_be_visible()
    expect(dialog.get_by_text("La clé webhook (identifiant) est obligatoire.")).to_have_count(0)
    shot("03-direct-erreurs-de-format")
    # The refused secrets went up with the form; the answer carried none of them back.
    _assert_no_direct_secret_received(page, frames)

    page.locator("#config-merchant").fill("Bee2LinkTest1")
    page.locator("#config-api-key-id").fill("47E9DB5E5E5F1A13C2D3")
    page.locator("#config-api-secret").fill(API_SECRET)
    page.locator("#config-webhook-secret").fill(WEBHOOK_SECRET)
    page.locator("#config-save").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(".config-row")).to_have_count(2)
    for text in (DIRECT_LABEL, "Bee2LinkTest1", "47E9DB5E5E5F1A13C2D3 · ••••••••0P==", "hook-key-e2e · ••••••••s9Y="):
        expect(row(page, POS2)).to_contain_text(text)
    expect(row(page, "Point de vente 1 (Vincent S.)")).to_contain_text(SIPS_LABEL)
    shot("04-direct-enregistree")

    # Edit with the secrets left empty: both are kept; the labels say they are optional.
    page.get_by_role("button", name=f"Modifier la configuration de {POS2}").click()
    expect(dialog.get_by_label(DIRECT_LABEL)).to_be_checked()
    expect(page.locator("#config-merchant")).to_have_value("Bee2LinkTest1")
    expect(page.locator("#config-api-key-id")).to_have_value("47E9DB5E5E5F1A13C2D3")
    expect(page.locator("#config-webhook-key-id")).to_have_value("hook-key-e2e")
    expect(dialog.get_by_label("Clé API (secret)", exact=True)).to_have_value("")
    expect(dialog.get_by_label("Clé webhook (secret)", exact=True)).to_have_value("")
    expect(page.locator("#config-webhook-secret")).to_have_attribute(
        "placeholder", "Laisser vide pour conserver la clé actuelle (••••••••s9Y=)"
    )
    page.locator("#config-webhook-key-id").fill("hook-key-e2e-2")
    page.locator("#config-save").click()
    expect(dialog).to_have_count(0)
    expect(row(page, POS2)).to_contain_text("hook-key-e2e-2 · ••••••••s9Y=")
    expect(row(page, POS2)).to_contain_text("47E9DB5E5E5F1A13C2D3 · ••••••••0P==")

    # Switching the Sips configuration to Direct asks for the Direct secrets.
    pos1 = "Point de vente 1 (Vincent S.)"
    page.get_by_role("button", name=f"Modifier la configuration de {pos1}").click()
    expect(dialog.get_by_label(SIPS_LABEL)).to_be_checked()
    dialog.get_by_label(DIRECT_LABEL).check()
    expect(dialog.get_by_label("Clé API (secret) *", exact=True)).to_be_visible()
    page.locator("#config-merchant").fill("Bee2LinkTest2")
    page.locator("#config-api-key-id").fill("KEYID2")
    page.locator("#config-webhook-key-id").fill("HOOKID2")
    page.locator("#config-save").click()
    expect(dialog.get_by_text("La clé API (secret) est obligatoire.")).to_be_visible()
    expect(dialog.get_by_text("La clé webhook (secret) est obligatoire.")).to_be_visible()
    expect(row(page, pos1)).to_contain_text(SIPS_LABEL)
    page.locator("#config-api-secret").fill(API_SECRET)
    page.locator("#config-webhook-secret").fill(WEBHOOK_SECRET)
    page.locator("#config-save").click()
    expect(dialog).to_have_count(0)
    expect(row(page, pos1)).to_contain_text(DIRECT_LABEL)
    expect(row(page, pos1)).to_contain_text("KEYID2 · ••••••••0P==")
    shot("05-sips-vers-direct")

    # Back to Sips with the demo merchant's key, for the other tests of the module.
    page.get_by_role("button", name=f"Modifier la configuration de {pos1}").click()
    dialog.get_by_label(SIPS_LABEL).check()
    page.locator("#config-merchant").fill("002001000000002")
    page.locator("#config-key").fill("002001000000002_KEY1")
    page.locator("#config-version").fill("1")
    page.locator("#config-save").click()
    expect(dialog).to_have_count(0)
    expect(row(page, pos1)).to_contain_text(SIPS_LABEL)
    expect(row(page, pos1)).to_contain_text("••••••••KEY1")
    page.get_by_role("button", name=f"Supprimer la configuration de {POS2}").click()
    page.locator("#config-delete-confirm").click()
    expect(page.locator(".config-row")).to_have_count(1)

    # Each secret went up with the forms, and none ever came back: not in the page, not in any
    # frame the server sent, before or after a reload.
    _assert_no_direct_secret_received(page, frames)
    page.reload()
    page.get_by_role("tab", name=re.compile("PARCOURS DE VENTE DIGITALISÉ")).click()
    expect(page.locator(".config-row")).to_have_count(1)
    for secret in DIRECT_SECRETS:
        assert any(secret in f for f in frames["sent"]), "the capture saw no form submission"
    assert frames["received"], "no websocket frame captured"
    _assert_no_direct_secret_received(page, frames)
    assert [f for f in frames["received"] if "002001000000002_KEY1" in f] == []


def test_a_seller_opening_the_settings_urls_is_refused_and_receives_nothing(live_app, page, shot):
    frames = capture_frames(page)
    login(page, live_app, "vendeur@openflex.demo")
    for path in ("/parametres", "/parametres/opportunites"):
        page.goto(f"{live_app.base_url}{path}")
        expect(page.locator("#settings-refused")).to_contain_text(
            "Accès refusé : les paramètres sont réservés aux administrateurs"
        )
        expect(page.get_by_text("Accès refusé : votre profil ne permet pas cette action.").first).to_be_visible()
        expect(page.get_by_text("Parcours de vente digitalisé")).to_have_count(0)
        expect(page.locator("#settings-categories")).to_have_count(0)
        shot("refus" + path.replace("/", "-"))
    assert "002001000000002" not in page.content()
    assert not [f for f in frames["received"] if "002001000000002" in f or "••••" in f]


def test_admin_edits_the_digital_journey_and_reservation_settings_with_french_errors(live_app, page, shot):
    login(page, live_app, "admin@openflex.demo")
    open_digital_journey(page, live_app)
    expect(page.locator("#inactive-days-text")).to_have_text(
        "Annulation de mes opportunités inactives au bout de 183 jours."
    )
    expect(page.locator("#stock-delay-text")).to_have_text(
        "Aucun délai d'entrée en stock n'est défini. Il sera par défaut de 30 jours pour les campagnes de "
        "reprise en ligne."
    )
    expect(
        page.get_by_text(
            "Le délai d'entrée en stock permet d'initialiser la date de rentrée prévisionnelle", exact=False
        )
    ).to_be_visible()
    expect(
        page.get_by_text("Attention, en activant ce paramètre vous engagez votre responsabilité", exact=False)
    ).to_be_visible()
    expect(page.locator("#contracts-text")).to_have_text(
        "La modification des contrats de services constructeur pour les VN issus de mon stock est activée."
    )
    expect(
        page.get_by_text(
            "La e-réservation permet aux internautes de bloquer pour une durée limitée un "
            "véhicule publié de votre stock au sein d'une offre. Les paramètres qui suivent "
            "s'appliquent à l'ensemble de votre groupe."
        )
    ).to_be_visible()
    expect(page.locator("#reservation-hours-text")).to_contain_text("48 heures")
    expect(page.locator("#reservation-amount-text")).to_contain_text("200,00 €")

    page.locator("#journey-edit").click()
    page.locator("#inactive-days").fill("0")
    page.locator("#stock-delay-days").fill("abc")
    page.locator("#journey-save").click()
    expect(page.get_by_text("Le nombre de jours doit être un entier entre 1 et 3650.")).to_be_visible()
    expect(
        page.get_by_text("Le délai d'entrée en stock doit être un nombre entier de jours", exact=False)
    ).to_be_visible()
    shot("01-erreurs-parcours")
    page.locator("#inactive-days").fill("90")
    page.locator("#stock-delay-days").fill("15")
    page.get_by_role("switch", name="Contrat de services constructeur").click()
    page.locator("#journey-save").click()
    expect(page.locator("#inactive-days-text")).to_have_text(
        "Annulation de mes opportunités inactives au bout de 90 jours."
    )
    expect(page.locator("#stock-delay-text")).to_have_text("Le délai d'entrée en stock est de 15 jours.")
    expect(page.locator("#contracts-text")).to_contain_text("est désactivée.")

    page.locator("#reservation-edit").click()
    page.locator("#reservation-hours").fill("")
    page.locator("#reservation-amount").fill("0")
    page.locator("#reservation-save").click()
    expect(page.get_by_text("La durée de blocage est obligatoire.")).to_be_visible()
    expect(page.get_by_text("Le montant de la e-réservation doit être supérieur à 0,00 €.")).to_be_visible()
    shot("02-erreurs-e-reservation")
    page.locator("#reservation-hours").fill("72")
    page.locator("#reservation-amount").fill("350,50")
    page.get_by_role("switch", name="Activer la e-réservation").click()
    page.locator("#reservation-save").click()
    expect(page.locator("#reservation-enabled-text")).to_contain_text("désactivée")
    expect(page.locator("#reservation-hours-text")).to_contain_text("72 heures")
    expect(page.locator("#reservation-amount-text")).to_contain_text("350,50 €")

    # Persisted: a reload shows the saved values.
    page.reload()
    page.get_by_role("tab", name=re.compile("PARCOURS DE VENTE DIGITALISÉ")).click()
    expect(page.locator("#inactive-days-text")).to_contain_text("90 jours")
    expect(page.locator("#reservation-amount-text")).to_contain_text("350,50 €")
    shot("03-parametres-enregistres")
    # Put the guide's values back for the other tests of the session.
    page.locator("#journey-edit").click()
    page.locator("#inactive-days").fill("183")
    page.locator("#stock-delay-days").fill("")
    page.get_by_role("switch", name="Contrat de services constructeur").click()
    page.locator("#journey-save").click()
    expect(page.locator("#inactive-days-text")).to_contain_text("183 jours")
    page.locator("#reservation-edit").click()
    page.locator("#reservation-hours").fill("48")
    page.locator("#reservation-amount").fill("200")
    page.get_by_role("switch", name="Activer la e-réservation").click()
    page.locator("#reservation-save").click()
    expect(page.locator("#reservation-amount-text")).to_contain_text("200,00 €")


def test_an_admin_whose_entity_lacks_the_option_sees_no_epaiement_configuration(live_app, page, shot):
    with session_scope(live_app.db_url) as s:
        entity = s.exec(select(Entity).where(Entity.number == 99)).one()
        pos = s.exec(select(PointOfSale).where(PointOfSale.entity_id == entity.id)).one()
        if s.exec(select(User).where(User.email == "admin.sansoption@openflex.demo")).first() is None:
            s.add(
                User(
                    first_name="Admin",
                    last_name="SANSOPTION",
                    email="admin.sansoption@openflex.demo",
                    password_hash=hash_password(DEMO_PASSWORD),
                    group_type=GroupType.ADMINISTRATEUR.value,
                    entity_id=entity.id,
                    pos_id=pos.id,
                )
            )
    login(page, live_app, "admin.sansoption@openflex.demo")
    open_digital_journey(page, live_app)
    expect(page.locator("#epay-option-missing")).to_contain_text("L'option e-paiement n'est pas souscrite")
    expect(page.get_by_role("button", name="Ajouter une configuration de e-paiement")).to_have_count(0)
    expect(page.locator("#config-search")).to_have_count(0)
    expect(page.locator(".config-row")).to_have_count(0)
    expect(page.locator("#journey-block")).to_be_visible()
    shot("option-non-souscrite")
