"""POST /api/session/open and GET /api/session/close — the session credential as an HttpOnly cookie.

Reflex handlers run on the websocket and cannot set an HttpOnly cookie; a cookie written by page
script would be readable by page script. So the login handler leaves a one-minute, one-time
ticket and makes the browser post it here; this route rotates the session token and sets it as
`HttpOnly; SameSite=Strict` (and `Secure` behind https). The websocket handshake then carries it,
and AppState reads it from the connection's headers on the server (Reflex 0.10 never sends
request cookies to the front end).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import routes
from ..config import get_settings
from ..db import session_scope
from ..services.access import auth
from .routes import API_ROUTES
from .security import origin

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 1024


def _exchange(ticket: object) -> str | None:
    with session_scope() as session:
        return auth.exchange_ticket(session, ticket)


def _same_origin(request: Request) -> bool:
    """A login ticket posted from another site is refused (login CSRF)."""
    sent = request.headers.get("origin")
    if not sent or sent == "null":
        return True
    expected = {origin(get_settings().public_url), f"{request.url.scheme}://{request.url.netloc}"}
    return sent in expected


def _cookie_options() -> dict:
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": get_settings().public_url.lower().startswith("https://"),
        "path": "/",
    }


async def open_session(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("Origine refusée.", status_code=403)
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return PlainTextResponse("Demande trop longue.", status_code=400)
    ticket = parse_qs(body.decode("ascii", "replace")).get("ticket", [""])[0]
    try:
        token = await run_in_threadpool(_exchange, ticket)
    except Exception:
        log.exception("session ticket exchange failed")
        return PlainTextResponse("Connexion momentanément indisponible. Réessayez.", status_code=503)
    if token is None:
        return RedirectResponse(routes.LOGIN, status_code=303)
    response = RedirectResponse(routes.HOME, status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, token, max_age=auth.SESSION_DAYS * 86400, **_cookie_options())
    response.headers["Cache-Control"] = "no-store"
    return response


LOGIN_NOTICES = {"mot-de-passe-modifie"}  # see pages/login.py


async def close_session(request: Request) -> Response:
    """The logout handler has already revoked the token; this only clears the cookie."""
    info = request.query_params.get("info", "")
    target = f"{routes.LOGIN}?info={info}" if info in LOGIN_NOTICES else routes.LOGIN
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, **_cookie_options())
    response.headers["Cache-Control"] = "no-store"
    return response


API_ROUTES.extend(
    [
        Route(routes.SESSION_OPEN, open_session, methods=["POST"]),
        Route(routes.SESSION_CLOSE, close_session, methods=["GET"]),
    ]
)
