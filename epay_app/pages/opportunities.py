"""Opportunités: the opportunities the user may see with their offers, orders and e-Réservation,
and "Déclarer perdue" (services.sales.outcomes: a paid reservation becomes À rembourser, the vehicle
is free again). Database work runs in a worker thread."""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx

from .. import routes
from ..components.confirm import confirm_dialog
from ..components.shell import shell
from ..domain.inputs import parse_id
from ..services.access.scope import viewer_for
from ..services.sales import orders, outcomes
from ..services.sales.checkout import SELLING_ROLES, VIEW_ROLES
from ..state import AppState, require_roles
from .rows import OpportunityRow
from .sale_views import opportunity_fields


def present_row(row: dict[str, str]) -> OpportunityRow:
    reference = row.get("reservation_reference", "")
    return OpportunityRow(
        **row,
        offer_href=routes.offer_url(row["offer"]) if row["offer"] else "",
        order_href=routes.order_url(row["order"]) if row["order"] else "",
        reservation_href=f"{routes.EPAYMENTS}?{urlencode({'q': reference, 'tri': 'desc'})}" if reference else "",
    )


def _declare_lost(session, user, raw_number: str) -> str:
    number = parse_id(raw_number, "Opportunité introuvable.")
    return outcomes.declare_lost(session, viewer_for(session, user), number)


class OpportunitiesState(AppState):
    rows: rx.Field[list[OpportunityRow]] = rx.field(default_factory=list)
    lose_number: str = ""

    @rx.var
    def can_sell(self) -> bool:
        return self.user_role in {g.value for g in SELLING_ROLES}

    async def _reload(self):
        outcome = await self._run(orders.opportunity_lines, self.current_user(), write=False)
        if not outcome.ok or outcome.value is None:
            return outcome.toast()
        # /opportunites?numero=2013 (a reservation card's link): that opportunity's lines only.
        wanted = str(self.router.url.query_parameters.get("numero", "") or "")
        rows = map(opportunity_fields, outcome.value)
        self.rows = [present_row(r) for r in rows if not wanted or r["opportunity"] == wanted]
        return None

    @rx.event
    @require_roles(*VIEW_ROLES)
    async def load_opportunities(self):
        self.lose_number = ""
        return await self._reload()

    @rx.event
    @require_roles(*SELLING_ROLES)
    def ask_lose(self, number: str):
        self.lose_number = number if any(r.opportunity == number and r.open for r in self.rows) else ""

    @rx.event
    @require_roles(*VIEW_ROLES)
    def cancel_lose(self):
        self.lose_number = ""

    @rx.event
    @require_roles(*SELLING_ROLES)
    async def confirm_lose(self):
        raw, self.lose_number = self.lose_number, ""
        outcome = await self._run(_declare_lost, self.current_user(), raw)
        if not outcome.ok:
            return outcome.toast()
        await self._reload()
        return rx.toast.success(outcome.value)


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
        rx.table.cell(
            rx.cond(row["badge"] != "", rx.badge(row["badge"], variant="soft")),
            rx.cond(
                row["reservation"] != "",
                rx.link(
                    rx.badge(row["reservation"], variant="soft", color_scheme="orange"),
                    href=row["reservation_href"],
                    id="reservation-" + row["opportunity"],
                ),
            ),
        ),
        rx.table.cell(
            rx.text(row["status"], size="2", id="opportunity-status-" + row["opportunity"]),
            rx.cond(
                OpportunitiesState.can_sell & (row["open"] != ""),
                rx.button(
                    "Déclarer perdue",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=OpportunitiesState.ask_lose(row["opportunity"]),
                    id="lose-" + row["opportunity"],
                ),
            ),
        ),
    )


def lose_dialog() -> rx.Component:
    S = OpportunitiesState
    return confirm_dialog(
        title="Déclarer l'opportunité perdue",
        description=(
            "L'opportunité n°",
            S.lose_number,
            " sera déclarée perdue : une e-Réservation payée passera « À rembourser », "
            "une e-Réservation en attente sera annulée et le véhicule redeviendra disponible.",
        ),
        confirm_label="Déclarer perdue",
        on_confirm=S.confirm_lose,
        on_cancel=S.cancel_lose,
        is_open=S.lose_number != "",
        id_prefix="lose",
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
                                "État",
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
        lose_dialog(),
        breadcrumb="OPPORTUNITÉS",
    )
