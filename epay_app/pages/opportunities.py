"""Opportunités: the opportunities of the user's entity with their offers and orders."""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..services import orders
from ..services.checkout import VIEW_ROLES
from ..state import AppState, require_roles
from .rows import OpportunityRow


def present_row(row: dict[str, str]) -> OpportunityRow:
    return OpportunityRow(
        **row,
        offer_href=routes.offer_url(row["offer"]) if row["offer"] else "",
        order_href=routes.order_url(row["order"]) if row["order"] else "",
    )


class OpportunitiesState(AppState):
    rows: rx.Field[list[OpportunityRow]] = rx.field(default_factory=list)

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def load_opportunities(self):
        outcome = await self._run(orders.opportunity_rows, self.current_user(), write=False)
        if not outcome.ok or outcome.value is None:
            return outcome.toast()
        # /opportunites?numero=2013 (a reservation card's link): that opportunity's lines only.
        wanted = str(self.router.url.query_parameters.get("numero", "") or "")
        self.rows = [present_row(r) for r in outcome.value if not wanted or r["opportunity"] == wanted]


def _row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["opportunity"]),
        rx.table.cell(row["customer"]),
        rx.table.cell(row["vehicle"]),
        rx.table.cell(row["seller"]),
        rx.table.cell(row["pos"]),
        rx.table.cell(
            rx.cond(
                row["offer"] != "",
                rx.link("Offre n°" + row.offer, href=row.offer_href, id="offer-link-" + row.offer),
            ),
            rx.text(row["offer_status"], size="1", color_scheme="gray"),
        ),
        rx.table.cell(
            rx.cond(
                row["order"] != "",
                rx.vstack(
                    rx.link("Commande n°" + row.order, href=row.order_href, id="order-link-" + row.order),
                    rx.text(row["order_status"], size="1", color_scheme="gray"),
                    spacing="0",
                ),
                rx.text("—", color_scheme="gray"),
            )
        ),
        rx.table.cell(rx.cond(row["badge"] != "", rx.badge(row["badge"], variant="soft"))),
    )


def opportunities_page() -> rx.Component:
    return shell(
        rx.heading("Opportunités", size="6", margin_bottom="0.8em"),
        rx.cond(
            OpportunitiesState.rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in (
                                "N° opportunité",
                                "Client",
                                "Véhicule",
                                "Vendeur",
                                "Point de vente",
                                "Offre",
                                "Commande",
                                "e-Paiement",
                            )
                        ],
                    )
                ),
                rx.table.body(rx.foreach(OpportunitiesState.rows, _row)),
                variant="surface",
                width="100%",
                id="opportunities-table",
            ),
            rx.text("Aucune donnée", color_scheme="gray"),
        ),
        breadcrumb="OPPORTUNITÉS",
    )
