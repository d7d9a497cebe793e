"""Findings: NUL bytes, overlong values, non-ASCII digits (Arabic-Indic digits in /pay/<id> links
and export tickets were accepted as another spelling) and malformed ids. Each gets a clear
French 4xx or message: never a 500, a traceback or a Python message."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain import inputs
from epay_app.domain.errors import DomainError
from epay_app.domain.money import parse_eur
from epay_app.domain.references import TransactionReference
from epay_app.domain.tracking import parse_filter_keys
from epay_app.models import User
from epay_app.pages.public_stock import path_numbers
from epay_app.services.dashboards import export
from epay_app.services.payment.paylinks import make_token

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PYTHON_WORDS = ("Traceback", "invalid literal", "ValueError", "Exception", "NoneType", "object has no")


def _clean_answer(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert not any(w in response.text for w in PYTHON_WORDS)


def _arabic_id(token: str) -> str:
    payment_id, rest = token.split(".", 1)
    return payment_id.translate(ARABIC) + "." + rest


@pytest.mark.usefixtures("sandbox")
def test_a_payment_link_with_arabic_indic_digits_is_not_another_spelling(api_server, make_payment):
    payment = make_payment(50_000)
    token = make_token(payment)
    assert httpx.get(f"{api_server}/pay/{token}", timeout=30).status_code == 200
    for bad in (_arabic_id(token), token.translate(ARABIC)):
        response = httpx.get(f"{api_server}/pay/{bad}", timeout=30)
        _clean_answer(response, 404)
        assert "Lien de paiement invalide" in response.text


@pytest.mark.parametrize("suffix", ["%00", "%0A", "%20", "x" * 5000, "%C2%A0", "%FF"])
def test_payment_links_with_nul_overlong_or_odd_bytes_are_a_french_404(api_server, make_payment, suffix):
    token = make_token(make_payment(50_000))
    for bad in (token + suffix, suffix + token, "1" * 400 + "." + token):
        response = httpx.get(f"{api_server}/pay/{bad}", timeout=30)
        _clean_answer(response, 404)
        assert "Lien de paiement invalide" in response.text


def _admin_id(url: str) -> int:
    with session_scope(url, write=False) as s:
        return s.exec(select(User).where(User.active.is_(True))).first().id


def test_an_export_ticket_with_arabic_indic_digits_is_refused(api_server, migrated_db_url, demo_point_of_sale):
    ticket = export.make_ticket(_admin_id(migrated_db_url))
    user_id, rest = ticket.split(".", 1)
    for bad in (user_id.translate(ARABIC) + "." + rest, ticket + "\n", ticket + "\x00", ticket * 50):
        response = httpx.get(f"{api_server}{export.PATH}", params={"ticket": bad}, timeout=30)
        _clean_answer(response, 403)
        assert "Lien d'export invalide" in response.text


@pytest.mark.parametrize("q", ["abc\x00def", "x" * 5000, "ligne\nautre"])
def test_an_export_search_with_nul_or_overlong_text_is_a_french_400(api_server, migrated_db_url, demo_point_of_sale, q):
    ticket = export.make_ticket(_admin_id(migrated_db_url))
    response = httpx.get(f"{api_server}{export.PATH}", params={"ticket": ticket, "q": q}, timeout=30)
    _clean_answer(response, 400)
    assert response.text.startswith("Recherche :")


@pytest.mark.parametrize("statut", ["payes\x00", "٣", "x" * 5000])
def test_an_export_filter_that_does_not_exist_is_refused_in_french(
    api_server, migrated_db_url, demo_point_of_sale, statut
):
    ticket = export.make_ticket(_admin_id(migrated_db_url))
    response = httpx.get(f"{api_server}{export.PATH}", params={"ticket": ticket, "statut": statut}, timeout=30)
    assert response.status_code in (400, 403) and response.text.startswith("Filtre inconnu")
    assert "\x00" not in response.text and len(response.text) < 200


@pytest.mark.parametrize(
    "cell,expected",
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+33 6 12", "'+33 6 12"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("Marie", "Marie"),
        ("", ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cell, expected):
    text = export.csv_text([[cell, "500,00"]])
    assert next(csv.reader(io.StringIO(text), delimiter=";")) == [expected, "500,00"]


@pytest.mark.parametrize("value", ["٣٤", "３４", "34\n", " 34", "-1", "0", "", None, "1" * 40, "3.4", [34], True])
def test_ids_are_ascii_digits_only(value):
    with pytest.raises(inputs.BadInput, match="introuvable"):
        inputs.parse_id(value, "Ce paiement est introuvable.")


def test_references_amounts_and_stock_paths_refuse_other_digits():
    good = "00045_000061_20000026992_1"
    assert str(TransactionReference.parse(good)) == good
    for bad in (good + "\n", good.translate(ARABIC), good + "\x00"):
        with pytest.raises(DomainError):
            TransactionReference.parse(bad)
    for bad in ("٥٠٠", "5\x0000", "9" * 40):
        with pytest.raises(DomainError, match="Le montant doit être un nombre"):
            parse_eur(bad)
    assert path_numbers("/stock/٦١/12") == [] and path_numbers("/stock/61/12") == [61, 12]


def test_filter_keys_of_another_type_are_a_french_refusal():
    with pytest.raises(DomainError, match="Filtre inconnu"):
        parse_filter_keys([{"a": 1}])
