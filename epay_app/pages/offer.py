"""Offer page ("Offre n°26837") and its payment tab: "Passer la commande" with the deposit,
validated on the server by services.sales.checkout (F-20..F-23)."""

from __future__ import annotations

from datetime import date

import reflex as rx

from .. import routes
from ..components.cards import field_error, recap_card, vehicle_card
from ..components.forms import described, field_label, labelled_field
from ..components.shell import shell
from ..domain.errors import ValidationError
from ..services.sales import checkout, documents
from ..services.sales.checkout import (
    BALANCE_METHODS,
    CARD,
    CASH_LIMIT_MESSAGE,
    DEPOSIT_METHODS,
    ONLINE_NOTICE,
    SELLING_ROLES,
    VIEW_ROLES,
    CheckoutForm,
)
from ..state import AppState, require_roles
from .documents import NOT_AVAILABLE, pdf_download
from .sale_views import OfferView, present_offer

SELLING_VALUES = {r.value for r in SELLING_ROLES}


def route_number(path: str) -> int | None:
    """The number at the end of /offres/26837 or /commandes/26837."""
    tail = (path or "").rstrip("/").rsplit("/", 1)[-1]
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    return int(tail) if tail.isascii() and tail.isdigit() and len(tail) < 12 else None


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _validate_order(session, offer_number: int, form: CheckoutForm, user) -> int:
    """ "Valider et imprimer" in one unit of work (AppState._run); the new order's number."""
    return checkout.validate_order(session, offer_number=offer_number, form=form, user=user).order.number


def _update_customer(session, offer_number: int, user, values: dict) -> None:
    checkout.update_customer(session, offer_number=offer_number, user=user, values=values)


def _load_view(session, number: int, user) -> OfferView:
    return present_offer(checkout.load_offer_facts(session, number, user))


