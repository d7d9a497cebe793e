"""Bad input in URLs: each gets a clear French message, never a crash or an English error."""

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = pytest.mark.e2e

CASES = [
    ("/offres/abc", "Offre introuvable."),
    ("/offres/99999999", "Offre n°99999999 introuvable."),
    ("/commandes/-1", "Commande introuvable."),
    ("/commandes/abc", "Commande introuvable."),
    ("/e-paiements?statut=nimporte&tri=zzz", "Filtre inconnu : nimporte"),
    ("/stock/abc", "Ce point de vente n'existe pas."),
    ("/stock/61/999999", "Ce véhicule n'existe pas ou n'est plus en ligne."),
    ("/pay/garbage", "Ce lien de paiement est invalide."),
    ("/pay/1.2.3", "Ce lien de paiement est invalide."),
    ("/parametres/nope", "Page introuvable"),
    ("/nimporte-quoi", "Page introuvable"),
]


def test_bad_urls_get_a_french_message(live_app, page):
    login(page, live_app, "directeur@openflex.demo")
    for path, message in CASES:
        page.goto(live_app.base_url + path)
        expect(page.get_by_text(message).first).to_be_visible()
        assert "Traceback" not in page.content() and "Page not found" not in page.content(), path
