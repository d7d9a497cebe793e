"""The seam between pages and use cases (issue 13): pages never open a session nor write SQL,
states hold no list of string dicts, and a failing use case reaches the page as French words."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from epay_app.domain.errors import DomainError, ValidationError
from epay_app.state import UNEXPECTED, run_use_case
from tests.support import aio

APP = Path(__file__).resolve().parents[2] / "epay_app"
PAGES = APP / "pages"
STATE_FILES = [APP / "state.py", *sorted(PAGES.rglob("*.py")), *sorted((APP / "components").rglob("*.py"))]
# `rx.select(` is Reflex's drop-down component, not SQL.
SQL_SELECT = re.compile(r"(?<!rx\.)\bselect\(")


def _offenders(pattern: re.Pattern, files) -> list[str]:
    return [
        f"{path.relative_to(APP)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]


def test_no_page_opens_a_session_or_writes_sql():
    pages = sorted(PAGES.rglob("*.py"))
    assert _offenders(re.compile(r"\bsession_scope\b"), pages) == []
    assert _offenders(SQL_SELECT, pages) == []
    assert _offenders(re.compile(r"\bfrom sqlmodel import\b|\bfrom sqlalchemy\b"), pages) == []


def test_no_state_holds_a_list_of_string_dicts():
    assert _offenders(re.compile(r"list\[dict\[str,\s*str\]\]"), STATE_FILES) == []


def _refused(session):
    raise DomainError("Commande n°1 introuvable.")


def _bad_fields(session):
    raise ValidationError({"email": "Adresse e-mail invalide."})


def _broken(session):
    raise KeyError("a Python message the user must not see")


def test_a_use_case_error_reaches_the_page_in_french_and_the_rest_is_logged(caplog):
    refused = aio.run(run_use_case("Page", _refused, write=False))
    assert (refused.ok, refused.message) == (False, "Commande n°1 introuvable.")
    fields = aio.run(run_use_case("Page", _bad_fields, write=False))
    assert fields.errors == {"email": "Adresse e-mail invalide."} and fields.message == "Adresse e-mail invalide."
    with caplog.at_level(logging.ERROR, logger="epay_app.state"):
        broken = aio.run(run_use_case("Page", _broken, write=False))
    assert broken.message == UNEXPECTED and "must not see" not in broken.message
    assert "Page: _broken failed" in caplog.text
