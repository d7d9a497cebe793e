"""The visitor's details on the reservation form: normalised, or refused field by field in French."""

import pytest

from epay_app.domain.errors import ValidationError
from epay_app.domain.visitor import validate_visitor

GOOD = {
    "civility": "Mme.",
    "last_name": "  le  Gall ",
    "first_name": "Anne-Sophie",
    "email": " Anne.LeGall@Example.FR ",
    "phone": "06.12.34.56.78",
}


def test_good_details_are_normalised():
    details = validate_visitor(GOOD)
    assert (details.civility, details.last_name, details.first_name, details.email, details.phone) == (
        "Mme.",
        "LE GALL",
        "Anne-Sophie",
        "anne.legall@example.fr",
        "0612345678",
    )


@pytest.mark.parametrize(
    "phone, expected",
    [
        ("06 12 34 56 78", "0612345678"),
        ("+33 6 12 34 56 78", "0612345678"),
        ("0033612345678", "0612345678"),
        ("+33 (0)6 12 34 56 78", "0612345678"),
        ("+41 79 123 45 67", "+41791234567"),
    ],
)
def test_phone_numbers_are_read_in_their_usual_forms(phone, expected):
    assert validate_visitor({**GOOD, "phone": phone}).phone == expected


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("civility", "Mlle", "Veuillez choisir la civilité (M. ou Mme.)."),
        ("last_name", "", "Le nom est obligatoire."),
        ("last_name", "x" * 81, "Le nom ne doit pas dépasser 80 caractères."),
        ("first_name", "   ", "Le prénom est obligatoire."),
        ("first_name", "<script>", "Le prénom ne doit contenir que des lettres, espaces, tirets ou apostrophes."),
        ("email", "", "L'adresse e-mail est obligatoire."),
        ("email", "anne@localhost", "L'adresse e-mail n'est pas valide (ex. prenom.nom@exemple.fr)."),
        ("phone", "", "Le numéro de téléphone est obligatoire."),
        ("phone", "06 12 34", "Le numéro de téléphone n'est pas valide (ex. 06 12 34 56 78)."),
        ("phone", "abc", "Le numéro de téléphone n'est pas valide (ex. 06 12 34 56 78)."),
    ],
)
def test_each_bad_field_gets_its_own_message(field, value, message):
    with pytest.raises(ValidationError) as caught:
        validate_visitor({**GOOD, field: value})
    assert caught.value.errors == {field: message}


def test_non_text_values_count_as_missing():
    with pytest.raises(ValidationError) as caught:
        validate_visitor({"civility": None, "last_name": 3, "first_name": [], "email": {}, "phone": 612345678})
    assert len(caught.value.errors) == 5
