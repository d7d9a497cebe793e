"""The documents a dealer hands over, downloaded as a user does: "Imprimer" on the order page
gives the bon de commande, the e-Paiement modal gives the deposit receipt. Read back with pypdf."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect
from pypdf import PdfReader

from .conftest import login

pytestmark = pytest.mark.e2e


def _text(path) -> str:
    data = path.read_bytes()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def test_imprimer_downloads_the_bon_de_commande_with_the_qr_code_to_pay(live_app, page, tmp_path, shot):
    login(page, live_app, "directeur@openflex.demo")
    page.goto(f"{live_app.base_url}/commandes/26601")
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement en attente")
    with page.expect_download() as download:
        page.locator("#print-order").click()
    assert download.value.suggested_filename == "bon-de-commande-26601.pdf"
    path = tmp_path / "bon.pdf"
    download.value.save_as(path)

    text = _text(path)
    for expected in [
        "Bon de commande n°26601",
        "bee2link PP Vincent S.",
        "SIRET 81234567600025",
        "TVA intracommunautaire FR19812345676",
        "Acompte versé à la commande : 500,00 € — Carte bancaire, paiement en ligne n° ",
        "Le client",
        "Le vendeur",
        "Lu et approuvé",
        "Payer l'acompte en ligne",
        "Conditions générales de vente",
    ]:
        assert expected in text, expected
    assert re.search(r"1 / [2-9]", text)
    image = pypdfium2.PdfDocument(path.read_bytes())[0].render(scale=3).to_pil()
    (link,) = [r.text for r in zxingcpp.read_barcodes(image)]
    assert re.fullmatch(rf"{re.escape(live_app.base_url)}/pay/\S+", link), link
    shot("bon-de-commande")


def test_the_epaiement_modal_downloads_the_deposit_receipt(live_app, page, tmp_path, shot):
    login(page, live_app, "directeur@openflex.demo")
    page.goto(f"{live_app.base_url}/commandes/26604")
    expect(page.locator("#epay-badge")).to_have_text("e-Paiement payé")
    page.locator("#epay-view").click()
    expect(page.locator("#epay-table")).to_contain_text("Payé")
    reference = page.locator(".epay-reference").first.inner_text().strip()
    shot("modal")
    with page.expect_download() as download:
        page.locator(".epay-receipt").first.click()
    assert download.value.suggested_filename == f"recu-acompte-{reference}.pdf"
    path = tmp_path / "recu.pdf"
    download.value.save_as(path)

    text = _text(path)
    for expected in [
        "Reçu d'acompte",
        f"N° de transaction {reference}",
        "Acompte de la commande n°26604",
        "Montant payé 1 000,00 €",
        "N° d'autorisation 026604",
        "SIRET 81234567600025",
    ]:
        assert expected in text, expected
    assert re.search(r"Payé le \d\d/\d\d/\d{4} à \d\dh\d\d", text)
    expect(page.locator(".epay-refund-notice")).to_have_count(0)
