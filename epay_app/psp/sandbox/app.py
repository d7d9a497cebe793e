"""The sandbox's Starlette app: hosted payment page, automatic responses, Office JSON, admin knobs."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ...config import ROOT
from .. import sips_codec as codec
from ..interface import MalformedResponse
from ..web import BadRequest, read_form, read_json
from . import cards, office, pages
from .direct import DirectSandbox
from .direct import routes as direct_routes
from .merchants import Merchant, load_merchants
from .notifier import FaultBook, Faults, Notifier
from .store import Store, Txn, sips_status

log = logging.getLogger("epay_app.psp.sandbox")

SESSION_TTL = 15 * 60  # Sips answers 97 after 15 minutes without action
_REFERENCE = re.compile(r"^[A-Za-z0-9]{1,35}$")


class Sandbox:
    def __init__(
        self, store: Store, merchants: Mapping[str, Merchant], notifier: Notifier, faults: FaultBook, remit_after: float
    ):
        self.store, self.merchants, self.notifier = store, merchants, notifier
        self.faults, self.remit_after = faults, remit_after

    # --- hosted page -----------------------------------------------------------------------

    def _check_request(self, form: Mapping[str, str]) -> tuple[str, str, dict[str, str]]:
        """(error code, French message, Data fields); code '' when the request is acceptable."""
        try:
            raw, data = codec.posted_data(form)
        except MalformedResponse:
            return "30", "La requête de paiement est illisible.", {}
        merchant = self.merchants.get(data.get("merchantId", ""))
        if merchant is None or data.get("keyVersion", "1") != str(merchant.key_version):
            return "34", "Commerçant inconnu ou version de clé invalide.", data
        try:
            expected = codec.paypage_seal(raw, merchant.secret_key, form.get("SealAlgorithm") or "")
        except MalformedResponse:
            return "34", "Algorithme de sceau non supporté.", data
        if not codec.seals_match(expected, form.get("Seal")):
            return "34", "Le sceau de la requête est invalide.", data
        amount, currency = data.get("amount", ""), data.get("currencyCode", "")
        if not (
            amount.isdigit()
            and int(amount) > 0
            and currency.isdigit()
            and _REFERENCE.match(data.get("transactionReference", ""))
            and data.get("normalReturnUrl")
        ):
            return "30", "Format de la requête invalide.", data
        return "", "", data

    async def payment_init(self, request: Request) -> Response:
        form = await read_form(request)
        code, message, data = self._check_request(form)
        if code:
            log.warning("paymentInit refused (%s): %s", code, message)
            return HTMLResponse(pages.error_page(code, message), status_code=400)
        encode = "base64" if (form.get("Encode") or "").lower() == "base64" else ""
        kind, txn = self.store.open_session(data, form.get("SealAlgorithm") or "", encode)
        if kind == "finished":
            return HTMLResponse(pages.error_page("94", "Cette transaction a déjà été traitée."), 400)
        return RedirectResponse(f"/payment/{txn['id']}", status_code=303)

    def _load(self, sid: str) -> Txn | Response:
        """The session's transaction, or the page saying it is unknown."""
        txn = self.store.get(sid)
        if txn is None:
            return HTMLResponse(pages.error_page("12", "Session de paiement inconnue."), 404)
        return txn

    def _stored(self, sid: str) -> Txn:
        txn = self.store.get(sid)
        assert txn is not None  # a session is never deleted
        return txn

    def _merchant_name(self, txn: Mapping[str, Any]) -> str:
        return self.merchants[txn["merchant_id"]].name

    async def show_page(self, request: Request) -> Response:
        txn = self._load(request.path_params["sid"])
        if isinstance(txn, Response):
            return txn
        if txn["state"] != "PENDING":
            return self._return_page(txn)
        return HTMLResponse(pages.payment_page(txn, self._merchant_name(txn)))

    async def show_means(self, request: Request) -> Response:
        txn = self._load(request.path_params["sid"])
        if isinstance(txn, Response):
            return txn
        if txn["state"] != "PENDING":
            return self._return_page(txn)
        return HTMLResponse(pages.means_page(txn, self._merchant_name(txn)))

    async def submit_card(self, request: Request) -> Response:
        txn = self._load(request.path_params["sid"])
        if isinstance(txn, Response):
            return txn
        form = await read_form(request)
        if txn["state"] != "PENDING":
            return self._return_page(txn)
        errors, card = cards.validate(form, date.today())
        if errors or card is None:
            values = {k: v for k, v in form.items() if k != "cvc"}
            return HTMLResponse(pages.payment_page(txn, self._merchant_name(txn), values, errors))
        return await self._finish(txn, self._expired_or(txn, cards.outcome(card)), card)

    async def cancel(self, request: Request) -> Response:
        txn = self._load(request.path_params["sid"])
        if isinstance(txn, Response):
            return txn
        if txn["state"] != "PENDING":
            return self._return_page(txn)
        return await self._finish(txn, self._expired_or(txn, "17"), None)

    @staticmethod
    def _expired_or(txn: Mapping[str, Any], code: str) -> str:
        return "97" if time.time() - txn["created_at"] > SESSION_TTL else code

    def _response_form(self, txn: Mapping[str, Any], code: str, card: cards.Card | None) -> dict[str, str]:
        request, merchant = txn["request"], self.merchants[txn["merchant_id"]]
        data = codec.encode_data(
            {
                "merchantId": merchant.merchant_id,
                "keyVersion": request.get("keyVersion", "1"),
                "transactionReference": txn["transaction_reference"],
                "orderId": txn["order_id"],
                "amount": txn["amount"],
                "currencyCode": txn["currency_code"],
                "responseCode": code,
                "acquirerResponseCode": code if card else "",
                "authorisationId": f"{secrets.randbelow(10**6):06d}" if code == "00" else "",
                "transactionDateTime": datetime.now(UTC).isoformat(timespec="seconds"),
                "captureMode": request.get("captureMode", "AUTHOR_CAPTURE"),
                "captureDay": request.get("captureDay", "0"),
                "maskedPan": card.masked if card else "",
                "panExpiryDate": card.expiry if card else "",
                "paymentMeanBrand": "VISA" if card else "",
                "paymentMeanType": "CARD" if card else "",
                "customerEmail": request.get("customerEmail", ""),
                "returnContext": request.get("returnContext", ""),
                "orderChannel": request.get("orderChannel", ""),
            }
        )
        posted = codec.b64_encode(data) if txn["encode"] else data
        form = {
            "Data": posted,
            "Seal": codec.paypage_seal(posted, merchant.secret_key, txn["seal_algorithm"]),
            "InterfaceVersion": codec.PAYPAGE_INTERFACE,
        }
        if txn["encode"]:
            form["Encode"] = "base64"
        return form

    async def _finish(self, txn: Txn, code: str, card: cards.Card | None) -> Response:
        form = self._response_form(txn, code, card)
        if not self.store.finish(txn["id"], code, form, self.remit_after):
            return self._return_page(self._stored(txn["id"]))  # a double submit: no second payment
        faults = self.faults.for_reference(txn["transaction_reference"])
        await self.notifier.notify_then_return(
            txn["request"].get("automaticResponseUrl", ""), form, faults, txn["transaction_reference"]
        )
        return self._return_page(self._stored(txn["id"]))

    @staticmethod
    def _return_page(txn: Mapping[str, Any]) -> Response:
        return HTMLResponse(
            pages.redirect_page(txn["request"]["normalReturnUrl"], txn["response"], "Retour vers le site du marchand…")
        )

    # --- Office JSON -----------------------------------------------------------------------

    async def office(self, request: Request) -> Response:
        op = request.path_params.get("op", "getTransactionData")
        body = await read_json(request)
        merchant = office.authenticate(body, self.merchants)
        if merchant is None:
            return JSONResponse(office.unauthenticated(op))
        if op == "getTransactionData":
            return JSONResponse(office.seal_answer(office.transaction_data(self.store, merchant, body), merchant))
        if op not in ("refund", "cancel"):
            return JSONResponse({"responseCode": "30"}, status_code=404)
        answer = office.operate(self.store, merchant, op, body)
        faults = self.faults.for_reference(str(body.get("transactionReference", "")))
        if faults.office_lost_response:
            return Response("Service Unavailable", status_code=503)
        return JSONResponse(office.seal_answer(answer, merchant))

    # --- admin knobs (tests) -----------------------------------------------------------------

    async def set_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
            return JSONResponse({"ok": True})
        try:
            faults = self.faults.set(await read_json(request))
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(faults.as_json())

    async def remit(self, request: Request) -> Response:
        body = await read_json(request)
        return JSONResponse({"remitted": self.store.remit(body.get("transactionReference"))})

    async def transaction(self, request: Request) -> Response:
        txn = self.store.find_any(request.path_params["reference"])
        if txn is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        txn["transactionStatus"] = sips_status(txn)
        txn["notificationsDelivered"] = self.notifier.delivered.get(txn["transaction_reference"], 0)
        return JSONResponse(txn)


