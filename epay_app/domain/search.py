"""The normalised text the e-Paiements search runs on: lower case, accents stripped.

The database builds the same text in SQL (alembic revision 0006_tracking) from this very
table, so a query normalised here finds what the triggers indexed: both sides must agree.
"""

from __future__ import annotations

# Accented letter → plain lower-case letters. Upper- and lower-case forms, since SQLite's
# lower() only folds ASCII.
ACCENTS: dict[str, str] = {}
for plain, letters in {
    "a": "àáâãäåÀÁÂÃÄÅ",
    "c": "çÇ",
    "e": "èéêëÈÉÊË",
    "i": "ìíîïÌÍÎÏ",
    "n": "ñÑ",
    "o": "òóôõöøÒÓÔÕÖØ",
    "u": "ùúûüÙÚÛÜ",
    "y": "ýÿÝŸ",
    "oe": "œŒ",
    "ae": "æÆ",
}.items():
    for letter in letters:
        ACCENTS[letter] = plain

_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
_TABLE = str.maketrans({**{chr(k): chr(v) for k, v in _ASCII_LOWER.items()}, **ACCENTS})

# Substring search needs three characters (one trigram); shorter input only matches a whole number.
MIN_SUBSTRING = 3


def normalise(text: str | None) -> str:
    """'Marie VERRIÈRE' → 'marie verriere'. Runs of spaces collapse to one."""
    return " ".join((text or "").translate(_TABLE).split())


def sql_normalise_sqlite(source: str, chunk: int = 12) -> str:
    """The same normalisation in SQLite: `source` is a SELECT giving (id, t); the result is a
    SELECT giving (id, t) with t normalised. SQLite has no translate() and its parser refuses
    ~40 nested calls, so the replace() chain is split over nested sub-selects."""
    pairs = list(ACCENTS.items())
    out = f"SELECT id, lower(t) AS t FROM ({source})"
    for start in range(0, len(pairs), chunk):
        expr = "t"
        for letter, plain in pairs[start : start + chunk]:
            expr = f"replace({expr}, '{letter}', '{plain}')"
        out = f"SELECT id, {expr} AS t FROM ({out})"
    return out


def sql_normalise_postgres(expr: str) -> str:
    """The same normalisation as a PostgreSQL expression."""
    singles = {k: v for k, v in ACCENTS.items() if len(v) == 1}
    out = f"translate({expr}, '{''.join(singles)}', '{''.join(singles.values())}')"
    for letter, plain in ACCENTS.items():
        if len(plain) > 1:
            out = f"replace({out}, '{letter}', '{plain}')"
    return f"lower({out})"
