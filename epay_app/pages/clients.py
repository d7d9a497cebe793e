"""Clients (F-67): search the customers the user may see by name, e-mail or phone.

The search runs in a worker thread (the event loop only waits); the service scopes it
(services.sales.customers, services.access.scope).
"""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..services.access.scope import viewer_for
from ..services.sales import customers
from ..services.sales.checkout import VIEW_ROLES
from ..state import AppState, require_roles
from .rows import CustomerRow

SEARCH_PLACEHOLDER = "Nom, e-mail ou téléphone"


def _search(session, user, query: str) -> list[CustomerRow]:
    if user is None:
        return []
    return [CustomerRow(**row) for row in customers.search_customers(session, viewer_for(session, user), query)]


class ClientsState(AppState):
    rows: rx.Field[list[CustomerRow]] = rx.field(default_factory=list)
    query: str = ""
    refusal: str = ""

    async def _show(self, query: str) -> None:
        outcome = await self._run(_search, self.current_user(), query, write=False)
        if not outcome.ok or outcome.value is None:
            self.rows, self.refusal = [], outcome.message
            return
        self.rows, self.query, self.refusal = outcome.value, query, ""

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def load_clients(self):
        """on_load: /clients?q=pons."""
        query = self.router.url.query_parameters.get("q", "")
        await self._show(query if isinstance(query, str) else "")

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def search_clients(self, value: str):
        await self._show(value if isinstance(value, str) else "")
        if self.refusal:
            return rx.toast.error(self.refusal)


def _row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(row["label"], href=routes.CLIENTS + "/" + row["id"], id="customer-link-" + row["id"]),
        ),
        rx.table.cell(row["email"]),
        rx.table.cell(row["phone"]),
    )


def clients_page() -> rx.Component:
    S = ClientsState
    return shell(
        rx.heading("Clients", size="6", margin_bottom="0.5em"),
        rx.input(
            placeholder=SEARCH_PLACEHOLDER,
            value=S.query,
            on_change=S.search_clients,
            debounce_timeout=250,
            width="30em",
            id="customer-search",
            aria_label="Rechercher un client",
        ),
        rx.cond(S.refusal != "", rx.callout(S.refusal, icon="triangle_alert", color_scheme="red", id="refusal")),
        rx.cond(
            S.rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(*[rx.table.column_header_cell(h) for h in ("Client", "Adresse e-mail", "Téléphone")])
                ),
                rx.table.body(rx.foreach(S.rows, _row)),
                variant="surface",
                width="100%",
                margin_top="1em",
                id="customers-table",
            ),
            rx.text("Aucun client.", color_scheme="gray", margin_top="1em", id="no-customers"),
        ),
        breadcrumb="CLIENTS",
    )
