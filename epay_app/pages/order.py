"""Order page ("Commande n°26837"): validation banner, the e-payment badge on the vehicle card,
resend / new attempt / cancel, the deposit card and its "e-Paiement" modal (F-24..F-26, F-62).

The page follows callbacks by itself (F-55): while it is open, a watcher (pages.live) is woken
by the change feed when a payment of this order changed and reloads if its fingerprint moved."""

from __future__ import annotations

import logging

import reflex as rx

from ..components.cards import recap_card, status_badge, vehicle_card
from ..components.shell import shell
from ..services.access import auth
from ..services.access.scope import OrderNotFound
from ..services.sales import checkout, documents, orders
from ..services.sales.checkout import SELLING_ROLES, VIEW_ROLES
from ..state import AppState, require_roles
from . import live
from .documents import NOT_AVAILABLE, pdf_download
from .offer import SELLING_VALUES, route_number
from .rows import PaymentAttempt, TimelineEntry
from .sale_views import OrderView, present_order

log = logging.getLogger(__name__)

# The toasts about the payment link share one id: a status change dismisses them (stale news).
LINK_TOAST = "epay-link-toast"
LINK_TOAST_MS = 20_000


def _load_view(session, user, session_token: str, number: int) -> tuple[OrderView, int]:
    """The order's view for the viewer; a live refresh reads the session as it is now."""
    user = user or auth.user_for_token(session, session_token)
    if user is None:
        raise OrderNotFound("Session expirée.")
    facts = orders.load_order_facts(session, number, user)
    return present_order(facts), facts.order_id


def _run_action(session, action, order_number: int, user) -> None:
    action(session, order_number=order_number, user=user)


class OrderState(AppState):
    number: str = ""
    not_found: str = ""
    order: dict[str, str] = {}
    vehicle: dict[str, str] = {}
    recap: dict[str, str] = {}
    deposit: dict[str, str] = {}
    attempts: list[PaymentAttempt] = []
    timeline: list[TimelineEntry] = []
    cancelled: bool = False
    can_resend: bool = False
    can_retry: bool = False
    show_ht: bool = False
    modal_open: bool = False
    busy: bool = False
    _order_id: int = 0
    _version: str = ""
    _watch_generation: int = 0

    @rx.var
    def can_sell(self) -> bool:
        return self.user_role in SELLING_VALUES

    def _apply(self, view: OrderView, order_id: int) -> None:
        self.not_found = ""
        self.number = str(view.number)
        self.order = {
            "number": str(view.number),
            "status": view.status,
            "breadcrumb": view.breadcrumb,
            "banner": view.banner,
            "validated": view.validated_line,
            "delivery": view.delivery_line,
            "extreme": view.extreme_line,
            "payment_status": view.payment_status,
            "payment_badge": view.payment_badge,
        }
        self.vehicle, self.recap, self.deposit = view.vehicle, view.recap, view.deposit
        self.attempts, self.timeline = view.attempts, view.timeline
        self.cancelled, self.can_resend, self.can_retry = view.cancelled, view.can_resend, view.can_retry
        self._order_id, self._version = order_id, view.version

    async def _reload(self) -> None:
        number = route_number(self.router.url.path)
        if number is None:
            self.not_found, self._order_id = "Commande introuvable.", 0
            return
        outcome = await self._run(_load_view, self._known_user(), self.session_token, number, write=False)
        if not outcome.ok or outcome.value is None:
            self.not_found, self._order_id = outcome.message, 0
            return
        self._apply(*outcome.value)

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def load_order(self):
        self.show_ht, self.modal_open, self.busy = False, False, False
        await self._reload()
        if self._order_id:
            # Chained rather than listed in on_load: it must start once the order is loaded.
            return OrderState.watch_order

    @rx.event(background=True)
    async def watch_order(self):
        """Reload the page when a payment of its order changed (F-55, pages.live); a change of the
        payment's status dismisses the toasts about its link (stale news)."""
        async for event in live.watch_events(
            self, "_watch_generation", "", self._refresh_from_feed, order_attr="_order_id"
        ):
            yield event

    async def _refresh_from_feed(self):
        version = await self._run(orders.payments_version, self._order_id, write=False)
        if not version.ok or version.value == self._version:
            return None
        loaded = await self._run(_load_view, None, self.session_token, int(self.number), write=False)
        if not loaded.ok or loaded.value is None:
            return None
        status_before = self.order.get("payment_status", "")
        view, order_id = loaded.value
        self._apply(view, order_id)
        return rx.toast.dismiss(LINK_TOAST) if view.payment_status != status_before else None

    @rx.event
    @require_roles(*VIEW_ROLES)
    def toggle_ht(self, value: bool):
        self.show_ht = value

    @rx.event
    @require_roles(*VIEW_ROLES)
    def set_modal_open(self, value: bool):
        self.modal_open = bool(value)

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def open_modal(self):
        await self._reload()
        self.modal_open = True

    async def _act(self, action, success: str, toast_id: str | None = None):
        """Run a guarded order action in one unit of work, then refresh the page."""
        if self.busy:
            return
        user = self.current_user()
        self.busy = True
        yield
        number = route_number(self.number)
        if number is None:
            self.busy = False
            yield rx.toast.error("Commande introuvable.")
            return
        done = await self._run(_run_action, action, number, user)
        # A link toast stays long enough to be read, and goes as soon as the payment moves on.
        same_toast = {"id": toast_id, "duration": LINK_TOAST_MS} if toast_id else {}
        if done.ok:
            answer = rx.toast.success(success, **same_toast)
        elif isinstance(done.exception, checkout.ResendTooSoon):
            answer = rx.toast.info(done.message, **same_toast)
        else:
            answer = rx.toast.error(done.message, **same_toast)
        self.busy = False
        await self._reload()
        yield answer

    @rx.event(throttle=1500)
    @require_roles(*SELLING_ROLES)
    async def resend_link(self):
        async for event in self._act(
            checkout.resend_link, "Le lien de e-paiement a été renvoyé au client.", LINK_TOAST
        ):
            yield event

    @rx.event(throttle=1500)
    @require_roles(*SELLING_ROLES)
    async def retry_payment(self):
        async for event in self._act(
            checkout.new_attempt, "Un nouveau lien de e-paiement a été envoyé au client.", LINK_TOAST
        ):
            yield event

    @rx.event
    @require_roles(*SELLING_ROLES)
    async def cancel_order(self):
        async for event in self._act(orders.cancel_order, "La commande a été annulée."):
            yield event

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def print_order(self):
        """ "Imprimer": the bon de commande."""
        return await pdf_download(self, documents.order_form_pdf, self.number, self.current_user())

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def download_payment_document(self, payment_id: str, document: str):
        """The modal's "Reçu" / "Avis de remboursement" of one attempt (scoped: not found otherwise)."""
        if document not in (documents.RECEIPT, documents.REFUND_NOTICE):
            return rx.toast.error("Document introuvable.")
        return await pdf_download(self, documents.payment_document_pdf, payment_id, self.current_user(), document)

    @rx.event
    @require_roles(*VIEW_ROLES)
    def not_available(self):
        return rx.toast.info(NOT_AVAILABLE)


