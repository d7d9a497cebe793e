"""Worldline Direct on the wire: the v2 REST API (v1HMAC), the hosted checkout pages and the admin knobs."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ...web import MAX_BODY, BadRequest, read_body, read_form, read_json
from . import auth, cards, model, pages
from .errors import api_error, invalid_value, not_allowed, unknown_object
from .merchants import DirectMerchant, load_direct_merchants
from .store import DirectStore
from .webhooks import DirectFaultBook, DirectFaults, WebhookSender

log = logging.getLogger("epay_app.psp.sandbox.direct")

DEFAULT_SESSION_TIMEOUT = 180  # minutes [SDK domain/hosted_checkout_specific_input.py docstring]
PAGE_PATH = "/hostedcheckout/PaymentMethods/Selection/"  # the platform's redirectUrl path [EO recorded preprod]
_PAYMENT_ID = re.compile(r"^(\d{10})(?:_(\d{1,4}))?$")
_MAX_INFLATED = 1024 * 1024

Handler = Callable[[DirectMerchant, dict[str, Any], Request], Awaitable[Response]]


def _get(data: Any, *path: str) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _acceptable_amount(amount: Any, remaining: int) -> bool:
    """A positive integer amount within what is left (a JSON true is not 1)."""
    return isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= remaining


def _inflate(raw: bytes) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(raw, _MAX_INFLATED)
    if inflater.unconsumed_tail:
        raise BadRequest("Requête trop volumineuse", 413)
    return out


class DirectSandbox:
    def __init__(
        self,
        store: DirectStore,
        merchants: Mapping[str, DirectMerchant],
        sender: WebhookSender,
        faults: DirectFaultBook,
        settle_after: float = 2.0,
        clock_skew: float = auth.DEFAULT_CLOCK_SKEW,
    ):
        self.store, self.merchants, self.sender, self.faults = store, merchants, sender, faults
        self.settle_after, self.clock_skew = settle_after, clock_skew

    @classmethod
    def create(
        cls,
        db_path: str,
        merchants_file: str | None = None,
        *,
        settle_after: float = 2.0,
        notify_attempts: int = 4,
        notify_backoff: float = 0.25,
        clock_skew: float = auth.DEFAULT_CLOCK_SKEW,
        faults: DirectFaults | None = None,
    ) -> DirectSandbox:
        return cls(
            DirectStore(db_path),
            load_direct_merchants(merchants_file),
            WebhookSender(notify_attempts, notify_backoff),
            DirectFaultBook(faults),
            settle_after,
            clock_skew,
        )

    # --- API plumbing -----------------------------------------------------------------------

    async def _api(self, request: Request, handler: Handler) -> Response:
        merchant = self.merchants.get(request.path_params["merchantId"])
        if merchant is None:
            # unknown merchantId → 403 [SDKT integration/test_exceptions.py]; the error id is unverified.
            return api_error(
                403,
                "ACCESS_TO_MERCHANT_NOT_ALLOWED",
                "9007",
                "ACCESS_TO_MERCHANT_NOT_ALLOWED",
                property_name="merchantId",
            )
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        why = auth.check(
            merchant, request.method, path + (f"?{query}" if query else ""), headers, clock_skew=self.clock_skew
        )
        if why:
            log.warning("Direct call refused for %s: %s", merchant.pspid, why)
            # Direct's answer to a bad signature is not published (notes §1). 401 with code/errorCode 9002
            # and message MISSING_OR_INVALID_AUTHORIZATION is what an Ingenico Connect (predecessor
            # platform) client SDK test expects (Objective-C, found by code search): unverified for Direct.
            return api_error(401, "MISSING_OR_INVALID_AUTHORIZATION", "9002", "MISSING_OR_INVALID_AUTHORIZATION")
        try:
            raw = await read_body(request, MAX_BODY)
            if "gzip" in request.headers.get("content-encoding", "").lower():
                raw = _inflate(raw)  # CallContext(gzip=True) [SDK communicator.py, default_connection.py]
            body = json.loads(raw or b"{}")
        except BadRequest as exc:
            return api_error(exc.status, "INVALID_REQUEST", "1000", str(exc))
        except (ValueError, zlib.error):
            return invalid_value("body", "The request body is not valid JSON")
        if not isinstance(body, dict):
            return invalid_value("body", "A JSON object is expected")
        self.settle_due()
        key = request.headers.get("x-gcs-idempotence-key")
        if request.method != "POST" or not key:
            await self._api_delay(body)
            return await handler(merchant, body, request)
        return await self._idempotent(merchant, key, body, request, handler)

    async def _api_delay(self, body: dict[str, Any]) -> None:
        reference = str(_get(body, "order", "references", "merchantReference") or "")
        delay = self.faults.for_reference(reference).api_delay
        if delay:
            await asyncio.sleep(delay)

    async def _idempotent(
        self, merchant: DirectMerchant, key: str, body: dict[str, Any], request: Request, handler: Handler
    ) -> Response:
        # [D:idempotent-requests]: a repeat after completion gets the first outcome, even for another
        # payload, with X-GCS-Idempotence-Request-Timestamp; a repeat in flight gets 409
        # DUPLICATE_REQUEST_IN_PROGRESS, which the SDK raises as ReferenceException [SDKT test_exceptions.py].
        kind, row = self.store.claim_key(merchant.pspid, key)
        if kind == "in_flight":
            return api_error(409, "DUPLICATE_REQUEST_IN_PROGRESS", "1409", "DUPLICATE_REQUEST_IN_PROGRESS")
        if kind == "done" and row is not None:
            return Response(
                row["body"],
                status_code=row["status"],
                media_type="application/json",
                headers={"X-GCS-Idempotence-Request-Timestamp": str(row["requested_ms"])},
            )
        try:
            await self._api_delay(body)
            response = await handler(merchant, body, request)
        except BaseException:
            self.store.release_key(merchant.pspid, key)
            raise
        self.store.finish_key(merchant.pspid, key, response.status_code, bytes(response.body))
        return response

    def _route(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self._api(request, handler)

        return endpoint

    # --- hosted checkouts -------------------------------------------------------------------

    async def create_checkout(self, merchant: DirectMerchant, body: dict[str, Any], request: Request) -> Response:
        amount = _get(body, "order", "amountOfMoney", "amount")
        currency = _get(body, "order", "amountOfMoney", "currencyCode")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            return invalid_value("order.amountOfMoney.amount")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            return invalid_value("order.amountOfMoney.currencyCode")
        timeout = _get(body, "hostedCheckoutSpecificInput", "sessionTimeout") or DEFAULT_SESSION_TIMEOUT
        if not isinstance(timeout, int) or timeout <= 0:
            return invalid_value("hostedCheckoutSpecificInput.sessionTimeout")
        mode = _get(body, "cardPaymentMethodSpecificInput", "authorizationMode") or "SALE"
        if mode not in ("SALE", "FINAL_AUTHORIZATION", "PRE_AUTHORIZATION"):
            return invalid_value("cardPaymentMethodSpecificInput.authorizationMode")
        base = str(request.base_url).rstrip("/")
        checkout = self.store.create_checkout(merchant.pspid, body, str(uuid.uuid4()), base, timeout)
        page = PAGE_PATH + checkout["token"]
        # Create response fields [SDK domain/create_hosted_checkout_response.py; EO recorded preprod]
        return JSONResponse(
            {
                "RETURNMAC": checkout["returnmac"],
                "hostedCheckoutId": checkout["id"],
                "merchantReference": checkout["merchant_reference"],
                "partialRedirectUrl": urlsplit(base).netloc + page,
                "redirectUrl": base + page,
            },
            status_code=201,
        )

    async def get_checkout(self, merchant: DirectMerchant, _body: dict[str, Any], request: Request) -> Response:
        checkout = self.store.checkout(request.path_params["id"], merchant.pspid)
        if checkout is None:
            return unknown_object("hosted checkout")
        payment = self.store.payment(checkout["payment_id"]) if checkout["payment_id"] else None
        return JSONResponse(model.checkout_json(checkout, payment))

    # --- payments ---------------------------------------------------------------------------

    def _find_payment(
        self, request: Request, merchant: DirectMerchant, db: sqlite3.Connection | None = None
    ) -> dict[str, Any] | None:
        """The merchant's payment named in the path (…_0, …_1 name the same one), or None."""
        match = _PAYMENT_ID.match(request.path_params["id"])
        return self.store.payment(match.group(1), merchant.pspid, db) if match else None

    async def get_payment(self, merchant: DirectMerchant, _body: dict[str, Any], request: Request) -> Response:
        payment = self._find_payment(request, merchant)
        if payment is None:
            return unknown_object("payment")  # [SDKT integration/test_payments.py] 9999999999_0 → 404
        return JSONResponse(model.payment_json(payment))

    async def capture(self, merchant: DirectMerchant, body: dict[str, Any], request: Request) -> Response:
        with self.store.transaction() as db:
            payment = self._find_payment(request, merchant, db)
            if payment is None:
                return unknown_object("payment")
            pid, data = payment["id"], payment["data"]
            remaining = model.open_amount(data)
            amount = body.get("amount", remaining)
            # double or over-capture, capture after cancel/refund → 400; partial capture with
            # isFinal=false allowed [SDKT integration/test_payments.py]
            if (
                data["rejected"]
                or data["cancelledByCustomer"]
                or data["closed"]
                or data["refunded"]
                or data["refunding"]
                or remaining <= 0
            ):
                return not_allowed()
            if not _acceptable_amount(amount, remaining):
                return not_allowed()
            data["capturing"] += amount
            if body.get("isFinal") or data["captured"] + data["capturing"] + data["cancelled"] >= data["amount"]:
                data["closed"] = True
            model.set_status(data)
            op = self.store.save_payment(db, pid, data, bump_op=True)
            self.store.add_operation(
                db, f"{pid}_{op}", pid, "capture", amount, "CAPTURE_REQUESTED", time.time() + self.settle_after
            )
        self._emit_payment(merchant, payment, "payment.capture_requested")
        self._schedule_settle(pid)
        return JSONResponse(model.capture_json(payment, f"{pid}_{op}", amount))

    async def cancel(self, merchant: DirectMerchant, body: dict[str, Any], request: Request) -> Response:
        with self.store.transaction() as db:
            payment = self._find_payment(request, merchant, db)
            if payment is None:
                return unknown_object("payment")
            pid, data = payment["id"], payment["data"]
            remaining = model.open_amount(data)
            amount = _get(body, "amountOfMoney", "amount")
            amount = remaining if amount is None else amount
            # cancel after capture, refund or cancel → 400; partial cancel with isFinal=false allowed
            # [SDKT integration/test_payments.py]
            if (
                data["rejected"]
                or data["cancelledByCustomer"]
                or data["closed"]
                or data["captured"]
                or data["capturing"]
                or data["refunded"]
                or remaining <= 0
            ):
                return not_allowed()
            if not _acceptable_amount(amount, remaining):
                return not_allowed()
            data["cancelled"] += amount
            if body.get("isFinal", True) or data["cancelled"] >= data["amount"]:
                data["closed"] = True
            changed = model.set_status(data)
            self.store.save_payment(db, pid, data, bump_op=True)
        if changed:
            self._emit_payment(merchant, payment, "payment.cancelled")
        return JSONResponse({"payment": model.payment_json(payment)})  # [SDK domain/cancel_payment_response.py]

    async def refund(self, merchant: DirectMerchant, body: dict[str, Any], request: Request) -> Response:
        with self.store.transaction() as db:
            payment = self._find_payment(request, merchant, db)
            if payment is None:
                return unknown_object("payment")
            pid, data = payment["id"], payment["data"]
            remaining = model.refundable_amount(data)
            amount = _get(body, "amountOfMoney", "amount")
            amount = remaining if amount is None else amount
            currency = _get(body, "amountOfMoney", "currencyCode")
            if currency is not None and currency != data["currency"]:
                return invalid_value("amountOfMoney.currencyCode")
            # refund before capture → 400; over-refund or second full refund → 400
            # ACTION_NOT_ALLOWED_ON_TRANSACTION [SDKT integration/test_payments.py]
            if data["rejected"] or data["cancelledByCustomer"] or remaining <= 0:
                return not_allowed()
            if not _acceptable_amount(amount, remaining):
                return not_allowed()
            refunded_before = data["refunded"]
            data["refunding"] += amount
            op = self.store.save_payment(db, pid, data, bump_op=True)
            refund: dict[str, Any] = {"id": f"{pid}_{op}", "amount": amount, "status": "REFUND_REQUESTED"}
            self.store.add_operation(
                db, refund["id"], pid, "refund", amount, "REFUND_REQUESTED", time.time() + self.settle_after
            )
        answer = model.refund_json(payment, refund, refunded_before)
        self._emit(merchant, data, "refund.refund_requested", "refund", answer)
        self._schedule_settle(pid)
        return JSONResponse(answer, status_code=201)

    def _schedule_settle(self, pid: str) -> None:
        if self.settle_after <= 0:
            self.settle_due(force=True, pid=pid)
        else:
            self.sender.background(self._settle_later(self.settle_after))

    async def _settle_later(self, delay: float) -> None:
        await asyncio.sleep(delay + 0.05)
        self.settle_due()

    def settle_due(self, force: bool = False, pid: str | None = None) -> int:
        """CAPTURE_REQUESTED → CAPTURED and REFUND_REQUESTED → REFUNDED once `settle_after` has passed
        (or now with force); whoever settles an operation sends its webhook."""
        settled: list[tuple[str, str]] = []
        with self.store.transaction() as db:
            for op in self.store.due_operations(db, float("inf") if force else time.time(), pid):
                payment = self.store.known_payment(op["payment_id"], db=db)
                data = payment["data"]
                if op["kind"] == "capture":
                    data["capturing"] -= op["amount"]
                    data["captured"] += op["amount"]
                    status, event = "CAPTURED", "payment.captured"
                else:
                    data["refunding"] -= op["amount"]
                    data["refunded"] += op["amount"]
                    status, event = "REFUNDED", "payment.refunded"
                model.set_status(data)
                self.store.save_payment(db, payment["id"], data)
                self.store.settle_operation(db, op["id"], status)
                settled.append((payment["id"], event))
        for payment_id, event in settled:
            fresh = self.store.known_payment(payment_id)
            merchant = self.merchants.get(fresh["merchant_id"])
            if merchant:
                self._emit_payment(merchant, fresh, event)
        return len(settled)

    # --- webhooks ---------------------------------------------------------------------------

    def _emit(
        self, merchant: DirectMerchant, data: Mapping[str, Any], event_type: str, key: str, obj: Mapping[str, Any]
    ) -> None:
        checkout = self.store.checkout(data["checkoutId"])
        feedbacks = (checkout or {}).get("request", {}).get("feedbacks") or {}
        urls = list(feedbacks.get("webhooksUrls") or [])
        if feedbacks.get("webhookUrl"):  # deprecated single URL [SDK domain/feedbacks.py]
            urls.append(feedbacks["webhookUrl"])
        reference = data["merchantReference"]
        event = model.webhook_event(merchant.pspid, event_type, key, obj, str(uuid.uuid4()))
        self.sender.emit(
            urls,
            event,
            merchant.webhook_key_id,
            merchant.webhook_secret,
            reference,
            self.faults.for_reference(reference),
        )

    def _emit_payment(
        self, merchant: DirectMerchant, payment: Mapping[str, Any], event_type: str | None = None
    ) -> None:
        fresh = self.store.known_payment(payment["id"])
        data = fresh["data"]
        self._emit(
            merchant, data, event_type or model.EVENT_TYPES[data["status"]], "payment", model.payment_json(fresh)
        )

    # --- hosted pages -----------------------------------------------------------------------

    def _page(self, token: str) -> dict[str, Any] | Response:
        """The checkout of a page's token, or the page saying it is unknown."""
        checkout = self.store.checkout_by_token(token)
        if checkout is None:
            return HTMLResponse(pages.error_page("Session de paiement inconnue."), 404)
        return checkout

    def _page_args(self, checkout: Mapping[str, Any]) -> tuple[int, str, str]:
        merchant = self.merchants.get(checkout["merchant_id"])
        amount = int(_get(checkout["request"], "order", "amountOfMoney", "amount") or 0)
        return amount, checkout["merchant_reference"], merchant.name if merchant else ""

    def _return(self, checkout: Mapping[str, Any]) -> Response:
        """303 back to returnUrl with RETURNMAC and hostedCheckoutId [SDK hosted_checkout_specific_input.py
        returnUrl docstring]. Where a cancelled checkout returns on the platform is unverified."""
        url = _get(checkout["request"], "hostedCheckoutSpecificInput", "returnUrl")
        if url:
            query = urlencode({"RETURNMAC": checkout["returnmac"], "hostedCheckoutId": checkout["id"]})
            return RedirectResponse(url + ("&" if "?" in url else "?") + query, status_code=303)
        payment = self.store.payment(checkout["payment_id"]) if checkout["payment_id"] else None
        if payment is None or payment["data"]["cancelledByCustomer"]:
            return HTMLResponse(pages.result_page("CANCELLED_BY_CONSUMER"))
        return HTMLResponse(pages.result_page("REJECTED" if payment["data"]["rejected"] else "SUCCESSFUL"))

    def _challenge(self, checkout: Mapping[str, Any]) -> Response:
        card = cards.Card.from_json(checkout["card"])
        return HTMLResponse(
            pages.challenge_page(PAGE_PATH + checkout["token"] + "/3ds", *self._page_args(checkout), card.masked)
        )

    async def show_page(self, request: Request) -> Response:
        self.settle_due()
        checkout = self._page(request.path_params["token"])
        if isinstance(checkout, Response):
            return checkout
        if checkout["state"] == "IN_PROGRESS":
            return HTMLResponse(pages.checkout_page(PAGE_PATH + checkout["token"], *self._page_args(checkout)))
        if checkout["state"] == "CHALLENGE":
            return self._challenge(checkout)
        return self._return(checkout)

    async def submit_page(self, request: Request) -> Response:
        checkout = self._page(request.path_params["token"])
        if isinstance(checkout, Response):
            return checkout
        form = await read_form(request)
        if checkout["state"] == "CHALLENGE":
            return self._challenge(checkout)
        if checkout["state"] != "IN_PROGRESS":
            return self._return(checkout)  # a second submit: no second payment
        if form.get("action") == "cancel":
            # On preprod a checkout cancelled on the page holds a CANCELLED payment [EO
            # test_direct_sale_cancelled_by_user]; status CANCELLED_BY_CONSUMER, category REJECTED [MAGHC].
            return self._pay(checkout, None, model.CANCELLED_BY_CUSTOMER, "CANCELLED_BY_CONSUMER")
        errors, card = cards.validate(form, date.today())
        if errors or card is None:
            values = {k: v for k, v in form.items() if k in cards.FIELDS and k != "cvv"}
            return HTMLResponse(
                pages.checkout_page(PAGE_PATH + checkout["token"], *self._page_args(checkout), values, errors)
            )
        if card.outcome in (cards.CHALLENGE_APPROVED, cards.CHALLENGE_DECLINED):
            if self.store.start_challenge(checkout["id"], card.as_json()):
                return RedirectResponse(PAGE_PATH + checkout["token"] + "/3ds", status_code=303)
            return self._return(self.store.known_checkout(checkout["id"]))
        return self._pay(checkout, card, card.outcome)

    async def show_challenge(self, request: Request) -> Response:
        checkout = self._page(request.path_params["token"])
        if isinstance(checkout, Response):
            return checkout
        if checkout["state"] == "CHALLENGE":
            return self._challenge(checkout)
        return await self.show_page(request)

    async def submit_challenge(self, request: Request) -> Response:
        checkout = self._page(request.path_params["token"])
        if isinstance(checkout, Response):
            return checkout
        await read_form(request)
        if checkout["state"] != "CHALLENGE":
            return await self.show_page(request)
        card = cards.Card.from_json(checkout["card"])
        outcome = cards.CHALLENGE_DECLINED if card.outcome == cards.CHALLENGE_DECLINED else cards.CHALLENGE_APPROVED
        return self._pay(checkout, card, outcome)

    def _pay(
        self, checkout: Mapping[str, Any], card: cards.Card | None, outcome: str, state: str = "PAYMENT_CREATED"
    ) -> Response:
        pid = self.store.create_payment(checkout, model.new_payment(checkout, card, outcome), state)
        if pid is not None:
            merchant = self.merchants.get(checkout["merchant_id"])
            if merchant:
                self._emit_payment(merchant, {"id": pid})
        return self._return(self.store.known_checkout(checkout["id"]))

    # --- admin knobs (tests) ----------------------------------------------------------------

    async def admin_settle(self, request: Request) -> Response:
        body = await read_json(request)
        pid = str(body.get("paymentId") or "").split("_")[0] or None
        return JSONResponse({"settled": self.settle_due(force=True, pid=pid)})

    async def admin_checkout(self, request: Request) -> Response:
        key = request.path_params["key"]
        checkout = self.store.checkout(key) or self.store.checkout_by_reference(key)
        if checkout is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        payment = self.store.payment(checkout["payment_id"]) if checkout["payment_id"] else None
        base = checkout["base_url"]
        return JSONResponse(
            {
                "hostedCheckoutId": checkout["id"],
                "merchantId": checkout["merchant_id"],
                "merchantReference": checkout["merchant_reference"],
                "RETURNMAC": checkout["returnmac"],
                "redirectUrl": base + PAGE_PATH + checkout["token"],
                "state": checkout["state"],
                "paymentId": f"{checkout['payment_id']}_0" if checkout["payment_id"] else None,
                "request": checkout["request"],
                "response": model.checkout_json(checkout, payment),
            }
        )

    async def admin_payment(self, request: Request) -> Response:
        self.settle_due()
        key = request.path_params["key"]
        match = _PAYMENT_ID.match(key)
        payment = (self.store.payment(match.group(1)) if match else None) or self.store.payment_by_reference(key)
        if payment is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        reference = payment["merchant_reference"]
        return JSONResponse(
            {
                "payment": model.payment_json(payment),
                "operations": payment["operations"],
                "merchantId": payment["merchant_id"],
                "internal": payment["data"],
                "webhooksDelivered": self.sender.delivered.get(reference, 0),
            }
        )

    async def admin_webhooks(self, request: Request) -> Response:
        reference = request.query_params.get("merchantReference")
        rows = [r for r in self.sender.log if reference is None or r["merchantReference"] == reference]
        pick = (lambda d: {reference: d.get(reference, 0)}) if reference else dict
        return JSONResponse(
            {
                "delivered": pick(self.sender.delivered),
                "failed": pick(self.sender.failed),
                "dropped": pick(self.sender.dropped),
                "pending": self.sender.pending,
                "deliveries": rows,
            }
        )

    async def admin_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
            return JSONResponse({"ok": True})
        try:
            faults = self.faults.set(await read_json(request))
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(faults.as_json())


