"""GET /pay/{token}: check the link, then send the customer to the PSP's hosted page."""
from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..db import session_scope
from ..domain.statuses import PaymentStatus
from ..services.paylinks import LinkExpired, LinkInvalid, LinkUsed, checkout_form
from ..services.psp_accounts import PspNotConfigured
from .customer_pages import auto_post, page, payment_details
from .routes import API_ROUTES

log = logging.getLogger(__name__)

_USED = {
    PaymentStatus.AUTORISE: "Ce paiement a déjà été effectué. Merci !",
    PaymentStatus.A_REMBOURSER: "Ce paiement a déjà été effectué.",
    PaymentStatus.REMBOURSE: "Ce paiement a déjà été effectué puis remboursé.",
}


def _checkout(token: str):
    with session_scope(write=False) as session:
        return checkout_form(session, token)


async def pay(request: Request) -> Response:
    try:
        payment, form = await run_in_threadpool(_checkout, request.path_params["token"])
    except LinkInvalid as exc:
        return page("Lien de paiement invalide", str(exc), status_code=404, page_id="link-invalid")
    except LinkExpired:
        return page("Lien de paiement expiré", "Ce lien de paiement a expiré. Contactez votre "
                    "conseiller pour recevoir un nouveau lien.", status_code=410, page_id="link-expired")
    except LinkUsed as exc:
        message = _USED.get(exc.status, "Ce lien de paiement n'est plus valide. Contactez votre "
                            "conseiller pour effectuer un nouveau paiement.")
        return page("Paiement déjà traité", message, status_code=409, page_id="link-used")
    except PspNotConfigured as exc:
        return page("Paiement en ligne indisponible", str(exc), status_code=503, page_id="link-error")
    except Exception:
        log.exception("payment link failed")
        return page("Paiement en ligne indisponible", "Le paiement en ligne est momentanément "
                    "indisponible. Réessayez dans quelques minutes.", status_code=503, page_id="link-error")
    return auto_post(form.action_url, form.fields,
                     f"Paiement de {payment_details(payment.reference, payment.amount_cents)['Montant']}")


API_ROUTES.append(Route("/pay/{token}", pay, methods=["GET"]))
