"""The HTTP hardening policy (issue 12), without a server: what each setting puts in it."""

from __future__ import annotations

import re

from epay_app.api.customer_pages import AUTO_POST_SCRIPT, auto_post
from epay_app.api.security import (
    built_page_script_hashes,
    content_security_policy,
    origin,
    script_hash,
    security_headers,
)
from epay_app.config import Settings


def _settings(**values) -> Settings:
    base = {
        "public_url": "https://paiement.concession.fr/",
        "psp_paypage_url": "https://payment.sips.example/paymentInit",
        "direct_api_url": "https://payment.preprod.direct.worldline-solutions.com",
    }
    return Settings(**{**base, **values})


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}


def test_the_policy_limits_scripts_and_frames_to_our_origin_and_forms_to_the_psp_pages(monkeypatch):
    monkeypatch.delenv("REFLEX_API_URL", raising=False)
    csp = _directives(content_security_policy(_settings(), ("'sha256-abc='",)))
    # 'unsafe-eval': Reflex's toasts and call_script go through eval (state.js).
    assert csp["script-src"] == ["'self'", "'unsafe-eval'", script_hash(AUTO_POST_SCRIPT), "'sha256-abc='"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert csp["frame-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == [
        "'self'",
        "https://payment.sips.example",
        "https://payment.preprod.direct.worldline-solutions.com",
    ]
    assert csp["connect-src"] == ["'self'", "https://paiement.concession.fr", "wss://paiement.concession.fr"]


def test_hsts_only_when_the_public_url_is_https():
    https = dict(security_headers(_settings()))
    assert https[b"strict-transport-security"] == b"max-age=31536000; includeSubDomains"
    assert https[b"x-frame-options"] == b"DENY" and https[b"x-content-type-options"] == b"nosniff"
    assert https[b"referrer-policy"] == b"same-origin"
    http = dict(security_headers(_settings(public_url="http://localhost:3000")))
    assert b"strict-transport-security" not in http


def test_the_auto_post_page_script_is_the_one_the_policy_allows():
    html = auto_post("https://payment.sips.example/paymentInit", {"Data": "x"}, "Paiement").body
    scripts = re.findall(rb"<script>(.*?)</script>", html)
    assert [script_hash(s) for s in scripts] == [script_hash(AUTO_POST_SCRIPT)]


def test_every_inline_script_of_the_built_pages_is_hashed(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<script>one()</script><script src="/x.js"></script>')
    (tmp_path / "a" / "b.html").write_text('<script type="module">two()</script><script> </script>')
    built_page_script_hashes.cache_clear()
    assert set(built_page_script_hashes(str(tmp_path))) == {script_hash("one()"), script_hash("two()")}


def test_origin_keeps_scheme_host_and_port():
    assert origin("http://127.0.0.1:8900/paymentInit?x=1") == "http://127.0.0.1:8900"
    assert origin("not a url") == ""
