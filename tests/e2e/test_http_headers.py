"""HTTP hardening in Chromium (issue 12): every answer of the app's port — built pages, /pay/…,
/api/… — carries the policy; another origin cannot frame the app nor read it with credentials;
the policy breaks nothing: no CSP violation along the reservation journey and on a seller's
order page."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from epay_app.db import session_scope
from epay_app.models import EPayment, Vehicle

from .conftest import fill_card, login

pytestmark = pytest.mark.e2e
CSP_VIOLATION = re.compile(
    r"Content Security Policy|Refused to (load|execute|apply|connect|frame|evaluate|send)", re.IGNORECASE
)


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}


def _assert_hardened(headers: dict[str, str], app) -> None:
    csp = _directives(headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert csp["script-src"][1] == "'unsafe-eval'"  # Reflex's toasts and call_script run through eval
    assert all(s == "'self'" or s.startswith("'sha256-") for s in csp["script-src"][2:]), csp["script-src"]
    assert csp["frame-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'", app.sandbox_url]  # the PSP's pages: Sips and Direct here
    assert set(csp["connect-src"]) == {"'self'", app.base_url, "ws" + app.base_url[4:]}
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in headers  # served over http here (https: unit test)


def test_pages_payment_links_and_api_routes_carry_the_policy(live_app, page):
    for path in ("/stock/61", "/login", "/", "/commandes/4186", "/e-paiements"):
        response = page.goto(live_app.base_url + path)
        assert response.status == 200, path
        _assert_hardened(response.headers, live_app)
    answers = {
        "/pay/not-a-token": 404,  # our French page about the link
        "/api/e-paiements/export.csv": None,  # refused without a session, still hardened
        "/api/psp/direct/return": None,
        "/ping": 200,
    }
    for path, status in answers.items():
        response = page.request.get(live_app.base_url + path, max_redirects=0)
        if status is not None:
            assert response.status == status, path
        _assert_hardened(response.headers, live_app)


def test_a_payment_link_redirect_carries_the_policy(live_app, page):
    """/pay/<token> answers a 303 to the PSP's hosted page, with the headers."""
    vehicle_id = _vehicle_id(live_app, "DF231LM")
    page.goto(f"{live_app.base_url}/stock/61/{vehicle_id}")
    links = []
    page.on("request", lambda r: links.append(r.url) if "/pay/" in r.url else None)
    _reserve(page, "links.visiteur@example.com")
    expect(page.locator("#amount")).to_have_text("200.00 EUR", timeout=20_000)  # on the PSP's page
    assert links and links[0].startswith(live_app.base_url + "/pay/")
    response = page.request.get(links[0], max_redirects=0)
    assert response.status == 303 and response.headers["location"].startswith(live_app.sandbox_url)
    _assert_hardened(response.headers, live_app)


