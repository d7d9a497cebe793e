"""Sips callback routes: the automatic response (server to server) and the customer's return.

Both verify the seal with the point of sale's key before anything else; the browser is
never trusted on its own. Answers: 200 processed or duplicate, 400 bad seal or malformed,
403 sealed by another merchant than the payment's (a security event, nothing changed),
413 too large, 415 not a form, 503 when we could not process it (the PSP retries). Never 500.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..config import get_settings
from ..db import session_scope
from ..domain.errors import DomainError
from ..psp.interface import MalformedResponse, SealError
from ..psp.sips import NOTIFY_PATH, RETURN_PATH
from ..psp.web import BadRequest, read_form
from ..services.callbacks import CallbackResult, ForeignMerchant, apply_psp_response
from ..services.payments import PaymentNotFound
from ..services.secrets import MasterKeyError
from .customer_pages import RESULT_PAGES, page, payment_details
from .routes import API_ROUTES

log = logging.getLogger(__name__)

_REJECTED = (SealError, MalformedResponse, PaymentNotFound)


def _apply_once(fields: dict[str, str], source: str) -> CallbackResult:
    with session_scope() as session:
        return apply_psp_response(session, fields, source)


def _apply(fields: dict[str, str], source: str) -> CallbackResult:
    try:
        return _apply_once(fields, source)
    except IntegrityError:
        # A concurrent delivery recorded the same idempotency key first: the retry sees it.
        return _apply_once(fields, source)


@lru_cache(maxsize=2)
def _callback_threads(sqlite: bool) -> ThreadPoolExecutor:
    """The callbacks' database work runs on a few threads of its own, not on Starlette's shared
    pool of 40: threads beyond what the database can use only fight over the GIL and the write
    lock. SQLite takes one writer at a time; on PostgreSQL a few threads overlap the round trips
    (bench/callback_bench.py at concurrency 16: 1 thread on SQLite, 4 on PostgreSQL did best)."""
    return ThreadPoolExecutor(1 if sqlite else 4, thread_name_prefix="psp-callback")


def callback_pool() -> ThreadPoolExecutor:
    return _callback_threads(get_settings().db_url.startswith("sqlite"))


async def _in_db_thread(fields: dict[str, str], source: str) -> CallbackResult:
    return await asyncio.get_running_loop().run_in_executor(callback_pool(), _apply, fields, source)


async def _process(request: Request, source: str) -> tuple[int, CallbackResult | None]:
    try:
        fields = await read_form(request)
        result = await _in_db_thread(fields, source)
    except BadRequest as exc:
        log.warning("%s: unreadable request: %s", source, exc)
        return exc.status, None
    except _REJECTED as exc:
        log.warning("%s rejected: %s", source, exc)
        return 400, None
    except ForeignMerchant as exc:  # the security log has the details
        log.warning("%s refused: %s", source, exc)
        return 403, None
    except (MasterKeyError, SQLAlchemyError) as exc:
        log.error("%s could not be processed: %r", source, exc)
        return 503, None
    except DomainError as exc:
        log.warning("%s rejected: %s", source, exc)
        return 400, None
    except Exception:  # never a 500: the PSP would see a crash, retry later is the right answer
        log.exception("%s failed", source)
        return 503, None
    log.info("%s %s: %s (%s)", source, result.reference, result.outcome, result.response_code)
    return 200, result


async def sips_notify(request: Request) -> Response:
    status, result = await _process(request, "psp:notify")
    return PlainTextResponse("OK" if status == 200 else "REFUSED", status_code=status)


async def sips_return(request: Request) -> Response:
    status, result = await _process(request, "psp:return")
    if result is None:
        if status == 503:
            return page("Service momentanément indisponible", "Le résultat de votre paiement n'a pas "
                        "pu être enregistré pour le moment. Il vous sera confirmé par e-mail.",
                        status_code=503, page_id="error")
        return page("Réponse de paiement invalide", "La réponse reçue n'a pas pu être vérifiée. "
                    "Aucun paiement n'a été enregistré par ce biais.", status_code=status, page_id="error")
    title, message = RESULT_PAGES.get(
        result.status, ("Paiement enregistré", "Votre paiement a bien été enregistré."))
    return page(title, message, payment_details(result.reference, result.amount_cents))


API_ROUTES.extend([
    Route(NOTIFY_PATH, sips_notify, methods=["POST"]),
    Route(RETURN_PATH, sips_return, methods=["POST"]),
])