# ---------------------------------------------------------------- view


def _document_buttons(attempt) -> rx.Component:
    S = OrderState
    return rx.hstack(
        rx.cond(
            attempt["receipt"] != "",
            rx.button(
                rx.icon("file-down", size=14),
                "Reçu d'acompte",
                size="1",
                variant="soft",
                class_name="epay-receipt",
                on_click=S.download_payment_document(attempt["id"], documents.RECEIPT),
            ),
        ),
        rx.cond(
            attempt["refund_notice"] != "",
            rx.button(
                rx.icon("file-down", size=14),
                "Avis de remboursement",
                size="1",
                variant="soft",
                class_name="epay-refund-notice",
                on_click=S.download_payment_document(attempt["id"], documents.REFUND_NOTICE),
            ),
        ),
        spacing="1",
    )


def _epay_modal() -> rx.Component:
    S = OrderState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("e-Paiement"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("N° transaction"),
                        rx.table.column_header_cell("Montant TTC"),
                        rx.table.column_header_cell("Date de création"),
                        rx.table.column_header_cell("État du paiement"),
                        rx.table.column_header_cell("Documents"),
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        S.attempts,
                        lambda a: rx.table.row(
                            rx.table.cell(a["reference"], class_name="epay-reference", white_space="nowrap"),
                            rx.table.cell(a["amount"]),
                            rx.table.cell(a["created"]),
                            rx.table.cell(status_badge(a["state"], a["status"], class_name="epay-state")),
                            rx.table.cell(_document_buttons(a)),
                        ),
                    )
                ),
                variant="surface",
                width="100%",
                id="epay-table",
            ),
            rx.text("Historique", weight="bold", size="2", margin_top="1em"),
            rx.box(
                rx.foreach(
                    S.timeline,
                    lambda e: rx.hstack(
                        rx.text(e["at"], size="1", color_scheme="gray", min_width="9em", white_space="nowrap"),
                        # A reference is one token: it never breaks (issue 14).
                        rx.text(e["reference"], size="1", white_space="nowrap", class_name="epay-event-reference"),
                        rx.text(e["what"], size="1", weight="medium"),
                        rx.text(e["who"], size="1", color_scheme="gray", class_name="epay-event-who"),
                        rx.text(e["detail"], size="1", color_scheme="gray"),
                        spacing="2",
                        wrap="wrap",
                        class_name="epay-event",
                    ),
                ),
                id="epay-timeline",
                max_height="220px",
                overflow_y="auto",
            ),
            rx.hstack(
                rx.button("Fermer", variant="soft", id="epay-close", on_click=S.set_modal_open(False)),
                justify="end",
                margin_top="1em",
            ),
            max_width="860px",
        ),
        open=S.modal_open,
        on_open_change=S.set_modal_open,
    )