async def _health(_request: Request) -> Response:
    return JSONResponse({"ok": True})


FAVICON = ROOT / "assets" / "favicon.ico"


async def _favicon(_request: Request) -> Response:
    """The app's icon, so the sandbox's pages do not ask for a missing one on every load."""
    return Response(FAVICON.read_bytes(), media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"})


def _bad_request(_request: Request, exc: Exception) -> Response:
    # Starlette types every handler for Exception; this one is registered for BadRequest only.
    assert isinstance(exc, BadRequest)
    return HTMLResponse(pages.error_page("30", str(exc)), status_code=exc.status)


def create_app(
    db_path: str,
    merchants: Mapping[str, Merchant] | None = None,
    *,
    remit_after: float = 86400.0,
    notifier: Notifier | None = None,
    faults: Faults | None = None,
    direct: DirectSandbox | None = None,
) -> Starlette:
    sandbox = Sandbox(
        Store(db_path), merchants or load_merchants(), notifier or Notifier(), FaultBook(faults), remit_after
    )
    office_path = "/rs-services/v2/cashManagement/{op}"
    routes = [
        Route("/paymentInit", sandbox.payment_init, methods=["POST"]),
        Route("/payment/{sid}", sandbox.show_page, methods=["GET"]),
        Route("/payment/{sid}", sandbox.submit_card, methods=["POST"]),
        Route("/payment/{sid}/means", sandbox.show_means, methods=["GET"]),
        Route("/payment/{sid}/cancel", sandbox.cancel, methods=["POST"]),
        Route(office_path, sandbox.office, methods=["POST"]),
        Route("/rs-services/v2/diagnostic/getTransactionData", sandbox.office, methods=["POST"]),
        Route("/_sandbox/faults", sandbox.set_faults, methods=["POST", "DELETE"]),
        Route("/_sandbox/remit", sandbox.remit, methods=["POST"]),
        Route("/_sandbox/transactions/{reference}", sandbox.transaction, methods=["GET"]),
        Route("/_sandbox/health", _health, methods=["GET"]),
        Route("/favicon.ico", _favicon, methods=["GET"]),
    ]
    routes += direct_routes(direct or DirectSandbox.create(db_path))
    app = Starlette(routes=routes, exception_handlers={BadRequest: _bad_request})
    app.state.sandbox = sandbox
    return app
