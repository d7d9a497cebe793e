"""Rebuild the documents' fonts (epay_app/documents/fonts/) from DejaVu Sans 2.37 (Debian's
fonts-dejavu-core, /usr/share/fonts/truetype/dejavu/), cut to the scripts a French dealer's
documents print: Latin (with its extensions), Greek, Cyrillic, punctuation, currency and common
symbols — 2 200 glyphs of 6 250. fpdf2 parses the whole font for each document and subsets it
again when it writes one: with the full fonts a receipt took 120–155 ms, with these 70–75 ms.
Right-to-left scripts are left out: without text shaping fpdf2 cannot print them anyway.

    python scripts/subset_document_fonts.py [/usr/share/fonts/truetype/dejavu]
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

TARGET = Path(__file__).resolve().parents[1] / "epay_app" / "documents" / "fonts"
FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
KEPT_RANGES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x0250, 0x02FF),  # IPA extensions, spacing modifier letters
    (0x0300, 0x036F),  # combining diacritical marks
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic and its supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese…)
    (0x2000, 0x206F),  # general punctuation (the narrow no-break space of "25 000,00 €")
    (0x20A0, 0x20CF),  # currency symbols (€)
    (0x2100, 0x214F),  # letterlike symbols (№, ™)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators
    (0x25A0, 0x25FF),  # geometric shapes
    (0xFB00, 0xFB06),  # Latin ligatures
)


def main(source: Path) -> None:
    unicodes = [u for first, last in KEPT_RANGES for u in range(first, last + 1)]
    for name in FILES:
        font = TTFont(source / name)
        options = subset.Options()
        options.layout_features = []  # fpdf2 does not shape text
        options.name_IDs = ["*"]  # the names and the licence travel with the font
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.hinting = False  # printed, not rasterised on screen
        options.glyph_names = False
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        font.save(TARGET / name)
        print(f"{name}: {len(font.getGlyphOrder())} glyphs")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/usr/share/fonts/truetype/dejavu"))
