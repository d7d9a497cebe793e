"""The one page layout of every printed document (A4, French): the dealer's identity at the top,
its legal identifiers and "page / N" at the foot of every page, then sections of label/value
rows, amount tables, signature blocks, a QR code and the general conditions on their own pages.

The fonts are vendored (fonts/, DejaVu Sans, Bitstream Vera licence) and embedded in each PDF:
accents, € and the narrow no-break spaces of `25 000,00 €` print the same on every machine. They
are cut to Latin, Greek, Cyrillic and common symbols (scripts/subset_document_fonts.py): fpdf2
parses the whole font for each document, and the full fonts doubled a receipt's time."""

from __future__ import annotations

from pathlib import Path

import segno
from fpdf import FPDF

from ..domain.dates import format_paris
from ..domain.money import format_eur_print
from ..domain.references import PaymentKind
from .facts import DealerFacts, PartyFacts, PaymentDocumentFacts

FONT_DIR = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
PAGE_NUMBERS = "{nb}"  # fpdf2 replaces it with the page count when the PDF is written

INK = (30, 41, 59)
MUTED = (100, 110, 125)
BAND = (232, 237, 245)
ACCENT = (23, 62, 128)
NOT_SET = "Non renseigné"


def person_name(person: PartyFacts) -> str:
    """ "M. Patrick PONS"."""
    return " ".join(p for p in (person.civility, person.first_name, person.last_name.upper()) if p)


def customer_rows(customer: PartyFacts) -> list[tuple[str, str]]:
    return [
        ("Client", person_name(customer)),
        ("E-mail", customer.email or NOT_SET),
        ("Téléphone", customer.phone or NOT_SET),
    ]


def seller_rows(seller: PartyFacts, dealer: DealerFacts) -> list[tuple[str, str]]:
    """The seller's own phone and e-mail, else the point of sale's."""
    return [
        ("Conseiller", f"{seller.first_name} {seller.last_name}".strip()),
        ("Téléphone", seller.phone or dealer.pos_phone or NOT_SET),
        ("E-mail", seller.email or dealer.pos_email or NOT_SET),
        ("Point de vente", dealer.pos_name),
    ]


def legal_line(dealer: DealerFacts) -> str:
    """The entity's legal mentions, one line at the foot of every page."""
    parts = [dealer.entity_name]
    if dealer.share_capital_cents is not None:
        parts.append(f"capital de {format_eur_print(dealer.share_capital_cents)}")
    if dealer.legal_address:
        parts.append(dealer.legal_address)
    if dealer.rcs:
        parts.append(dealer.rcs)
    if dealer.siret:
        parts.append(f"SIRET {dealer.siret}")
    if dealer.vat_number:
        parts.append(f"TVA intracommunautaire {dealer.vat_number}")
    return " — ".join(parts)