class OfferState(AppState):
    number: str = ""
    not_found: str = ""
    offer: dict[str, str] = {}
    vehicle: dict[str, str] = {}
    recap: dict[str, str] = {}
    customer: dict[str, str] = {}
    customer_errors: dict[str, str] = {}
    epay_option: bool = False
    epay_available: bool = False
    epay_reason: str = ""
    tab: str = "synthese"
    show_ht: bool = False
    # The payment tab.
    balance_method: str = "Virement"
    deposit_method: str = ""
    decline_online: bool = False
    errors: dict[str, str] = {}
    submitting: bool = False
    # The customer dialog (F-04 fix).
    customer_open: bool = False
    customer_civility: str = ""
    customer_form_errors: dict[str, str] = {}

    @rx.var
    def can_sell(self) -> bool:
        return self.user_role in SELLING_VALUES

    @rx.var
    def ordered(self) -> bool:
        return self.offer.get("order_number", "") != ""

    @rx.var
    def online_notice(self) -> bool:
        """F-22: the notice and the opt-out box, only for a card deposit with e-paiement available."""
        return self.deposit_method == CARD and self.epay_available

    @rx.var
    def not_configured_notice(self) -> bool:
        return self.deposit_method == CARD and self.epay_option and not self.epay_available

    async def _load(self) -> None:
        number = route_number(self.router.url.path)
        user = self.current_user()
        if number is None or user is None:
            self.not_found = "Offre introuvable."
            return
        outcome = await self._run(_load_view, number, user, write=False)
        if not outcome.ok or outcome.value is None:
            self.not_found = outcome.message
            return
        view = outcome.value
        self.not_found = ""
        self.number = str(view.number)
        self.offer = {
            "number": str(view.number),
            "status": view.status,
            "breadcrumb": view.breadcrumb,
            "sale_price": view.sale_price,
            "order_number": view.order_number,
            "default_delivery": view.default_delivery,
            "default_extreme": view.default_extreme,
        }
        self.vehicle, self.recap = view.vehicle, view.recap
        self.customer, self.customer_errors = view.customer, view.customer_errors
        self.epay_option, self.epay_available, self.epay_reason = (
            view.epay_option,
            view.epay_available,
            view.epay_reason,
        )

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def load_offer(self):
        self.tab, self.show_ht, self.errors, self.submitting = "synthese", False, {}, False
        self.balance_method, self.deposit_method, self.decline_online = "Virement", "", False
        self.customer_open = False
        await self._load()

    @rx.event
    @require_roles(*VIEW_ROLES)
    def set_tab(self, value: str):
        self.tab = value

    @rx.event
    @require_roles(*VIEW_ROLES)
    def toggle_ht(self, value: bool):
        self.show_ht = value

    @rx.event
    @require_roles(*SELLING_ROLES)
    def start_order(self):
        """ "Passer la commande": open the payment tab (or the order, once passed)."""
        if self.offer.get("order_number"):
            return rx.redirect(routes.order_url(self.offer["order_number"]))
        self.tab = "paiement"

    @rx.event
    @require_roles(*VIEW_ROLES)
    def set_balance_method(self, value: str):
        self.balance_method = value
        self.errors = {k: v for k, v in self.errors.items() if k != "balance_method"}

    @rx.event
    @require_roles(*VIEW_ROLES)
    def set_deposit_method(self, value: str):
        self.deposit_method = value
        self.errors = {k: v for k, v in self.errors.items() if k != "deposit_method"}

    @rx.event
    @require_roles(*VIEW_ROLES)
    def set_decline_online(self, value: bool):
        self.decline_online = bool(value)

    @rx.event
    @require_roles(*VIEW_ROLES)
    def cancel_checkout(self):
        self.errors = {}
        self.tab = "synthese"

    @rx.event
    @require_roles(*SELLING_ROLES)
    async def submit_checkout(self, form_data: dict):
        """ "Valider et imprimer": the order in one transaction, then its PDF and the order page."""
        if self.submitting:
            return
        self.submitting = True
        yield
        user = self.current_user()
        form = CheckoutForm(
            balance_method=self.balance_method,
            deposit_amount=str(form_data.get("deposit_amount", "")),
            deposit_method=self.deposit_method,
            decline_online=self.decline_online,
            delivery_date=_iso(form_data.get("delivery_date", "")),
            extreme_delivery_date=_iso(form_data.get("extreme_delivery_date", "")),
        )
        outcome = await self._run(_validate_order, int(self.number), form, user)
        if isinstance(outcome.exception, ValidationError):
            self.errors = outcome.errors
            self.submitting = False
            if any(k.startswith("customer_") for k in outcome.errors):
                self.customer_errors = {k: v for k, v in outcome.errors.items() if k.startswith("customer_")}
            yield rx.toast.error("La commande n'a pas été validée : corrigez les champs signalés.")
            return
        if isinstance(outcome.exception, checkout.OrderAlreadyExists):
            self.submitting = False
            yield rx.redirect(routes.order_url(outcome.exception.order_number))
            return
        if not outcome.ok or outcome.value is None:
            self.submitting = False
            yield outcome.toast()
            return
        self.errors = {}
        number = outcome.value
        download = await pdf_download(self, documents.order_form_pdf, str(number), user)
        self.submitting = False
        yield download
        yield rx.redirect(routes.order_url(number))

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def print_offer(self):
        return await pdf_download(self, documents.offer_pdf, self.number, self.current_user())

    @rx.event
    @require_roles(*VIEW_ROLES)
    def not_available(self):
        return rx.toast.info(NOT_AVAILABLE)

    # ---- the customer dialog
    @rx.event
    @require_roles(*SELLING_ROLES)
    def open_customer(self):
        self.customer_civility = self.customer.get("civility", "")
        self.customer_form_errors = {}
        self.customer_open = True

    @rx.event
    @require_roles(*VIEW_ROLES)
    def close_customer(self, value: bool = False):
        self.customer_open = bool(value)

    @rx.event
    @require_roles(*VIEW_ROLES)
    def set_customer_civility(self, value: str):
        self.customer_civility = value

    @rx.event
    @require_roles(*SELLING_ROLES)
    async def save_customer(self, form_data: dict):
        user = self.current_user()
        values = {**{k: str(v) for k, v in form_data.items()}, "civility": self.customer_civility}
        outcome = await self._run(_update_customer, int(self.number), user, values)
        if isinstance(outcome.exception, ValidationError):
            self.customer_form_errors = outcome.errors
            return
        if not outcome.ok:
            return outcome.toast()
        self.customer_open = False
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith("customer_")}
        await self._load()
        return rx.toast.success("La fiche client a été mise à jour.")


# ---------------------------------------------------------------- view


def _customer_dialog() -> rx.Component:
    S = OfferState

    def field(label: str, name: str, key: str, **props) -> rx.Component:
        control_id = f"customer-{name.replace('_', '-')}"
        control = rx.input(
            name=name,
            id=control_id,
            default_value=S.customer[key],
            width="100%",
            **props,
            **described(S.customer_form_errors, name, control_id),
        )
        return labelled_field(label, control_id, control, S.customer_form_errors, name, width="100%")

    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Fiche client"),
            rx.form(
                rx.vstack(
                    field_label("Civilité *", "customer-civility"),
                    rx.select(
                        ["M.", "Mme."],
                        value=S.customer_civility,
                        on_change=S.set_customer_civility,
                        placeholder="Choisir",
                        id="customer-civility",
                    ),
                    field_error(S.customer_form_errors, "civility"),
                    field("Nom *", "last_name", "last_name"),
                    field("Prénom *", "first_name", "first_name"),
                    field("Adresse e-mail *", "email", "email", type="email"),
                    field("Téléphone", "phone", "phone"),
                    rx.hstack(
                        rx.button("Enregistrer", type="submit", id="customer-save"),
                        rx.dialog.close(rx.button("Annuler", variant="soft", color_scheme="gray", type="button")),
                        spacing="2",
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=S.save_customer,
            ),
            max_width="480px",
        ),
        open=S.customer_open,
        on_open_change=S.close_customer,
    )


