"""The printed documents, read back as a customer's PDF reader would: extracted text (pypdf),
the page rendered to an image (pypdfium2) and its QR code decoded (zxing-cpp)."""

from __future__ import annotations

import io
from dataclasses import replace

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from epay_app.documents import order_form, receipt, refund_notice
from epay_app.documents.facts import DepositFacts
from tests.support import document_facts as F

SPACES = str.maketrans({"\u202f": " ", "\xa0": " "})
LEGAL = [
    "bee2link PP Vincent S.",
    "capital de 100 000,00 €",
    "RCS Pontoise 812 345 678",
    "SIRET 81234567800021",
    "TVA intracommunautaire FR40812345678",
]


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    """All pages, narrow and ordinary no-break spaces read as spaces, lines joined."""
    return " ".join(" ".join(pages_text(pdf)).translate(SPACES).split())


def qr_payloads(pdf: bytes, page: int = 0) -> list[str]:
    image = pypdfium2.PdfDocument(pdf)[page].render(scale=3).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_order_form_prints_the_guide_labels_amounts_dates_legal_block_and_signatures():
    text = text_of(order_form.render_order_form(F.ORDER))

    for expected in [
        "Bon de commande n°26837",
        "Commande validée le 16/12/2024 à 16h32 par Administrateur ADMINISTRATEUR",
        "Point de vente 1 (Vincent S.)",
        "16 Rue Guepet 71100 Chalon-sur-Saône",
        "M. Patrick PONS",
        "patrick.pons@example.fr",
        "Véhicule acheté",
        "KIA CEED",
        "1.4 T-GDI 140 ch ISG DCT7",
        "Occasion",
        "DF-231-LM",
        "U5YH2519AKL012345",
        "7 CV / 140 ch",
        "23 500 km",
        "02/03/2021",
        "Récapitulatif",
        "Prix du véhicule TTC 25 000,00 €",
        "Avantages clients - 100,00 €",
        "Accessoires - €",
        "Prix de vente TTC 24 900,00 €",
        "Prix de vente HT 20 750,00 €",
        "dont TVA 20 % 4 150,00 €",
        (
            "Acompte versé à la commande : 500,00 € — Carte bancaire, paiement en ligne n° "
            "00045_000061_20000026837_1 : en attente"
        ),
        "Solde à régler : 24 400,00 €",
        "Virement",
        "Date de livraison 24/12/2024",
        "Date de livraison extrême 11/05/2027",
        "Le client",
        "Le vendeur",
        "Lu et approuvé",
        "Payer l'acompte en ligne",
        "Conditions générales de vente",
        "Le présent bon de commande vaut contrat de vente.",
        *LEGAL,
    ]:
        assert expected in text, expected


def test_amounts_keep_their_no_break_spaces_in_the_pdf():
    raw = " ".join(pages_text(order_form.render_order_form(F.ORDER)))
    assert "25\u202f000,00\xa0€" in raw


def test_the_conditions_of_sale_start_on_their_own_page():
    pages = pages_text(order_form.render_order_form(F.ORDER))
    assert "Conditions générales de vente" not in pages[0]
    assert pages[-1].lstrip().startswith("Bon de commande n°26837 (suite)")
    assert "Conditions générales de vente" in pages[-1]


def test_the_qr_code_decodes_to_the_payment_link_while_the_deposit_is_sent():
    pdf = order_form.render_order_form(F.ORDER)
    assert qr_payloads(pdf) == [F.PAY_URL]


def test_no_qr_code_once_the_deposit_is_paid():
    paid = replace(
        F.ORDER, deposit=replace(F.DEPOSIT_SENT, status="autorise", paid_at=F.VALIDATED_AT, pay_url=F.PAY_URL)
    )
    pdf = order_form.render_order_form(paid)
    text = text_of(pdf)

    assert qr_payloads(pdf) == []
    assert "Payer l'acompte en ligne" not in text
    assert "n° 00045_000061_20000026837_1 : payé le 16/12/2024 à 16h32" in text


def test_a_deposit_paid_otherwise_has_no_online_payment_line():
    pdf = order_form.render_order_form(replace(F.ORDER, deposit=DepositFacts(30_000, "Chèque")))
    text = text_of(pdf)
    assert "Acompte versé à la commande : 300,00 € — Chèque" in text
    assert "paiement en ligne" not in text


