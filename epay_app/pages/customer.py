"""A customer's record (F-67): their opportunities, orders and e-payments (links to those pages)
and the form that edits civility, names, e-mail and phone — where the offer page's "Compléter la
fiche client" leads (/clients/<id>?offre=<n> shows the way back to the offer).
"""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx

from .. import routes
from ..components.cards import field_error
from ..components.shell import shell
from ..domain.customers import CIVILITIES
from ..domain.errors import ValidationError
from ..domain.inputs import ascii_int
from ..services.access.scope import CustomerNotFound, viewer_for
from ..services.sales import customers
from ..services.sales.checkout import VIEW_ROLES
from ..state import AppState, require_roles
from .offer import route_number
from .rows import CustomerOpportunityRow, CustomerOrderRow, CustomerPaymentRow

NOT_FOUND = "Client introuvable."
SAVED = "La fiche client a été mise à jour."


def _record(session, user, customer_id: int) -> customers.CustomerRecord:
    if user is None:
        raise CustomerNotFound(NOT_FOUND)
    return customers.customer_record(session, viewer_for(session, user), customer_id)


def _save(session, user, customer_id: int, values: dict) -> None:
    if user is None:
        raise CustomerNotFound(NOT_FOUND)
    customers.update_customer(session, viewer_for(session, user), customer_id, values)


def epayments_link(reference: str) -> str:
    return f"{routes.EPAYMENTS}?{urlencode({'q': reference, 'tri': 'desc'})}"


class CustomerState(AppState):
    not_found: str = ""
    customer: dict[str, str] = {}
    opportunities: rx.Field[list[CustomerOpportunityRow]] = rx.field(default_factory=list)
    orders: rx.Field[list[CustomerOrderRow]] = rx.field(default_factory=list)
    payments: rx.Field[list[CustomerPaymentRow]] = rx.field(default_factory=list)
    civility: str = ""
    form_errors: dict[str, str] = {}
    back_offer: str = ""
    customer_id_shown: str = ""
    _customer_id: int = 0

    @rx.var
    def can_edit(self) -> bool:
        return self.user_role in {g.value for g in customers.EDIT_ROLES}

    async def _reload(self) -> None:
        outcome = await self._run(_record, self.current_user(), self._customer_id, write=False)
        record = outcome.value
        if not outcome.ok or record is None:
            self.not_found, self.customer, self.customer_id_shown = outcome.message or NOT_FOUND, {}, ""
            self.opportunities, self.orders, self.payments = [], [], []
            self._customer_id = 0
            return
        self.not_found = ""
        self.customer, self.customer_id_shown = record.customer, record.customer["id"]
        self.opportunities = [CustomerOpportunityRow(**o) for o in record.opportunities]
        self.orders = [CustomerOrderRow(**o) for o in record.orders]
        self.payments = [CustomerPaymentRow(**p, href=epayments_link(p["reference"])) for p in record.payments]
        self.civility = record.customer["civility"]

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def load_customer(self):
        """on_load: /clients/<id>, optionally ?offre=<n> (the way back to the offer)."""
        self.form_errors = {}
        offer = ascii_int(self.router.url.query_parameters.get("offre", ""))
        self.back_offer = str(offer) if offer else ""
        customer_id = route_number(self.router.url.path)
        if not customer_id:
            self.not_found, self.customer, self._customer_id, self.customer_id_shown = NOT_FOUND, {}, 0, ""
            return
        self._customer_id = customer_id
        await self._reload()

    @rx.event
    @require_roles(*VIEW_ROLES)
    def set_civility(self, value: str):
        self.civility = value if value in CIVILITIES else ""

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def save_customer(self, form_data: dict):
        if not self._customer_id:
            return rx.toast.error(NOT_FOUND)
        values = {k: v for k, v in form_data.items() if isinstance(k, str)} if isinstance(form_data, dict) else {}
        values["civility"] = self.civility
        outcome = await self._run(_save, self.current_user(), self._customer_id, values)
        if isinstance(outcome.exception, ValidationError):
            self.form_errors = outcome.errors
            return rx.toast.error("Veuillez corriger les champs signalés.")
        if not outcome.ok:
            return outcome.toast()
        self.form_errors = {}
        await self._reload()
        return rx.toast.success(SAVED)


# ---------------------------------------------------------------- view

S = CustomerState