def test_cors_answers_only_the_public_origin(live_app, page):
    evil = page.request.get(live_app.base_url + "/ping", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers
    preflight = page.request.fetch(
        live_app.base_url + "/api/e-paiements/export.csv",
        method="OPTIONS",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    own = page.request.get(live_app.base_url + "/ping", headers={"Origin": live_app.base_url})
    assert own.headers["access-control-allow-origin"] == live_app.base_url


class _Framer(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):
        body = f'<!doctype html><title>autre site</title><iframe id="victim" src="{self.target}"></iframe>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_page_framed_by_another_origin_does_not_render(live_app, page):
    _Framer.target = f"{live_app.base_url}/login"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Framer)  # another port: another origin
    threading.Thread(target=server.serve_forever, daemon=True).start()
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    try:
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        expect(page.locator("#victim")).to_be_attached()
        deadline = time.monotonic() + 10
        while not any("frame-ancestors" in m for m in messages) and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert any("frame-ancestors" in m for m in messages), messages
        frame = page.frame_locator("#victim")
        expect(frame.locator("#login-submit")).to_have_count(0)
        expect(frame.locator("#email")).to_have_count(0)
    finally:
        server.shutdown()
    # The same page, opened directly, does render.
    page.goto(f"{live_app.base_url}/login")
    expect(page.locator("#login-submit")).to_be_visible()


# --- The policy breaks nothing ------------------------------------------------------------------


def _vehicle_id(app, plate_or_model: str) -> int:
    with session_scope(app.db_url, write=False) as s:
        return s.exec(
            select(Vehicle.id).where((Vehicle.plate == plate_or_model) | (Vehicle.model == plate_or_model))
        ).first()


def _reserve(page, email: str) -> None:
    page.locator("#reserve-button").click()
    page.get_by_role("radio", name="M.", exact=True).click()
    page.locator("#last_name").fill("Marie")
    page.locator("#first_name").fill("Jean")
    page.locator("#email").fill(email)
    page.locator("#phone").fill("06 12 34 56 78")
    page.locator("#reservation-submit").click()


def test_no_csp_violation_on_the_reservation_journey_and_the_order_page(live_app, page, browser, shot):
    violations = []

    def watch(p):
        p.on("console", lambda m: violations.append((p.url, m.text)) if CSP_VIOLATION.search(m.text) else None)
        p.on("pageerror", lambda e: violations.append((p.url, f"page error: {e}")))

    watch(page)
    vehicle_id = _vehicle_id(live_app, "208")
    page.goto(f"{live_app.base_url}/stock/61")
    expect(page.locator(f"#vehicle-{vehicle_id}")).to_be_visible()
    page.locator(f"#vehicle-{vehicle_id}").click()
    expect(page.locator("#vehicle-price")).to_contain_text("€ TTC")
    page.locator("#reserve-button").click()
    page.locator("#reservation-submit").click()  # the field errors render too
    expect(page.locator("#error-email")).to_be_visible()
    page.locator("#last_name").fill("Marie")
    page.get_by_role("radio", name="M.", exact=True).click()
    page.locator("#first_name").fill("Jean")
    page.locator("#email").fill("csp.visiteur@example.com")
    page.locator("#phone").fill("06 12 34 56 78")
    page.locator("#reservation-submit").click()
    # Our page sends the visitor on (meta refresh → /pay/<token> → 303 → the PSP's hosted page).
    expect(page.locator("#amount")).to_have_text("200.00 EUR", timeout=20_000)
    fill_card(page, "JEAN MARIE")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(re.escape(live_app.base_url) + r"/.*"), timeout=20_000)
    shot("1-back-from-psp")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with session_scope(live_app.db_url, write=False) as s:
            payment = s.exec(
                select(EPayment).where(EPayment.vehicle_id == vehicle_id, EPayment.kind == "reservation")
            ).first()
        if payment is not None and payment.status == "autorise":
            break
        time.sleep(0.3)
    assert payment is not None and payment.status == "autorise"
    page.goto(f"{live_app.base_url}/stock/61/{vehicle_id}")
    expect(page.locator("#reserved-badge")).to_be_visible()

    seller = browser.new_page()
    watch(seller)
    login(seller, live_app, "adrien.patisson@openflex.demo")
    seller.goto(f"{live_app.base_url}/commandes/4186")
    expect(seller.locator("#order-title")).to_have_text("Commande n°4186", timeout=15_000)
    seller.wait_for_timeout(1500)  # let late effects (websocket, toasts, icons) run
    seller.close()

    # A toast (rx.toast runs through eval in Reflex) shows under the policy.
    admin = browser.new_page()
    watch(admin)
    login(admin, live_app, "admin@openflex.demo")
    admin.goto(f"{live_app.base_url}/parametres/opportunites")
    admin.locator("#reservation-edit").click()
    admin.locator("#reservation-save").click()
    expect(admin.get_by_text("Paramètres de la e-réservation enregistrés.")).to_be_visible()
    admin.close()
    assert violations == []
