"""R2 for the forms: hypothesis-generated input to every form's server-side service. Each case is
either accepted or refused with a French field message (DomainError / ValidationError) — never
another exception — and a refused case writes nothing."""

import re
import string
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from epay_app.db import session_scope
from epay_app.domain.errors import DomainError, ValidationError
from epay_app.domain.visitor import validate_visitor
from epay_app.models import DealerGroup, Entity, EPayment, OutboxMail, PspConfig, SalesOrder, User
from epay_app.services.admin import psp_config
from epay_app.services.admin import settings as group_settings
from epay_app.services.sales import checkout

FRENCH_WORD = re.compile(r"\b(le|la|les|de|du|des|est|doit|un|une|au|ce|cette|pas)\b", re.IGNORECASE)
METHODS = ["Virement", "Chèque", "Espèces", "Carte bancaire", "Financement"]
texty = st.one_of(
    st.text(max_size=40),
    st.text(string.digits + " ,.€-", max_size=12),
    st.sampled_from(["", " ", "0", "-5", "1e3", "500", "1000,01", "24900", "24900,01", "\x00", "💳"]),
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _counts(url):
    with session_scope(url, write=False) as s:
        return tuple(
            s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (SalesOrder, EPayment, OutboxMail, PspConfig)
        )


def _is_french(exc) -> bool:
    messages = exc.errors.values() if isinstance(exc, ValidationError) else [str(exc)]
    return all(m and FRENCH_WORD.search(m) and "Traceback" not in m for m in messages)


@pytest.fixture
def seller(seeded_db_url):
    with session_scope(seeded_db_url) as s:
        return s.exec(select(User).where(User.email == "vendeur@openflex.demo")).scalar_one()


@FUZZ
@given(
    amount=texty,
    method=st.one_of(st.sampled_from(METHODS), texty),
    balance=st.one_of(st.sampled_from(METHODS), texty),
    decline=st.booleans(),
    delivery=st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2100, 1, 1))),
)
def test_checkout_form(seeded_db_url, seller, amount, method, balance, decline, delivery):
    before = _counts(seeded_db_url)
    form = checkout.CheckoutForm(
        balance_method=balance,
        deposit_amount=amount,
        deposit_method=method,
        decline_online=decline,
        delivery_date=delivery,
        extreme_delivery_date=delivery,
    )
    try:
        with session_scope(seeded_db_url) as s:
            checkout.validate_order(s, offer_number=26837, form=form, user=seller)
            raise _Undo  # keep offer 26837 free for the next example
    except _Undo:
        pass
    except DomainError as exc:
        assert _is_french(exc), exc
    assert _counts(seeded_db_url) == before


class _Undo(Exception):
    pass


@FUZZ
@given(
    pos=st.one_of(st.integers(-5, 10_000), texty),
    merchant=texty,
    key=texty,
    version=st.one_of(st.integers(-3, 20_000), texty),
)
def test_psp_configuration_form(seeded_db_url, pos, merchant, key, version):
    with session_scope(seeded_db_url, write=False) as s:
        entity_id = s.exec(select(Entity.id).where(Entity.number == 45)).scalar_one()
    before = _counts(seeded_db_url)
    try:
        with session_scope(seeded_db_url) as s:
            psp_config.create_config(s, entity_id, pos, merchant, key, version)
            raise _Undo
    except _Undo:
        pass
    except DomainError as exc:
        assert _is_french(exc), exc
    assert _counts(seeded_db_url) == before


@FUZZ
@given(days=texty, delay=texty, enabled=st.booleans(), hours=texty, amount=texty)
def test_group_settings_forms(seeded_db_url, days, delay, enabled, hours, amount):
    with session_scope(seeded_db_url, write=False) as s:
        group = s.exec(select(DealerGroup)).scalar_one()
        before = group.model_dump()
        entity_id = s.exec(select(Entity.id).where(Entity.number == 45)).scalar_one()
    for update in (
        lambda s: group_settings.update_digital_journey(s, group.id, days, delay, enabled),
        lambda s: group_settings.update_reservation(s, group.id, enabled, hours, amount, by_entity_id=entity_id),
    ):
        try:
            with session_scope(seeded_db_url) as s:
                update(s)
                raise _Undo
        except _Undo:
            pass
        except DomainError as exc:
            assert _is_french(exc), exc
    with session_scope(seeded_db_url, write=False) as s:
        assert s.get(DealerGroup, group.id).model_dump() == before


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["civility", "last_name", "first_name", "email", "phone"]),
        st.one_of(texty, st.integers(), st.none()),
    )
)
def test_reservation_visitor_form(data):
    try:
        validate_visitor(data)
    except DomainError as exc:
        assert _is_french(exc), exc
