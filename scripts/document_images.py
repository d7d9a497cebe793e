"""Render the README's pictures of the printed documents (docs/documents/*.png) from the test
facts of the guide's order, with the demo entity's conditions of sale.

    .venv/bin/python scripts/document_images.py
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pypdfium2

from epay_app.documents import order_form, receipt, refund_notice
from epay_app.services.demo.demo_legal import CONDITIONS
from tests.support import document_facts as facts

OUT = ROOT / "docs" / "documents"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    order = replace(facts.ORDER, sales_conditions=CONDITIONS)
    pictures = {
        "bon-de-commande": (order_form.render_order_form(order), [0, 1]),
        "recu-acompte": (receipt.render_receipt(facts.PAID), [0]),
        "avis-remboursement": (refund_notice.render_refund_notice(facts.REFUNDED), [0]),
    }
    for name, (pdf, pages) in pictures.items():
        document = pypdfium2.PdfDocument(pdf)
        for index in pages:
            image = document[index].render(scale=1.4).to_pil()
            image.save(OUT / f"{name}-{index + 1}.png", optimize=True)
            print(OUT / f"{name}-{index + 1}.png")


if __name__ == "__main__":
    main()