def test_three_pages_of_conditions_number_the_pages_out_of_four():
    article = (
        "Le vendeur s'engage à livrer le véhicule décrit au recto dans le délai indiqué ; passé la date de "
        "livraison extrême, le client peut annuler sa commande par lettre recommandée et obtenir la restitution "
        "de l'acompte versé, majoré des intérêts au taux légal. "
    ) * 3
    conditions = "\n\n".join(f"Article {n} — {article}" for n in range(1, 31))
    pages = pages_text(order_form.render_order_form(replace(F.ORDER, sales_conditions=conditions)))

    assert len(pages) == 4
    for number, text in enumerate(pages, start=1):
        assert f"{number} / 4" in text
    assert sum("Article" in text for text in pages) == 3


def test_offer_shares_the_layout():
    text = text_of(order_form.render_offer(F.ORDER))
    assert "Offre n°26837" in text
    assert "Prix de vente TTC 24 900,00 €" in text
    for expected in LEGAL:
        assert expected in text
    assert "1 / 1" in text


def test_receipt_prints_the_payment_its_authorisation_and_the_dealer():
    text = text_of(receipt.render_receipt(F.PAID))

    for expected in [
        "Reçu d'acompte",
        "Paiement en ligne n° 00045_000061_20000026837_1",
        "M. Patrick PONS",
        "Acompte de la commande n°26837",
        "Montant payé 25 000,00 €",
        "Payé le 16/12/2024 à 16h32",
        "N° d'autorisation A12345",
        "4970 10XX XXXX 0001",
        "N° de transaction 00045_000061_20000026837_1",
        "Point de vente 1 (Vincent S.)",
        *LEGAL,
    ]:
        assert expected in text, expected


def test_a_reservation_receipt_names_the_opportunity():
    text = text_of(receipt.render_receipt(replace(F.PAID, kind="reservation", order_number=None)))
    assert "Réservation du véhicule, sur l'opportunité n°2013" in text


def test_refund_notice_prints_the_refund_and_the_original_payment():
    text = text_of(refund_notice.render_refund_notice(F.REFUNDED))

    for expected in [
        "Avis de remboursement",
        "Montant remboursé 25 000,00 €",
        "Remboursé le 20/12/2024 à 10h05",
        "Payé le 16/12/2024 à 16h32",
        "N° de transaction 00045_000061_20000026837_1",
        *LEGAL,
    ]:
        assert expected in text, expected


def test_the_fonts_travel_inside_every_document():
    for pdf in (
        order_form.render_order_form(F.ORDER),
        receipt.render_receipt(F.PAID),
        refund_notice.render_refund_notice(F.REFUNDED),
    ):
        fonts = {
            str(font["/BaseFont"])
            for page in PdfReader(io.BytesIO(pdf)).pages
            for font in page["/Resources"]["/Font"].values()
            if "/FontFile2" in font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        }
        # Subsets of the vendored fonts ("/MPDFAA+DejaVuSansBook"), their glyphs inside the file.
        assert {name.split("+")[-1] for name in fonts} == {"DejaVuSansBook", "DejaVuSansBold"}, fonts


def test_the_vendored_fonts_print_the_names_of_european_customers():
    """The fonts are cut to the scripts a dealer's documents print (scripts/subset_document_fonts.py):
    nothing of a name in Latin (any extension), Greek or Cyrillic goes missing, nor € and the
    typographic spaces and punctuation of the French texts."""
    from epay_app.documents.layout import DocumentPdf

    text = (
        "Łukasz Wójcik-Ødegård, Şükrü Çelik, Nguyễn Thị Ánh, Dvořák, Ζωή Παπαδοπούλου, Жанна Петрова, "
        "25\u202f000,00\u00a0€ — « Bon de commande » n° 26837 … l’acompte ‰ ™ №"
    )
    for bold in (False, True):
        pdf = DocumentPdf("Essai", F.DEALER)
        pdf.add_page()
        pdf.paragraph(text, bold=bold)
        pdf.to_bytes()
        assert all(not font.missing_glyphs for font in pdf.fonts.values()), [
            (key, [chr(c) for c in font.missing_glyphs]) for key, font in pdf.fonts.items()
        ]