def _customer_errors_callout() -> rx.Component:
    S = OfferState
    return rx.cond(
        S.customer_errors.length() > 0,  # type: ignore[attr-defined]  # a Var on the class (Reflex)
        rx.callout.root(
            rx.callout.icon(rx.icon("user-x")),
            rx.vstack(
                rx.text("Fiche client incomplète pour le e-paiement :", weight="bold", size="2"),
                rx.foreach(S.customer_errors.values(), lambda msg: rx.text(msg, size="2")),
                rx.link(
                    "Compléter la fiche client",
                    href=routes.CLIENTS + "/" + S.customer["id"] + "?offre=" + S.number,
                    id="fix-customer",
                    size="2",
                    weight="medium",
                ),
                spacing="1",
            ),
            color_scheme="amber",
            id="customer-errors",
            width="100%",
        ),
    )


def _labelled(label: str, control: rx.Component, error_key: str, control_id: str) -> rx.Component:
    return labelled_field(label, control_id, control, OfferState.errors, error_key, align="start")


def _described(error_key: str, control_id: str) -> dict:
    return described(OfferState.errors, error_key, control_id)


def _payment_tab() -> rx.Component:
    S = OfferState
    return rx.form(
        rx.vstack(
            rx.heading("Paiement du solde à régler", size="4"),
            rx.text(CASH_LIMIT_MESSAGE, size="2", color_scheme="gray", id="cash-rule"),
            rx.text(
                "Par quel moyen de paiement le client souhaite-t-il régler le solde de ",
                rx.text.strong(S.offer["sale_price"], id="balance-amount"),
                " ?",
                size="3",
            ),
            rx.text(
                "* solde n'incluant pas la déduction de l'acompte", size="1", color_scheme="gray", font_style="italic"
            ),
            _labelled(
                "Moyen de paiement du solde",
                rx.select(
                    list(BALANCE_METHODS),
                    value=S.balance_method,
                    on_change=S.set_balance_method,
                    id="balance-method",
                    **_described("balance_method", "balance-method"),
                ),
                "balance_method",
                "balance-method",
            ),
            rx.separator(margin_y="0.6em"),
            rx.heading("Acompte", size="4"),
            rx.text("Acompte versé à la commande", size="2", weight="medium"),
            rx.hstack(
                _labelled(
                    "Montant *",
                    rx.hstack(
                        rx.input(
                            name="deposit_amount",
                            id="deposit-amount",
                            placeholder="0,00",
                            width="10em",
                            input_mode="decimal",
                            **_described("deposit_amount", "deposit-amount"),
                        ),
                        rx.text("€ TTC", size="2"),
                        align="center",
                    ),
                    "deposit_amount",
                    "deposit-amount",
                ),
                _labelled(
                    "Moyen de paiement *",
                    rx.select(
                        list(DEPOSIT_METHODS),
                        value=S.deposit_method,
                        on_change=S.set_deposit_method,
                        placeholder="Choisir",
                        id="deposit-method",
                        **_described("deposit_method", "deposit-method"),
                    ),
                    "deposit_method",
                    "deposit-method",
                ),
                spacing="6",
                align="start",
            ),
            rx.cond(
                S.online_notice,
                rx.vstack(
                    rx.cond(
                        ~S.decline_online,
                        rx.callout(ONLINE_NOTICE, icon="info", color_scheme="blue", id="online-notice"),
                    ),
                    rx.box(
                        rx.checkbox(
                            "Le client ne souhaite pas payer l'acompte en ligne",
                            checked=S.decline_online,
                            on_change=S.set_decline_online,
                        ),
                        id="decline-online",
                    ),
                    spacing="2",
                    width="100%",
                ),
            ),
            rx.cond(
                S.not_configured_notice,
                rx.callout(S.epay_reason, icon="triangle-alert", color_scheme="amber", id="epay-not-configured"),
            ),
            rx.cond(S.online_notice & ~S.decline_online, _customer_errors_callout()),
            rx.separator(margin_y="0.6em"),
            rx.heading("Livraison", size="4"),
            rx.hstack(
                _labelled(
                    "Date de livraison *",
                    rx.input(
                        type="date",
                        name="delivery_date",
                        id="delivery-date",
                        default_value=S.offer["default_delivery"],
                        **_described("delivery_date", "delivery-date"),
                    ),
                    "delivery_date",
                    "delivery-date",
                ),
                _labelled(
                    "Date de livraison extrême *",
                    rx.input(
                        type="date",
                        name="extreme_delivery_date",
                        id="extreme-delivery-date",
                        default_value=S.offer["default_extreme"],
                        **_described("extreme_delivery_date", "extreme-delivery-date"),
                    ),
                    "extreme_delivery_date",
                    "extreme-delivery-date",
                ),
                spacing="6",
                align="start",
            ),
            rx.hstack(
                rx.button(
                    "Valider et imprimer",
                    type="submit",
                    id="validate-order",
                    loading=S.submitting,
                    disabled=~S.can_sell,
                ),
                rx.button(
                    "Annuler",
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.cancel_checkout,
                    id="cancel-checkout",
                ),
                spacing="3",
                margin_top="0.6em",
            ),
            spacing="3",
            align="start",
            width="100%",
            max_width="760px",
        ),
        on_submit=S.submit_checkout,
        id="checkout-form",
    )


