"""Clients (F-67): the search finds the viewer's customers by name, e-mail or phone, scoped like
every record; a record lists what the viewer may see; bad input changes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from epay_app.db import reset_engines, session_scope
from epay_app.domain.errors import ValidationError
from epay_app.domain.tracking import TrackingRefused
from epay_app.models import Customer, User
from epay_app.services.access.scope import CustomerNotFound, viewer_for
from epay_app.services.demo import demo_data
from epay_app.services.sales import customers
from tests.support import database


@pytest.fixture(scope="module", params=database.backends())
def url(request, tmp_path_factory):
    url = database.create_migrated_database(request.param, tmp_path_factory.mktemp("customers"))
    with session_scope(url) as s:
        demo_data.seed(s, activity=True)
    yield url
    reset_engines()
    database.drop_database(url)


def _viewer(s, email: str):
    return viewer_for(s, s.exec(select(User).where(User.email == email)).one())


def _labels(url, email: str, query: str) -> list[str]:
    with session_scope(url, write=False) as s:
        return [r["label"] for r in customers.search_customers(s, _viewer(s, email), query)]


@pytest.mark.parametrize(
    "query",
    ["lefèvre", "Hélène", "hélène lefèvre", "HELENE.LEFEVRE@example", "06 22 33", "+33 6 22 33 44 55", "0622334455"],
)
def test_a_customer_is_found_by_name_e_mail_or_phone(url, query):
    assert _labels(url, "vendeur@openflex.demo", query) == ["Mme. Hélène LEFÈVRE"]


def test_the_search_sees_only_the_viewers_customers(url):
    # Jean DUPONT's opportunities are the seller's and the manager's; the other entity's
    # director does not see him, and Audrey's customers are not the seller's.
    assert _labels(url, "vendeur@openflex.demo", "dupont") == ["M. Jean DUPONT"]
    assert _labels(url, "chef@openflex.demo", "dupont") == ["M. Jean DUPONT"]
    assert _labels(url, "audrey.villien@openflex.demo", "dupont") == []
    assert "Mme. Audrey - Compte Client VILLIEN" not in _labels(url, "vendeur@openflex.demo", "")
    assert _labels(url, "vendeur@openflex.demo", "100%_") == []  # LIKE wildcards are plain text


def test_a_record_lists_the_customers_orders_and_payments_in_scope(url):
    with session_scope(url, write=False) as s:
        helene = s.exec(select(Customer).where(Customer.last_name == "LEFÈVRE")).one()
        seller = customers.customer_record(s, _viewer(s, "vendeur@openflex.demo"), helene.id)
        manager = customers.customer_record(s, _viewer(s, "chef@openflex.demo"), helene.id)
        with pytest.raises(CustomerNotFound, match=r"^Client introuvable\.$"):
            customers.customer_record(s, _viewer(s, "audrey.villien@openflex.demo"), helene.id)
    # 26605 is the manager's own sale: the seller does not see it.
    assert sorted(o["number"] for o in seller.orders) == ["26601", "26603"]
    assert sorted(o["number"] for o in manager.orders) == ["26601", "26603", "26605"]
    assert sorted(p["status"] for p in manager.payments) == ["En attente", "En attente", "À rembourser"]
    assert seller.customer["email"] == "helene.lefevre@example.com"


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"civility": ""}, "civility", "La civilité est obligatoire (M. ou Mme.)."),
        ({"last_name": "  "}, "last_name", "Le nom est obligatoire."),
        ({"first_name": ""}, "first_name", "Le prénom est obligatoire."),
        ({"email": "jean.dupont"}, "email", "L'adresse e-mail n'est pas valide (exemple : nom@domaine.fr)."),
        ({"email": ""}, "email", "L'adresse e-mail est obligatoire."),
        ({"phone": "abc"}, "phone", "Le numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78)."),
        ({"last_name": "A\x00B"}, "last_name", "Nom : caractères non autorisés."),
        ({"first_name": ["x"]}, "first_name", "Prénom : valeur invalide."),
    ],
)
def test_bad_input_gives_a_french_field_error_and_changes_nothing(url, values, field, message):
    good = {"civility": "M.", "last_name": "DUPONT", "first_name": "Jean", "email": "jean@example.com", "phone": ""}
    with session_scope(url) as s:
        dupont = s.exec(select(Customer).where(Customer.last_name == "DUPONT")).one()
        before = (dupont.civility, dupont.first_name, dupont.email, dupont.phone)
        with pytest.raises(ValidationError) as caught:
            customers.update_customer(s, _viewer(s, "vendeur@openflex.demo"), dupont.id, {**good, **values})
    assert caught.value.errors == {field: message}
    with session_scope(url, write=False) as s:
        dupont = s.exec(select(Customer).where(Customer.last_name == "DUPONT")).one()
        assert (dupont.civility, dupont.first_name, dupont.email, dupont.phone) == before


def test_an_edit_is_saved_and_a_secretary_may_not_edit(url):
    values = {"civility": "M.", "last_name": "DUPONT", "first_name": "Jean-Marc", "email": "jm@example.com"}
    with session_scope(url) as s:
        dupont = s.exec(select(Customer).where(Customer.last_name == "DUPONT")).one()
        with pytest.raises(TrackingRefused):
            customers.update_customer(s, _viewer(s, "secretaire@openflex.demo"), dupont.id, values)
        customers.update_customer(
            s, _viewer(s, "vendeur@openflex.demo"), dupont.id, {**values, "phone": " 06 11 22 33 44 "}
        )
    with session_scope(url, write=False) as s:
        dupont = s.exec(select(Customer).where(Customer.last_name == "DUPONT")).one()
        assert (dupont.first_name, dupont.email, dupont.phone) == ("Jean-Marc", "jm@example.com", "06 11 22 33 44")