def _field(label: str, name: str, **props) -> rx.Component:
    control_id = f"customer-{name.replace('_', '-')}"
    return rx.vstack(
        rx.el.label(label, html_for=control_id, style={"fontSize": "14px", "fontWeight": 500}),
        rx.input(
            name=name,
            id=control_id,
            default_value=S.customer[name],
            read_only=~S.can_edit,
            width="100%",
            aria_describedby=f"error-{name}",
            **props,
        ),
        field_error(S.form_errors, name),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    # Drawn once the record is loaded, and again for another customer (key): the inputs start with
    # that customer's values, and nothing typed before the load can be lost.
    return rx.cond(S.customer_id_shown != "", _loaded_form(), rx.spinner(size="3"))


def _loaded_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("Civilité *", html_for="customer-civility", style={"fontSize": "14px", "fontWeight": 500}),
            rx.select(
                list(CIVILITIES),
                value=S.civility,
                on_change=S.set_civility,
                placeholder="Choisir",
                disabled=~S.can_edit,
                id="customer-civility",
            ),
            field_error(S.form_errors, "civility"),
            _field("Nom *", "last_name"),
            _field("Prénom *", "first_name"),
            _field("Adresse e-mail *", "email", type="email"),
            _field("Téléphone", "phone", type="tel"),
            rx.cond(S.can_edit, rx.button("Enregistrer", type="submit", id="customer-save")),
            spacing="2",
            width="100%",
        ),
        on_submit=S.save_customer,
        no_validate=True,  # the server's French field errors, not the browser's bubbles
        key=S.customer_id_shown,
        max_width="420px",
        width="100%",
    )


def _table(headers: tuple[str, ...], rows, row_fn, table_id: str, empty: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, row_fn)),
            variant="surface",
            width="100%",
            id=table_id,
        ),
        rx.text(empty, color_scheme="gray", size="2"),
    )


def _opportunity_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["number"]),
        rx.table.cell(row["status"]),
        rx.table.cell(
            rx.cond(row["offer"] != "", rx.link("Offre n°" + row["offer"], href="/offres/" + row["offer"]), "—")
        ),
        rx.table.cell(row["vehicle"]),
        rx.table.cell(row["seller"]),
        rx.table.cell(row["pos"]),
    )


def _order_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link("Commande n°" + row["number"], href="/commandes/" + row["number"])),
        rx.table.cell(row["status"]),
        rx.table.cell(row["validated"]),
        rx.table.cell(row["deposit"]),
    )


def _payment_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["reference"], href=row["href"], id="payment-link-" + row["id"])),
        rx.table.cell(row["kind"]),
        rx.table.cell(rx.badge(row["status"], variant="soft")),
        rx.table.cell(row["amount"]),
        rx.table.cell(row["date"]),
    )


def customer_page() -> rx.Component:
    return shell(
        rx.cond(
            S.not_found != "",
            rx.callout(S.not_found, icon="triangle_alert", color_scheme="red", id="not-found"),
            rx.vstack(
                rx.hstack(
                    rx.link("← Clients", href=routes.CLIENTS, size="2"),
                    rx.cond(
                        S.back_offer != "",
                        rx.link("Retour à l'offre n°" + S.back_offer, href="/offres/" + S.back_offer, id="back-offer"),
                    ),
                    spacing="4",
                ),
                rx.heading(S.customer["label"], size="6", id="customer-title"),
                rx.hstack(
                    _form(),
                    rx.vstack(
                        rx.heading("Opportunités", size="4"),
                        _table(
                            ("N°", "Statut", "Offre", "Véhicule", "Vendeur", "Point de vente"),
                            S.opportunities,
                            _opportunity_row,
                            "customer-opportunities",
                            "Aucune opportunité.",
                        ),
                        rx.heading("Commandes", size="4"),
                        _table(
                            ("Commande", "Statut", "Validée le", "Acompte"),
                            S.orders,
                            _order_row,
                            "customer-orders",
                            "Aucune commande.",
                        ),
                        rx.heading("e-Paiements", size="4"),
                        _table(
                            ("N° transaction", "Type", "Statut", "Montant", "Date"),
                            S.payments,
                            _payment_row,
                            "customer-payments",
                            "Aucun e-Paiement.",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    spacing="6",
                    align="start",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
        ),
        breadcrumb="CLIENTS > FICHE CLIENT",
    )