class DocumentPdf(FPDF):
    """A document of the dealer: `title` ("Bon de commande n°26837") on the first page's header,
    `running_title` on the following ones."""

    def __init__(self, title: str, dealer: DealerFacts, *, subtitle: str = ""):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.title_text, self.subtitle, self.dealer = title, subtitle, dealer
        self.add_font(FAMILY, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 14, 15)
        self.set_auto_page_break(True, margin=24)
        self.alias_nb_pages(PAGE_NUMBERS)
        self.set_title(title)
        self.set_author(dealer.entity_name)
        self.set_creator("e-Paiement")
        self.set_text_color(*INK)

    # ------------------------------------------------------------ every page

    def header(self) -> None:
        if self.page_no() == 1:
            self._identity_block()
        else:
            self.set_font(FAMILY, "B", 9)
            self.set_text_color(*MUTED)
            self.cell(0, 5, f"{self.title_text} (suite)", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(*INK)
            self.ln(3)

    def _identity_block(self) -> None:
        d = self.dealer
        top = self.get_y()
        self.set_font(FAMILY, "B", 12)
        self.set_text_color(*ACCENT)
        self.multi_cell(95, 6, d.entity_name, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.set_font(FAMILY, "B", 9)
        self.multi_cell(95, 4.5, d.pos_name, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 8.5)
        for line in (d.pos_address, " · ".join(p for p in (d.pos_phone, d.pos_email) if p)):
            if line:
                self.multi_cell(95, 4.2, line, new_x="LMARGIN", new_y="NEXT")
        left_bottom = self.get_y()
        self.set_xy(112, top)
        self.set_font(FAMILY, "B", 13)
        self.multi_cell(83, 7, self.title_text, align="R", new_x="LEFT", new_y="NEXT")
        if self.subtitle:
            self.set_font(FAMILY, "", 8.5)
            self.set_text_color(*MUTED)
            self.multi_cell(83, 4.2, self.subtitle, align="R", new_x="LEFT", new_y="NEXT")
            self.set_text_color(*INK)
        self.set_y(max(left_bottom, self.get_y()) + 2)
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.5)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-19)
        self.set_draw_color(*BAND)
        self.set_line_width(0.3)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1)
        self.set_font(FAMILY, "", 7)
        self.set_text_color(*MUTED)
        self.multi_cell(160, 3.4, legal_line(self.dealer), new_x="LMARGIN", new_y="TOP")
        self.set_xy(self.w - self.r_margin - 20, self.get_y())
        self.set_font(FAMILY, "B", 8)
        self.cell(20, 3.4, f"{self.page_no()} / {PAGE_NUMBERS}", align="R")
        self.set_text_color(*INK)

    # ------------------------------------------------------------ building blocks

    def section(self, heading: str) -> None:
        if self.get_y() > self.page_break_trigger - 20:
            self.add_page()
        self.ln(1.5)
        self.set_font(FAMILY, "B", 9.5)
        self.set_fill_color(*BAND)
        self.cell(0, 6, f"  {heading}", fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def rows(self, pairs: list[tuple[str, str]], *, label_width: float = 52, x: float | None = None, width: float = 0):
        """Label/value rows; `x` and `width` place them in a column."""
        x = self.l_margin if x is None else x
        width = width or (self.w - self.r_margin - x)
        for label, value in pairs:
            self.set_x(x)
            self.set_font(FAMILY, "", 8.5)
            self.set_text_color(*MUTED)
            self.cell(label_width, 4.6, label)
            self.set_text_color(*INK)
            self.multi_cell(width - label_width, 4.6, value or "—", align="L", new_x="LEFT", new_y="NEXT")

    def columns(self, left: tuple[str, list[tuple[str, str]]], right: tuple[str, list[tuple[str, str]]]):
        """Two headed columns side by side (customer | vehicle, …)."""
        gap, full = 6, self.w - self.l_margin - self.r_margin
        half = (full - gap) / 2
        top = self.get_y()
        if top > self.page_break_trigger - 45:
            self.add_page()
            top = self.get_y()
        bottoms = []
        for index, (heading, pairs) in enumerate((left, right)):
            x = self.l_margin + index * (half + gap)
            self.set_xy(x, top + 1.5)
            self.set_font(FAMILY, "B", 9.5)
            self.set_fill_color(*BAND)
            self.cell(half, 6, f"  {heading}", fill=True, new_x="LEFT", new_y="NEXT")
            self.ln(1)
            self.rows(pairs, label_width=34, x=x, width=half)
            bottoms.append(self.get_y())
        self.set_xy(self.l_margin, max(bottoms))

    def amounts(
        self, lines: list[tuple[str, int | None]], *, bold: tuple[str, ...] = (), negative=(), optional=()
    ) -> None:
        """An amount table, right-aligned values formatted `25 000,00 €`; an `optional` line at 0 is "- €"."""
        for label, cents in lines:
            style = "B" if label in bold else ""
            self.set_font(FAMILY, style, 8.5)
            value = format_eur_print(cents) if cents or label not in optional else "-\u00a0€"
            if label in negative and cents:
                value = f"-\u00a0{value}"
            self.cell(125, 4.8, label)
            self.cell(0, 4.8, value, align="R", new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, *, size: float = 8.5, bold: bool = False, muted: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        if muted:
            self.set_text_color(*MUTED)
        self.multi_cell(0, size * 0.52, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)

    def qr_code(self, payload: str, caption: str, *, size: float = 30) -> None:
        """A QR code drawn as vector squares (no image), with its caption beside it."""
        matrix = segno.make(payload, error="m", micro=False).matrix
        if self.get_y() + size + 4 > self.page_break_trigger:
            self.add_page()
        top, left = self.get_y() + 1, self.l_margin
        quiet = 2
        module = size / (len(matrix) + 2 * quiet)
        self.set_fill_color(255, 255, 255)
        self.rect(left, top, size, size, style="F")
        self.set_fill_color(0, 0, 0)
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    self.rect(left + (c + quiet) * module, top + (r + quiet) * module, module, module, style="F")
        self.set_xy(left + size + 4, top + size / 2 - 8)
        self.set_font(FAMILY, "B", 10)
        self.cell(0, 5, caption, new_x="LEFT", new_y="NEXT")
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 3.8, payload, new_x="LEFT", new_y="NEXT")
        self.set_text_color(*INK)
        self.set_xy(self.l_margin, top + size + 2)

    def signatures(self, parties: tuple[str, str] = ("Le client", "Le vendeur"), *, names=("", "")) -> None:
        """Two boxes to sign, each with the handwritten "Lu et approuvé" asked for."""
        height = 34
        if self.get_y() + height + 4 > self.page_break_trigger:
            self.add_page()
        gap = 6
        width = (self.w - self.l_margin - self.r_margin - gap) / 2
        top = self.get_y() + 2
        self.set_draw_color(*MUTED)
        self.set_line_width(0.3)
        for index, party in enumerate(parties):
            x = self.l_margin + index * (width + gap)
            self.rect(x, top, width, height)
            self.set_xy(x + 2, top + 1.5)
            self.set_font(FAMILY, "B", 9)
            self.cell(width - 4, 5, party, new_x="LEFT", new_y="NEXT")
            self.set_font(FAMILY, "", 7.5)
            self.set_text_color(*MUTED)
            if names[index]:
                self.cell(width - 4, 4, names[index], new_x="LEFT", new_y="NEXT")
            self.cell(width - 4, 4, "Date :", new_x="LEFT", new_y="NEXT")
            self.multi_cell(
                width - 4,
                3.6,
                "Signature précédée de la mention manuscrite « Lu et approuvé »",
                align="L",
                new_x="LEFT",
            )
            self.set_text_color(*INK)
        self.set_xy(self.l_margin, top + height + 2)

    def conditions(self, heading: str, text: str) -> None:
        """The general conditions of sale, starting on a page of their own."""
        self.add_page()
        self.set_font(FAMILY, "B", 11)
        self.cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)
        for block in text.strip().split("\n\n"):
            first, _, rest = block.strip().partition("\n")
            if rest and len(first) <= 80:  # an article's title line
                self.set_font(FAMILY, "B", 7.5)
                self.multi_cell(0, 3.6, first, align="L", new_x="LMARGIN", new_y="NEXT")
                block = rest
            self.set_font(FAMILY, "", 7.5)
            self.multi_cell(0, 3.6, block.strip(), new_x="LMARGIN", new_y="NEXT")
            self.ln(1.2)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