def _deposit_card() -> rx.Component:
    S = OrderState
    return rx.card(
        rx.text(S.deposit["amount"], weight="bold", size="4", id="deposit-amount"),
        rx.text("Acompte non compris dans les calculs", size="1", color_scheme="gray"),
        rx.text("Moyen de paiement: ", S.deposit["method"], size="2", id="deposit-method"),
        rx.cond(
            S.deposit["online"] != "",
            rx.hstack(
                rx.text("e-Paiement: ", S.deposit["epay_amount"], size="2", id="deposit-epay"),
                rx.button("Visualiser", on_click=S.open_modal, id="epay-view", size="1", variant="ghost"),
                align="center",
            ),
        ),
        id="deposit-card",
        margin_top="0.8em",
        width="100%",
    )


def _cancel_button() -> rx.Component:
    S = OrderState
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Annuler la commande", color_scheme="red", variant="soft", id="cancel-order", disabled=~S.can_sell
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Annuler la commande"),
            rx.alert_dialog.description(
                "La commande sera annulée. Un acompte déjà payé en ligne passera « À rembourser ». Confirmez-vous ?"
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Non", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Oui, annuler la commande",
                        color_scheme="red",
                        on_click=S.cancel_order,
                        id="confirm-cancel-order",
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
        ),
    )


def _header() -> rx.Component:
    S = OrderState
    return rx.vstack(
        rx.hstack(
            rx.heading("Commande n°", S.order["number"], size="6", id="order-title"),
            rx.badge(S.order["status"], color_scheme=rx.cond(S.cancelled, "red", "green"), size="2", id="order-status"),
            align="center",
            spacing="3",
        ),
        rx.hstack(
            rx.button("Envoyer la commande", variant="soft", on_click=S.not_available),
            rx.button("Imprimer", variant="soft", on_click=S.print_order, id="print-order"),
            rx.button("Modifier", variant="soft", on_click=S.not_available),
            rx.cond(
                S.can_resend & S.can_sell,
                rx.button(
                    "Renvoyer le lien de e-paiement",
                    on_click=S.resend_link,
                    id="resend-link",
                    loading=S.busy,
                    disabled=S.busy,
                ),
            ),
            rx.cond(
                S.can_retry & S.can_sell,
                rx.button(
                    "Effectuer un nouveau paiement",
                    on_click=S.retry_payment,
                    id="retry-payment",
                    loading=S.busy,
                    disabled=S.busy,
                ),
            ),
            rx.cond(~S.cancelled, _cancel_button()),
            spacing="2",
            wrap="wrap",
        ),
        spacing="3",
        align="start",
        width="100%",
    )


def _print_notice() -> rx.Component:
    """The guide's "Impression" notice under the validation banner; "ici" downloads the PDF."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("printer")),
        rx.vstack(
            rx.text("Impression", weight="bold"),
            rx.text(
                "Vos documents sont prêts à être téléchargez ",
                rx.link("ici", href="#", on_click=OrderState.print_order, id="print-notice-link"),
                " afin de poursuivre.",
            ),
            spacing="1",
        ),
        color_scheme="blue",
        width="100%",
        id="print-notice",
    )


def _validated() -> rx.Component:
    S = OrderState
    return rx.vstack(
        # A cancelled order shows its cancellation alone, not the green "validée" banner.
        rx.cond(
            S.cancelled,
            rx.callout(
                "Cette commande est annulée.", icon="ban", color_scheme="red", id="order-cancelled", width="100%"
            ),
            rx.fragment(
                rx.callout.root(
                    rx.callout.icon(rx.icon("circle-check")),
                    rx.vstack(
                        rx.text("Commande validée", weight="bold"),
                        rx.text(S.order["banner"], id="order-banner"),
                        spacing="1",
                    ),
                    color_scheme="green",
                    width="100%",
                    id="order-validated-banner",
                ),
                _print_notice(),
            ),
        ),
        rx.text(S.order["validated"], size="2", id="order-validated"),
        rx.text(S.order["delivery"], size="2", id="order-delivery"),
        rx.text(S.order["extreme"], size="2", id="order-extreme"),
        spacing="2",
        width="100%",
    )


def order_page() -> rx.Component:
    S = OrderState
    return shell(
        rx.cond(
            S.not_found != "",
            rx.callout(S.not_found, icon="circle-alert", color_scheme="red", id="order-not-found"),
            rx.vstack(
                rx.text(S.order["breadcrumb"], size="1", color_scheme="gray", id="breadcrumb"),
                _header(),
                _validated(),
                rx.grid(
                    vehicle_card(S.vehicle, badge=S.order["payment_badge"], badge_status=S.order["payment_status"]),
                    rx.vstack(recap_card(S.recap, S.show_ht, S.toggle_ht), _deposit_card(), width="100%", spacing="0"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                _epay_modal(),
                spacing="3",
                width="100%",
            ),
        ),
    )
