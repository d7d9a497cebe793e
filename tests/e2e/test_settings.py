"""Paramètres > Opportunités > Parcours de vente digitalisé in Chromium: an administrator manages
the e-paiement configurations without the key ever coming back to the browser; other group
types are refused; group settings are edited with French field errors."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.roles import GroupType
from epay_app.models import Entity, PointOfSale, User
from epay_app.services.auth import hash_password
from epay_app.services.demo_data import DEMO_PASSWORD

from .conftest import login

pytestmark = pytest.mark.e2e

SECRET_KEY = "e2e-Distinctive-Sips-Secret-7Q9Z"
POS2 = "Point de vente 2 (Vincent S.)"
CATEGORIES = [
    "Groupe, entités et points de vente", "Utilisateurs, groupes et gestion des droits", "Thématisation",
    "Clients", "Véhicules", "Opportunités", "Politique des prix", "Financement", "Offres promotionnelles",
    "Notifications internes", "Communication", "Gestion du RGPD",
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
    page.get_by_role("tab", name=re.compile("AUTRES")).click()
    expect(page.locator("#digital-journey-title")).to_have_text("Parcours de vente digitalisé")


def row(page, name):
    return page.locator(".config-row").filter(has_text=name)


def test_admin_adds_edits_searches_and_deletes_a_configuration_without_the_key_reaching_the_browser(
        live_app, page, shot):
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
    page.get_by_role("tab", name=re.compile("AUTRES")).click()
    expect(page.locator("#digital-journey-title")).to_have_text("Parcours de vente digitalisé")
    expect(page.get_by_text("Le e-paiement permet aux utilisateurs de proposer à leur client")).to_be_visible()
    expect(row(page, "Point de vente 1 (Vincent S.)")).to_contain_text("002001000000002")
    expect(row(page, "Point de vente 1 (Vincent S.)")).to_contain_text("••••••••KEY1")
    expect(page.locator(".config-row")).to_have_count(1)
    shot("02-parcours-de-vente-digitalise")

    # Add: every missing field is named in French, nothing is saved.
    page.get_by_role("button", name="Ajouter une configuration de e-paiement").click()
    dialog = page.locator("#config-dialog")
    expect(dialog.get_by_text("Pour quel point de vente souhaitez-vous configurer le e-paiement ? *")).to_be_visible()
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
    shot("05-configuration-ajoutee")

    # Every point of sale is configured now: the select has nothing left to offer.
    page.get_by_role("button", name="Ajouter une configuration de e-paiement").click()
    expect(page.locator("#config-pos-none")).to_be_visible()
    expect(page.locator("#config-key")).to_have_value("")
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
    page.get_by_role("tab", name=re.compile("AUTRES")).click()
    expect(page.locator(".config-row")).to_have_count(1)
    assert SECRET_KEY not in page.content()
    assert any(SECRET_KEY in f for f in frames["sent"]), "the capture saw no form submission"
    assert frames["received"], "no websocket frame captured"
    leaks = [f for f in frames["received"] if SECRET_KEY in f or "002001000000002_KEY1" in f]
    assert leaks == []


def test_a_seller_opening_the_settings_urls_is_refused_and_receives_nothing(live_app, page, shot):
    frames = capture_frames(page)
    login(page, live_app, "vendeur@openflex.demo")
    for path in ("/parametres", "/parametres/opportunites"):
        page.goto(f"{live_app.base_url}{path}")
        expect(page.locator("#settings-refused")).to_contain_text(
            "Accès refusé : les paramètres sont réservés aux administrateurs")
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
        "Annulation de mes opportunités inactives au bout de 183 jours.")
    expect(page.locator("#stock-delay-text")).to_have_text(
        "Aucun délai d'entrée en stock n'est défini. Il sera par défaut de 30 jours pour les campagnes de "
        "reprise en ligne.")
    expect(page.get_by_text("Le délai d'entrée en stock permet d'initialiser la date de rentrée prévisionnelle",
                            exact=False)).to_be_visible()
    expect(page.get_by_text("Attention, en activant ce paramètre vous engagez votre responsabilité",
                            exact=False)).to_be_visible()
    expect(page.locator("#contracts-text")).to_have_text(
        "La modification des contrats de services constructeur pour les VN issus de mon stock est activée.")
    expect(page.get_by_text("La e-réservation permet aux internautes de bloquer pour une durée limitée un "
                            "véhicule publié de votre stock au sein d'une offre. Les paramètres qui suivent "
                            "s'appliquent à l'ensemble de votre groupe.")).to_be_visible()
    expect(page.locator("#reservation-hours-text")).to_contain_text("48 heures")
    expect(page.locator("#reservation-amount-text")).to_contain_text("200,00 €")

    page.locator("#journey-edit").click()
    page.locator("#inactive-days").fill("0")
    page.locator("#stock-delay-days").fill("abc")
    page.locator("#journey-save").click()
    expect(page.get_by_text("Le nombre de jours doit être un entier entre 1 et 3650.")).to_be_visible()
    expect(page.get_by_text("Le délai d'entrée en stock doit être un nombre entier de jours", exact=False)).to_be_visible()
    shot("01-erreurs-parcours")
    page.locator("#inactive-days").fill("90")
    page.locator("#stock-delay-days").fill("15")
    page.get_by_role("switch", name="Contrat de services constructeur").click()
    page.locator("#journey-save").click()
    expect(page.locator("#inactive-days-text")).to_have_text(
        "Annulation de mes opportunités inactives au bout de 90 jours.")
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
    page.get_by_role("tab", name=re.compile("AUTRES")).click()
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
            s.add(User(first_name="Admin", last_name="SANSOPTION", email="admin.sansoption@openflex.demo",
                       password_hash=hash_password(DEMO_PASSWORD), group_type=GroupType.ADMINISTRATEUR.value,
                       entity_id=entity.id, pos_id=pos.id))
    login(page, live_app, "admin.sansoption@openflex.demo")
    open_digital_journey(page, live_app)
    expect(page.locator("#epay-option-missing")).to_contain_text("L'option e-paiement n'est pas souscrite")
    expect(page.get_by_role("button", name="Ajouter une configuration de e-paiement")).to_have_count(0)
    expect(page.locator("#config-search")).to_have_count(0)
    expect(page.locator(".config-row")).to_have_count(0)
    expect(page.locator("#journey-block")).to_be_visible()
    shot("option-non-souscrite")
