"""An administrator sets their entity's legal identity and general conditions of sale ("IMPRESSION
DES PDF"): French field errors, nothing written on a wrong value, only their own entity, and the
bon de commande prints what was saved."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.errors import ValidationError
from epay_app.models import Entity, Offer, Opportunity, PointOfSale, SalesOrder, User
from epay_app.pages.settings.pdf_print import LegalIdentityState
from epay_app.services.admin import legal_identity
from epay_app.services.sales import documents
from tests.support.pages import drive, seam_for

VALID = {
    "legal_address": "1 place de la Gare 71100 Chalon-sur-Saône",
    "legal_phone": "+33 3 85 11 22 33",
    "legal_email": "juridique@exemple.fr",
    "siret": "793 451 287 00023",
    "rcs": "RCS Lyon 793 451 287",
    "vat_number": "fr63 793451287",
    "share_capital": "250 000",
    "conditions": "Article unique — Le client s'engage.\r\n\r\nFin des conditions.",
}


@pytest.fixture
def db(seeded_app_db_url):
    return seeded_app_db_url


def _user(url: str, group: str = "administrateur") -> User:
    with session_scope(url, write=False) as s:
        return s.exec(select(User).where(User.group_type == group).order_by(User.id)).first()


def _entity(url: str, entity_id: int) -> Entity:
    with session_scope(url, write=False) as s:
        return s.get(Entity, entity_id)


def test_valid_values_are_saved_normalised(db):
    admin = _user(db)
    with session_scope(db) as s:
        saved = legal_identity.update_legal_identity(s, admin.entity_id, VALID)

    entity = _entity(db, admin.entity_id)
    assert entity.siret == "79345128700023" and entity.vat_number == "FR63793451287"
    assert entity.share_capital_cents == 25_000_000
    assert entity.sales_conditions == "Article unique — Le client s'engage.\n\nFin des conditions."
    assert saved.share_capital == "250 000,00"


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("siret", "1234", legal_identity.MSG_SIRET),
        ("siret", "79345128700024", legal_identity.MSG_SIRET_KEY),
        ("vat_number", "DE123456789", legal_identity.MSG_VAT),
        ("vat_number", "FR19812345676", legal_identity.MSG_VAT_SIREN),
        ("legal_email", "pas-une-adresse", legal_identity.MSG_EMAIL),
        ("legal_phone", "appelez-moi", legal_identity.MSG_PHONE),
        ("share_capital", "-5", legal_identity.MSG_CAPITAL),
        ("share_capital", "beaucoup", legal_identity.MSG_CAPITAL),
        ("conditions", "x" * (legal_identity.CONDITIONS_MAX + 1), legal_identity.MSG_CONDITIONS),
    ],
)
def test_a_wrong_value_gets_its_french_message_and_nothing_is_written(db, field, value, message):
    admin = _user(db)
    before = _entity(db, admin.entity_id).model_dump()
    with pytest.raises(ValidationError) as caught, session_scope(db) as s:
        legal_identity.update_legal_identity(s, admin.entity_id, {**VALID, field: value})
    assert caught.value.errors == {field: message}
    assert _entity(db, admin.entity_id).model_dump() == before


def _handler_state(user: User) -> SimpleNamespace:
    state = SimpleNamespace(entity_name="", values={}, errors={}, error_form="", form_key=0)
    seam_for(state, user)  # what the guard and AppState._run touch (tests/support/pages.py)
    return state


def test_the_form_saves_the_administrators_own_entity_only(db):
    admin = _user(db)
    with session_scope(db, write=False) as s:
        others = {e.id: e.model_dump() for e in s.exec(select(Entity).where(Entity.id != admin.entity_id))}
    state = _handler_state(admin)
    # A forged form naming another entity: the handler never reads an entity from the browser.
    drive(LegalIdentityState.event_handlers["submit_legal_identity"].fn(state, {**VALID, "entity_id": "1"}))

    assert state.errors == {}
    assert _entity(db, admin.entity_id).siret == "79345128700023"
    with session_scope(db, write=False) as s:
        assert {e.id: e.model_dump() for e in s.exec(select(Entity).where(Entity.id != admin.entity_id))} == others


def test_the_form_shows_field_errors(db):
    state = _handler_state(_user(db))
    result = drive(LegalIdentityState.event_handlers["submit_legal_identity"].fn(state, {**VALID, "siret": "12"}))
    assert state.errors == {"siret": legal_identity.MSG_SIRET}
    assert "corrigez les champs signalés" in str(result)


def test_the_bon_de_commande_prints_the_saved_identity_and_conditions(db):
    with session_scope(db, write=False) as s:
        order, pos, seller = s.exec(
            select(SalesOrder, PointOfSale, User)
            .join(PointOfSale, PointOfSale.id == SalesOrder.pos_id)
            .join(Offer, Offer.id == SalesOrder.offer_id)
            .join(Opportunity, Opportunity.id == Offer.opportunity_id)
            .join(User, User.id == Opportunity.seller_id)
            .order_by(SalesOrder.id)
        ).first()
    with session_scope(db) as s:
        legal_identity.update_legal_identity(s, pos.entity_id, VALID)
        pdf = documents.order_form_pdf(s, order.number, seller)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    text = " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
    assert "SIRET 79345128700023" in text
    assert "TVA intracommunautaire FR63793451287" in text
    assert "capital de 250 000,00 €" in text
    assert "Article unique — Le client s'engage." in text
