"""Sips callback routes: the automatic response (server to server) and the customer's return.

Both verify the seal with the point of sale's key before anything else; the browser is
never trusted on its own. Answers: 200 processed or duplicate, 400 bad seal or malformed,
403 sealed by another merchant than the payment's (a security event, nothing changed),
413 too large, 415 not a form, 503 when we could not process it (the PSP retries). Never 500.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..db import session_scope
from ..psp.sips import NOTIFY_PATH, RETURN_PATH
from ..psp.web import BadRequest, read_form
from ..services.payment.callbacks import CallbackResult, Source, apply_psp_response
from .callback_runner import run_callback
from .customer_pages import branded_result_page, page
from .routes import API_ROUTES

log = logging.getLogger(__name__)


def _apply(fields: dict[str, str], source: Source) -> CallbackResult:
    with session_scope() as session:
        return apply_psp_response(session, fields, source)


async def _process(request: Request, source: Source) -> tuple[int, CallbackResult | None]:
    try:
        fields = await read_form(request)
    except BadRequest as exc:
        log.warning("%s: unreadable request: %s", source, exc)
        return exc.status, None
    return await run_callback(source, lambda: _apply(fields, source), log=log)


async def sips_notify(request: Request) -> Response:
    status, _result = await _process(request, "psp:notify")
    return PlainTextResponse("OK" if status == 200 else "REFUSED", status_code=status)


async def sips_return(request: Request) -> Response:
    status, result = await _process(request, "psp:return")
    if result is None:
        if status == 503:
            return page(
                "Service momentanément indisponible",
                "Le résultat de votre paiement n'a pas "
                "pu être enregistré pour le moment. Il vous sera confirmé par e-mail.",
                status_code=503,
                page_id="error",
            )
        return page(
            "Réponse de paiement invalide",
            "La réponse reçue n'a pas pu être vérifiée. Aucun paiement n'a été enregistré par ce biais.",
            status_code=status,
            page_id="error",
        )
    return await branded_result_page(result)


API_ROUTES.extend(
    [
        Route(NOTIFY_PATH, sips_notify, methods=["POST"]),
        Route(RETURN_PATH, sips_return, methods=["POST"]),
    ]
)