def _synthesis_tab() -> rx.Component:
    S = OfferState
    return rx.grid(
        vehicle_card(S.vehicle, caption=rx.text("Offre en cours", size="1", color_scheme="gray")),
        recap_card(S.recap, S.show_ht, S.toggle_ht),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )


def _home_tab() -> rx.Component:
    S = OfferState
    return rx.card(
        rx.vstack(
            rx.text("Client", weight="bold"),
            rx.text(S.customer["label"], id="customer-label"),
            rx.text(S.customer["email"], size="2", color_scheme="gray"),
            rx.text(S.customer["phone"], size="2", color_scheme="gray"),
            rx.cond(
                S.can_sell,
                rx.button("Modifier le client", variant="soft", on_click=S.open_customer, id="edit-customer"),
            ),
            spacing="1",
            align="start",
        ),
    )


def _documents_tab() -> rx.Component:
    S = OfferState
    return rx.vstack(
        rx.button(rx.icon("printer", size=16), "Imprimer l'offre", variant="soft", on_click=S.print_offer),
        rx.cond(
            S.ordered, rx.link("Commande n°" + S.offer["order_number"], href="/commandes/" + S.offer["order_number"])
        ),
        spacing="2",
        align="start",
    )


def _header() -> rx.Component:
    S = OfferState
    return rx.vstack(
        rx.hstack(
            rx.heading("Offre n°", S.offer["number"], size="6", id="offer-title"),
            rx.badge(S.offer["status"], color_scheme="green", size="2", id="offer-status"),
            align="center",
            spacing="3",
        ),
        rx.hstack(
            rx.cond(
                S.ordered,
                rx.button("Voir la commande", on_click=S.start_order, id="see-order"),
                rx.button("Passer la commande", on_click=S.start_order, id="pass-order", disabled=~S.can_sell),
            ),
            rx.button("Envoyer l'offre", variant="soft", on_click=S.not_available, id="send-offer"),
            rx.button("Imprimer", variant="soft", on_click=S.print_offer, id="print-offer"),
            rx.button("Modifier", variant="soft", on_click=S.not_available, id="edit-offer"),
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(
            S.ordered,
            rx.callout(
                rx.text(
                    "Cette offre a été commandée : ",
                    rx.link("commande n°" + S.offer["order_number"], href="/commandes/" + S.offer["order_number"]),
                ),
                icon="circle-check",
                color_scheme="green",
                id="already-ordered",
            ),
        ),
        spacing="3",
        align="start",
        width="100%",
    )


def offer_page() -> rx.Component:
    S = OfferState
    return shell(
        rx.cond(
            S.not_found != "",
            rx.callout(S.not_found, icon="circle-alert", color_scheme="red", id="offer-not-found"),
            rx.vstack(
                rx.text(S.offer["breadcrumb"], size="1", color_scheme="gray", id="breadcrumb"),
                _header(),
                rx.tabs.root(
                    rx.tabs.list(
                        rx.tabs.trigger("Accueil", value="accueil"),
                        rx.tabs.trigger("SYNTHÈSE", value="synthese"),
                        rx.tabs.trigger("PAIEMENT", value="paiement", id="tab-paiement"),
                        rx.tabs.trigger("DOCUMENTS DU DOSSIER", value="documents"),
                    ),
                    rx.tabs.content(_home_tab(), value="accueil", padding_top="1em"),
                    rx.tabs.content(_synthesis_tab(), value="synthese", padding_top="1em"),
                    rx.tabs.content(
                        rx.cond(S.ordered, rx.text("La commande a déjà été passée."), _payment_tab()),
                        value="paiement",
                        padding_top="1em",
                    ),
                    rx.tabs.content(_documents_tab(), value="documents", padding_top="1em"),
                    value=S.tab,
                    on_change=S.set_tab,
                    width="100%",
                ),
                _customer_dialog(),
                spacing="3",
                width="100%",
            ),
        ),
    )
