"""GET /pay/{token}: check the link, then send the customer to the PSP's hosted page."""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..domain.errors import DomainError
from ..domain.statuses import PaymentStatus
from ..psp.interface import PspCallError
from ..services.admin.psp_accounts import PspNotConfigured
from ..services.payment.paylink_checkout import start_link_checkout
from ..services.payment.paylinks import LinkExpired, LinkInvalid, LinkUsed, record_sips_session
from .customer_pages import auto_post, page, payment_details
from .routes import API_ROUTES

log = logging.getLogger(__name__)

_USED = {
    PaymentStatus.AUTORISE: "Ce paiement a déjà été effectué. Merci !",
    PaymentStatus.A_REMBOURSER: "Ce paiement a déjà été effectué.",
    PaymentStatus.REMBOURSE: "Ce paiement a déjà été effectué puis remboursé.",
}


async def pay(request: Request) -> Response:
    try:
        checkout = await run_in_threadpool(start_link_checkout, request.path_params["token"])
    except LinkInvalid as exc:
        return page("Lien de paiement invalide", str(exc), status_code=404, page_id="link-invalid")
    except LinkExpired:
        return page(
            "Lien de paiement expiré",
            "Ce lien de paiement a expiré. Contactez votre conseiller pour recevoir un nouveau lien.",
            status_code=410,
            page_id="link-expired",
        )
    except LinkUsed as exc:
        message = _USED.get(
            exc.status,
            "Ce lien de paiement n'est plus valide. Contactez votre conseiller pour effectuer un nouveau paiement.",
        )
        return page("Paiement déjà traité", message, status_code=409, page_id="link-used")
    except PspNotConfigured as exc:
        return page("Paiement en ligne indisponible", str(exc), status_code=503, page_id="link-error")
    except PspCallError as exc:
        log.warning("payment link: the PSP did not open a checkout: %s", exc)
        return page(
            "Paiement en ligne indisponible",
            "Le service de paiement ne répond pas pour le moment. Réessayez dans quelques minutes.",
            status_code=503,
            page_id="link-error",
        )
    except DomainError as exc:  # e.g. Sips closed to new payments: the message says what to do
        return page("Paiement en ligne indisponible", str(exc), status_code=503, page_id="link-error")
    except Exception:
        log.exception("payment link failed")
        return page(
            "Paiement en ligne indisponible",
            "Le paiement en ligne est momentanément indisponible. Réessayez dans quelques minutes.",
            status_code=503,
            page_id="link-error",
        )
    if checkout.form is None:
        return RedirectResponse(checkout.redirect_url, status_code=303, headers={"Cache-Control": "no-store"})
    amount = payment_details(checkout.reference, checkout.amount_cents)["Montant"]
    response = auto_post(checkout.form.action_url, checkout.form.fields, f"Paiement de {amount}")
    response.background = BackgroundTask(_record_session, checkout.payment_id)
    return response


def _record_session(payment_id: int) -> None:
    try:
        record_sips_session(payment_id)
    except Exception:  # best effort: the reconciliation's safety net still asks later
        log.warning("could not record the Sips session start of payment %s", payment_id, exc_info=True)


API_ROUTES.append(Route("/pay/{token}", pay, methods=["GET"]))
