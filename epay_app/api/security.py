"""HTTP hardening of every answer the app's port gives (F-68, issue 12).

In prod, Reflex serves the built front end, the websocket and our routes (/pay, /api/…) from one
Starlette app that `routes.mount_api` wraps: the middleware below sees every HTML page, so the
policy is set here once. (In dev, Vite serves the pages on its own port: no headers there.)

The policy, and why each source is there:
- scripts: our own origin, plus the exact hashes of the inline scripts of the built pages (React
  Router writes its hydration data inline) and of our auto-posting PSP form — no `'unsafe-inline'`.
  `'unsafe-eval'` stays: Reflex runs `rx.toast`, `rx.call_script` and `rx.call_function` through
  `eval` in its state.js (toasts vanish without it, found by the e2e suites); it lets our own
  scripts evaluate strings, not load foreign ones;
- styles: `'unsafe-inline'`, Emotion and Radix write <style> elements at run time;
- frames: our own origin only, and nobody may frame us (`frame-ancestors 'none'`, X-Frame-Options);
- forms may post only to us and to the PSP's hosted pages (Sips: EPAY_PSP_PAYPAGE_URL; Direct:
  the hosted checkout on EPAY_DIRECT_API_URL's host, reached by a 303 from /pay/<token>);
- connections: our origin and the websocket of the backend (REFLEX_API_URL).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Settings, get_settings

log = logging.getLogger(__name__)

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
HSTS = "max-age=31536000; includeSubDomains"
REFERRER_POLICY = "same-origin"  # /pay/<token> never leaks to the PSP in a Referer
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def origin(url: str) -> str:
    """scheme://host[:port] of a URL ("" when it has none)."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def websocket_origin(url: str) -> str:
    o = origin(url)
    return "ws" + o[4:] if o.startswith("http") else ""


def script_hash(code: str | bytes) -> str:
    data = code.encode() if isinstance(code, str) else code
    return "'sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode() + "'"


@lru_cache(maxsize=4)
def built_page_script_hashes(static_dir: str) -> tuple[str, ...]:
    """The hashes of every inline script of the built front end (read once per process)."""
    hashes = set()
    for page in Path(static_dir).rglob("*.html"):
        for code in _INLINE_SCRIPT.findall(page.read_bytes()):
            if code.strip():
                hashes.add(script_hash(code))
    return tuple(sorted(hashes))


def _static_dir() -> str:
    """Where Reflex serves the built pages from in prod (.web/build/client)."""
    try:
        from reflex.utils import prerequisites
        from reflex_base import constants

        return str(prerequisites.get_web_dir() / constants.Dirs.STATIC)
    except Exception:
        return ""


def content_security_policy(settings: Settings, inline_hashes: tuple[str, ...] = ()) -> str:
    from .customer_pages import AUTO_POST_SCRIPT

    own = [o for o in dict.fromkeys([origin(settings.public_url), origin(os.environ.get("REFLEX_API_URL", ""))]) if o]
    sockets = [websocket_origin(o) for o in own]
    psp_forms = [o for o in dict.fromkeys([origin(settings.psp_paypage_url), origin(settings.direct_api_url)]) if o]
    scripts = ["'self'", "'unsafe-eval'", script_hash(AUTO_POST_SCRIPT), *inline_hashes]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src " + " ".join(scripts),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src " + " ".join(["'self'", *own, *sockets]),
            "frame-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action " + " ".join(["'self'", *psp_forms]),
            "frame-ancestors 'none'",
        ]
    )


def security_headers(settings: Settings, inline_hashes: tuple[str, ...] = ()) -> list[tuple[bytes, bytes]]:
    headers = [
        ("content-security-policy", content_security_policy(settings, inline_hashes)),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", REFERRER_POLICY),
        ("permissions-policy", PERMISSIONS_POLICY),
    ]
    if settings.public_url.lower().startswith("https://"):
        headers.append(("strict-transport-security", HSTS))
    return [(k.encode(), v.encode()) for k, v in headers]


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP answer (pages, /pay, /api, static files).
    A header the inner app already set is left alone."""

    def __init__(self, app, static_dir: str | None = None):
        self.app = app
        self.static_dir = _static_dir() if static_dir is None else static_dir
        self._headers: list[tuple[bytes, bytes]] | None = None

    def headers(self) -> list[tuple[bytes, bytes]]:
        if self._headers is None:  # after the build: the first request comes once the app is up
            hashes = built_page_script_hashes(self.static_dir) if self.static_dir else ()
            self._headers = security_headers(get_settings(), hashes)
            log.info("security headers ready (%d inline script hashes)", len(hashes))
        return self._headers

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = self.headers()

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {
                    **message,
                    "headers": [*message.get("headers", []), *((k, v) for k, v in extra if k not in present)],
                }
            await send(message)

        await self.app(scope, receive, send_with_headers)
