"""Worldline Direct routes: the customer's return from the hosted checkout, and webhooks.

The return carries RETURNMAC and hostedCheckoutId only: we compare the MAC, then ask the platform.
Webhooks are verified by the SDK on the raw body bytes. Answers: 200 recorded or duplicate,
400 bad signature or malformed, 404 unknown payment, 413 too large, 503 when we could not
process it (the platform retries). Never 500.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..psp.web import BadRequest, read_body
from ..services.payment import direct_payments
from .callback_runner import run_callback
from .customer_pages import branded_result_page, page
from .routes import API_ROUTES

log = logging.getLogger(__name__)

MAX_QUERY_VALUE = 200


async def direct_webhook(request: Request) -> Response:
    try:
        body = await read_body(request)
    except BadRequest as exc:
        return PlainTextResponse("REFUSED", status_code=exc.status)
    headers = dict(request.headers)
    status, _ = await run_callback(
        "psp:webhook", lambda: direct_payments.apply_webhook(body, headers), log=log, not_found_status=404
    )
    return PlainTextResponse("OK" if status == 200 else "REFUSED", status_code=status)


def _query_value(request: Request, name: str) -> str:
    value = request.query_params.get(name, "")
    if len(value) > MAX_QUERY_VALUE or not value.isascii() or not value.isprintable():
        raise BadRequest(f"{name} invalide")
    return value


async def direct_return(request: Request) -> Response:
    try:
        checkout_id = _query_value(request, "hostedCheckoutId")
        return_mac = _query_value(request, "RETURNMAC")
    except BadRequest:
        checkout_id = return_mac = ""
    status, result = await run_callback(
        "psp:return", lambda: direct_payments.apply_return(checkout_id, return_mac), log=log, not_found_status=404
    )
    if result is None:
        if status == 503:
            return page(
                "Service momentanément indisponible",
                "Le résultat de votre paiement n'a pas "
                "pu être vérifié pour le moment. Il vous sera confirmé par e-mail.",
                status_code=503,
                page_id="error",
            )
        return page(
            "Réponse de paiement invalide",
            "Ce retour de paiement n'a pas pu être vérifié. Aucun paiement n'a été enregistré par ce biais.",
            status_code=400,
            page_id="error",
        )
    return await branded_result_page(result)


API_ROUTES.extend(
    [
        Route(direct_payments.RETURN_PATH, direct_return, methods=["GET"]),
        Route(direct_payments.WEBHOOK_PATH, direct_webhook, methods=["POST"]),
    ]
)