# ------------------------------------------------------------ one e-payment's documents


def payment_subject(facts: PaymentDocumentFacts) -> str:
    if facts.kind == PaymentKind.RESERVATION.value:
        return f"Réservation du véhicule, sur l'opportunité n°{facts.opportunity_number}"
    return f"Acompte de la commande n°{facts.order_number}"


def payment_vehicle(facts: PaymentDocumentFacts) -> str:
    v = facts.vehicle
    label = " ".join(p for p in (v.make, v.model, v.version) if p)
    details = ", ".join(p for p in (v.condition, f"immatriculation {v.plate}" if v.plate else "") if p)
    return f"{label} ({details})" if details else label


def payment_document(
    title: str, facts: PaymentDocumentFacts, heading: str, amount_rows: list[tuple[str, str]], statement: str
) -> DocumentPdf:
    """A receipt or a refund notice: the parties, the payment's rows around `amount_rows`, the statement."""
    pdf = DocumentPdf(title, facts.dealer, subtitle=f"Paiement en ligne n° {facts.reference}")
    pdf.add_page()
    pdf.columns(("Client", customer_rows(facts.customer)), ("Vendeur", seller_rows(facts.seller, facts.dealer)))
    pdf.section(heading)
    pdf.rows(
        [
            ("Objet", payment_subject(facts)),
            ("Véhicule", payment_vehicle(facts)),
            *amount_rows,
            ("Payé le", format_paris(facts.authorised_at)),
            ("Moyen de paiement", "Carte bancaire, paiement en ligne"),
            ("Carte", facts.masked_pan or NOT_SET),
            ("N° d'autorisation", facts.authorisation_id or NOT_SET),
            ("N° de transaction", facts.reference),
            ("Paiement traité par", facts.psp_name),
        ]
    )
    pdf.ln(3)
    pdf.paragraph(statement)
    return pdf
