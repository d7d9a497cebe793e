"""Mon compte: the password policy applies to a password changed in the app; an administrator
lifts the login waits of an account of their entity (issue 12, login)."""

from __future__ import annotations

import asyncio

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlmodel import func, select

from epay_app.db import session_scope
from epay_app.domain.errors import ValidationError
from epay_app.models import LoginThrottle, User, UserSession
from epay_app.pages.account import AccountState
from epay_app.services.access import auth
from epay_app.services.demo import demo_data

NEW = "Concession-Lyon-2026!"


def _user(url: str, email: str) -> User:
    with session_scope(url, write=False) as s:
        return s.exec(select(User).where(User.email == email)).one()


def _sessions(url: str, user_id: int) -> int:
    with session_scope(url, write=False) as s:
        return s.exec(select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)).one()


def _change(url: str, email: str, current: str, new: str, confirm: str) -> None:
    with session_scope(url) as s:
        user = s.exec(select(User).where(User.email == email)).one()
        auth.change_own_password(s, user, current, new, confirm)


@pytest.mark.parametrize(
    "current,new,confirm,field",
    [
        ("faux", NEW, NEW, "current"),
        (demo_data.DEMO_PASSWORD, "court", "court", "new"),
        (demo_data.DEMO_PASSWORD, "toutenminusculesetlongue", "toutenminusculesetlongue", "new"),
        (demo_data.DEMO_PASSWORD, "Vendeur-Thomas-2026", "Vendeur-Thomas-2026", "new"),  # the e-mail's name
        (demo_data.DEMO_PASSWORD, NEW, NEW + "x", "confirm"),
        (demo_data.DEMO_PASSWORD, NEW + "\x00", NEW + "\x00", "new"),
        (demo_data.DEMO_PASSWORD, None, None, "new"),
    ],
)
def test_a_refused_password_change_says_why_in_french_and_changes_nothing(seeded_db_url, current, new, confirm, field):
    before = _user(seeded_db_url, "vendeur@openflex.demo").password_hash
    with pytest.raises(ValidationError) as caught:
        _change(seeded_db_url, "vendeur@openflex.demo", current, new, confirm)
    assert list(caught.value.errors) == [field]
    assert _user(seeded_db_url, "vendeur@openflex.demo").password_hash == before


def test_a_changed_password_ends_every_session_and_is_the_only_one_accepted(seeded_db_url):
    with session_scope(seeded_db_url) as s:
        old_token = auth.login(s, "vendeur@openflex.demo", demo_data.DEMO_PASSWORD)
    seller = _user(seeded_db_url, "vendeur@openflex.demo")
    _change(seeded_db_url, "vendeur@openflex.demo", demo_data.DEMO_PASSWORD, NEW, NEW)
    assert _sessions(seeded_db_url, seller.id) == 0
    with session_scope(seeded_db_url, write=False) as s:
        assert auth.user_for_token(s, old_token) is None
    with pytest.raises(auth.LoginFailed), session_scope(seeded_db_url) as s:
        auth.login(s, "vendeur@openflex.demo", demo_data.DEMO_PASSWORD, client_address="192.0.2.200")
    with session_scope(seeded_db_url) as s:
        assert auth.login(s, "vendeur@openflex.demo", NEW, client_address="192.0.2.201")


def _throttled(url: str, email: str) -> int:
    with session_scope(url, write=False) as s:
        return s.exec(
            select(func.count()).select_from(LoginThrottle).where(LoginThrottle.key == f"account:{email}")
        ).one()


def _slow_down(url: str, email: str) -> None:
    for n in range(auth.MAX_FAILED_LOGINS + 1):
        try:
            with session_scope(url) as s:
                auth.login(s, email, "mauvais", client_address=f"198.51.100.{n}")
        except auth.LoginFailed:
            pass


@pytest.fixture
def page_db(seeded_app_db_url):
    return seeded_app_db_url


def _account_state(url: str, email: str) -> AccountState:
    with session_scope(url) as s:
        token = auth.login(s, email, demo_data.DEMO_PASSWORD, client_address="192.0.2.250")
    state = rx.State(_reflex_internal_init=True)
    for name in AccountState.get_full_name().split(".")[1:]:
        state = state.substates[name]
    state.router = RouterData.from_router_data({"headers": {"cookie": f"epay_session={token}"}})
    return state


def _submit_unlock(state: AccountState, email: str) -> None:
    handler = AccountState.event_handlers["submit_unlock"].fn
    asyncio.run(handler(state, {"email": email}))


def test_an_administrator_unlocks_an_account_of_their_entity_through_the_page(page_db):
    _slow_down(page_db, "vendeur@openflex.demo")
    assert _throttled(page_db, "vendeur@openflex.demo") == 1
    state = _account_state(page_db, "admin@openflex.demo")
    _submit_unlock(state, "Vendeur@OpenFlex.demo")
    assert state.unlock_error == "" and "vendeur@openflex.demo" in state.unlock_done
    assert _throttled(page_db, "vendeur@openflex.demo") == 0


@pytest.mark.parametrize("email", ["audrey.villien@openflex.demo", "personne@openflex.demo", "", "\x00"])
def test_another_entitys_account_or_no_account_reads_as_not_found(page_db, email):
    _slow_down(page_db, "audrey.villien@openflex.demo")
    state = _account_state(page_db, "admin@openflex.demo")
    _submit_unlock(state, email)
    assert state.unlock_error == auth.ACCOUNT_NOT_FOUND and state.unlock_done == ""
    assert _throttled(page_db, "audrey.villien@openflex.demo") == 1


def test_a_seller_cannot_unlock_accounts(page_db):
    _slow_down(page_db, "chef@openflex.demo")
    state = _account_state(page_db, "vendeur@openflex.demo")
    _submit_unlock(state, "chef@openflex.demo")
    assert _throttled(page_db, "chef@openflex.demo") == 1 and state.unlock_done == ""
