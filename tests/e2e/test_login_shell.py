"""Each demo user logs in, sees the shell with their name and role, and logs out."""

import pytest
from playwright.sync_api import expect

from epay_app.services.demo.demo_data import DEMO_USERS

from .conftest import LOGIN_URL, login

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("email,first,last,group", DEMO_USERS, ids=[u[3].value for u in DEMO_USERS])
def test_each_demo_user_sees_their_name_and_role_then_logs_out(live_app, page, shot, email, first, last, group):
    login(page, live_app, email)
    for label in ("Accueil", "Véhicules", "Opportunités", "Clients", "Pilotage"):
        expect(page.get_by_role("link", name=label)).to_be_visible()
    page.locator("#user-menu").click()
    expect(page.locator("#user-name")).to_have_text(f"{first} {last}")
    expect(page.locator("#user-role")).to_have_text(group.value.upper())
    settings_item = page.get_by_role("menuitem", name="Paramètres")
    if group.value == "administrateur":
        expect(settings_item).to_be_visible()
    else:
        expect(settings_item).to_have_count(0)
    shot("menu")
    page.get_by_role("menuitem", name="Se déconnecter").click()
    page.wait_for_url(LOGIN_URL)
    # The session is gone: the home page sends back to the login page, even after a reload.
    page.goto(f"{live_app.base_url}/")
    page.wait_for_url(LOGIN_URL)


def test_session_survives_a_reload(live_app, page):
    login(page, live_app, "vendeur@openflex.demo")
    page.reload()
    expect(page.locator("#welcome")).to_contain_text("Thomas MARTIN")


def test_wrong_password_shows_a_french_error(live_app, page, shot):
    page.goto(f"{live_app.base_url}/login")
    page.locator("#email").fill("vendeur@openflex.demo")
    page.locator("#password").fill("mauvais")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_contain_text("Identifiant ou mot de passe incorrect.")
    shot("wrong-password")
    assert page.url.rstrip("/").endswith("/login")


def test_protected_page_without_session_goes_to_login(live_app, page):
    page.goto(f"{live_app.base_url}/")
    page.wait_for_url(LOGIN_URL)


def test_the_session_credential_is_an_httponly_cookie_no_script_can_read(live_app, page, context):
    login(page, live_app, "vendeur@openflex.demo")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["epay_session"]["httpOnly"] and cookies["epay_session"]["sameSite"] == "Strict"
    token = cookies["epay_session"]["value"]
    readable = page.evaluate(
        "() => document.cookie + JSON.stringify(Object.assign({}, localStorage))"
        " + JSON.stringify(Object.assign({}, sessionStorage))"
    )
    assert token not in readable and "epay_session" not in readable
    # After logout the cookie is gone and the old token opens nothing, even if replayed.
    page.locator("#user-menu").click()
    page.get_by_role("menuitem", name="Se déconnecter").click()
    page.wait_for_url(LOGIN_URL)
    assert "epay_session" not in {c["name"] for c in context.cookies()}
    context.add_cookies([{**cookies["epay_session"], "value": token}])
    page.goto(f"{live_app.base_url}/e-paiements")
    page.wait_for_url(LOGIN_URL)