def routes(direct: DirectSandbox) -> list[Route]:
    api = "/v2/{merchantId}"
    return [
        Route(f"{api}/hostedcheckouts", direct._route(direct.create_checkout), methods=["POST"]),
        Route(f"{api}/hostedcheckouts/{{id}}", direct._route(direct.get_checkout), methods=["GET"]),
        Route(f"{api}/payments/{{id}}", direct._route(direct.get_payment), methods=["GET"]),
        Route(f"{api}/payments/{{id}}/capture", direct._route(direct.capture), methods=["POST"]),
        Route(f"{api}/payments/{{id}}/cancel", direct._route(direct.cancel), methods=["POST"]),
        Route(f"{api}/payments/{{id}}/refund", direct._route(direct.refund), methods=["POST"]),
        Route(PAGE_PATH + "{token}", direct.show_page, methods=["GET"]),
        Route(PAGE_PATH + "{token}", direct.submit_page, methods=["POST"]),
        Route(PAGE_PATH + "{token}/3ds", direct.show_challenge, methods=["GET"]),
        Route(PAGE_PATH + "{token}/3ds", direct.submit_challenge, methods=["POST"]),
        Route("/_sandbox/direct/settle", direct.admin_settle, methods=["POST"]),
        Route("/_sandbox/direct/checkouts/{key}", direct.admin_checkout, methods=["GET"]),
        Route("/_sandbox/direct/payments/{key}", direct.admin_payment, methods=["GET"]),
        Route("/_sandbox/direct/webhooks", direct.admin_webhooks, methods=["GET"]),
        Route("/_sandbox/direct/faults", direct.admin_faults, methods=["POST", "DELETE"]),
    ]
