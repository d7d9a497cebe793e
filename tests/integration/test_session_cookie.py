"""Finding (issue 12): the 7-day session token sat in localStorage, readable by any page script.
Now the login leaves a one-time ticket that /api/session/open trades for an HttpOnly cookie."""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx
import pytest
from reflex.istate.data import RouterData
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.domain.dates import utcnow
from epay_app.models import User, UserSession
from epay_app.services.access import auth
from epay_app.state import token_from_cookie_header

PASSWORD = "Cookie-Sesame-2026"
_emails = (f"cookie{i}@test.local" for i in itertools.count(1))


@pytest.fixture
def user_email(migrated_db_url, demo_point_of_sale):
    email = next(_emails)
    with session_scope() as s:
        s.add(
            User(
                first_name="Nina",
                last_name="COOKIE",
                email=email,
                password_hash=auth.hash_password(PASSWORD),
                group_type="vendeur",
                entity_id=demo_point_of_sale["entity_id"],
                pos_id=demo_point_of_sale["pos_id"],
            )
        )
    return email


def _ticket(email: str) -> tuple[str, str]:
    """What the login handler does: the login token (kept on the server) and its ticket."""
    with session_scope() as s:
        token = auth.login(s, email, PASSWORD)
        return token, auth.issue_exchange_ticket(s, token)


def _open(api_server: str, ticket: str, **headers) -> httpx.Response:
    return httpx.post(
        f"{api_server}/api/session/open",
        content=f"ticket={ticket}",
        headers={"content-type": "application/x-www-form-urlencoded", **headers},
        follow_redirects=False,
    )


def _user_for(token: str) -> str | None:
    with session_scope(write=False) as s:
        user = auth.user_for_token(s, token)
        return user.email if user else None


def test_ticket_sets_an_httponly_strict_cookie_and_rotates_the_token(api_server, user_email):
    login_token, ticket = _ticket(user_email)
    answer = _open(api_server, ticket, origin=api_server)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith("epay_session=")
    attributes = {part.strip().lower() for part in set_cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    cookie_token = answer.cookies["epay_session"]
    assert _user_for(cookie_token) == user_email
    assert _user_for(login_token) is None  # the token the websocket handler saw is worthless now
    # AppState reads the token from the websocket handshake's Cookie header, on the server.
    router = RouterData.from_router_data({"headers": {"cookie": f"theme=dark; epay_session={cookie_token}"}})
    assert token_from_cookie_header(router.headers.cookie) == cookie_token


def test_a_ticket_works_once(api_server, user_email):
    _token, ticket = _ticket(user_email)
    assert _open(api_server, ticket).status_code == 303
    again = _open(api_server, ticket)
    assert again.status_code == 303 and again.headers["location"] == "/login"
    assert "set-cookie" not in again.headers


def test_an_expired_ticket_opens_nothing(api_server, user_email):
    _token, ticket = _ticket(user_email)
    with session_scope() as s:
        row = s.exec(select(UserSession).where(UserSession.exchange_hash.is_not(None))).one()
        row.exchange_expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    answer = _open(api_server, ticket)
    assert answer.headers["location"] == "/login" and "set-cookie" not in answer.headers


def test_a_ticket_posted_from_another_site_is_refused_and_stays_unused(api_server, user_email):
    _token, ticket = _ticket(user_email)
    assert _open(api_server, ticket, origin="https://attaquant.example").status_code == 403
    assert "epay_session" in _open(api_server, ticket, origin=api_server).cookies


@pytest.mark.parametrize("body", ["ticket=%00", "ticket=" + "a" * 5000, "\x00\xff", "", "ticket=x&ticket=y"])
def test_bad_tickets_never_give_a_500(api_server, body):
    answer = httpx.post(f"{api_server}/api/session/open", content=body.encode("latin-1"), follow_redirects=False)
    assert answer.status_code in (303, 400)
    assert "set-cookie" not in answer.headers


def test_close_clears_the_cookie(api_server):
    answer = httpx.get(f"{api_server}/api/session/close", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert (
        answer.headers["set-cookie"].startswith('epay_session="";')
        or "max-age=0" in answer.headers["set-cookie"].lower()
    )


@pytest.mark.parametrize("header", ["", "epay_session", 'epay_session="unterminated', "a=b; c", "\x00"])
def test_a_malformed_cookie_header_is_no_session(header):
    assert token_from_cookie_header(header) == ""
