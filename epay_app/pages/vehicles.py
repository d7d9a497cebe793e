"""Staff's "Véhicules": the stock the user may see (their point of sale's, or their entity's for a
director or an administrator), with reservations (F-40)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from .. import routes
from ..components.confirm import confirm_dialog
from ..components.shell import shell
from ..domain.dates import format_paris
from ..domain.errors import DomainError
from ..domain.inputs import parse_id
from ..domain.money import format_eur
from ..domain.statuses import PaymentStatus
from ..labels import CARD_BADGES
from ..models import EPayment, Vehicle
from ..services.access import scope
from ..services.reservation import reservations
from ..services.sales import outcomes, stock
from ..services.sales.checkout import SELLING_ROLES, VIEW_ROLES
from ..state import AppState, require_roles
from .rows import StaffVehicleRow


def _status(vehicle: Vehicle, payment: EPayment | None, opportunity_number: int | None) -> tuple[str, str]:
    """(label, detail): "Réservé jusqu'au 16/12/2024 à 16h32",
    "e-Réservation 00045_000061_10000002013_1 (Payé) · Sur l'opportunité n°2013"."""
    if vehicle.stock_status == reservations.SOLD:
        return "Vendu", ""
    until = reservations.blocked_until(vehicle)
    if until is None:
        return "En stock", ""
    detail = ""
    if payment is not None:
        detail = (
            f"e-Réservation {payment.reference} ({CARD_BADGES[PaymentStatus(payment.status)]})"
            f" · Sur l'opportunité n°{opportunity_number}"
        )
    return f"Réservé jusqu'au {format_paris(until)}", detail


def _act(session, user, action) -> str:
    """A vehicle action (services.sales.outcomes) for the viewer, in one unit of work."""
    return action(session, scope.viewer_for(session, user))


class VehiclesState(AppState):
    pos_number: rx.Field[int] = rx.field(0)
    several_points_of_sale: bool = False
    rows: rx.Field[list[StaffVehicleRow]] = rx.field(default_factory=list)
    sold_id: str = ""
    sold_label: str = ""
    sold_reserved: bool = False
    sold_buyer: str = outcomes.BUYER_OTHER

    @rx.var
    def can_sell(self) -> bool:
        return self.user_role in {g.value for g in SELLING_ROLES}

    async def _reload(self):
        outcome = await self._run(stock.staff_stock, self.current_user(), write=False)
        if not outcome.ok or outcome.value is None:
            return outcome.toast()
        self.pos_number = outcome.value.pos_number
        self.several_points_of_sale = outcome.value.several_points_of_sale
        self.rows = []
        for item in outcome.value.vehicles:
            vehicle = item.vehicle
            assert vehicle.id is not None  # read from the database
            label, detail = _status(vehicle, item.payment, item.opportunity_number)
            self.rows.append(
                StaffVehicleRow(
                    id=str(vehicle.id),
                    vehicle=f"{vehicle.make} {vehicle.model}",
                    version=vehicle.version,
                    condition=vehicle.condition,
                    plate=vehicle.plate or vehicle.vin,
                    price=format_eur(vehicle.price_cents),
                    published="Publié" if vehicle.published else "",
                    status=label,
                    detail=detail,
                    reserved=label.startswith("Réservé"),
                    sold=vehicle.stock_status == reservations.SOLD,
                    public_href=routes.public_vehicle(item.pos.number, vehicle.id) if vehicle.published else "",
                    point_of_sale=item.pos.name,
                )
            )
        return None

    async def _act_then_reload(self, action):
        outcome = await self._run(_act, self.current_user(), action)
        await self._reload()
        return outcome.toast() if not outcome.ok else rx.toast.success(outcome.value)

    @rx.event
    @require_roles()  # any logged-in staff member sees the vehicles of their stock scope
    async def load_vehicles(self):
        self.sold_id = ""
        await self._reload()

    @rx.event
    @require_roles(*SELLING_ROLES)
    async def set_published(self, vehicle_id: str, published: bool):
        try:
            wanted = parse_id(vehicle_id, "Véhicule introuvable.")
        except DomainError as exc:
            return rx.toast.error(str(exc))
        return await self._act_then_reload(lambda s, v: outcomes.set_published(s, v, wanted, published is True))

    @rx.event
    @require_roles(*SELLING_ROLES)
    def ask_sold(self, vehicle_id: str):
        row = next((r for r in self.rows if r.id == vehicle_id and not r.sold), None)
        if row is None:
            return
        self.sold_id, self.sold_label, self.sold_reserved = vehicle_id, row.vehicle, row.reserved
        self.sold_buyer = outcomes.BUYER_HOLDER if self.sold_reserved else outcomes.BUYER_OTHER

    @rx.event
    @require_roles(*SELLING_ROLES)
    def set_sold_buyer(self, value: str):
        self.sold_buyer = (
            outcomes.BUYER_HOLDER if value == BUYER_LABELS[outcomes.BUYER_HOLDER] else outcomes.BUYER_OTHER
        )

    @rx.event
    @require_roles(*VIEW_ROLES)
    def cancel_sold(self):
        self.sold_id = ""

    @rx.event
    @require_roles(*SELLING_ROLES)
    async def confirm_sold(self):
        raw, buyer, self.sold_id = self.sold_id, self.sold_buyer, ""
        try:
            wanted = parse_id(raw, "Véhicule introuvable.")
        except DomainError as exc:
            return rx.toast.error(str(exc))
        return await self._act_then_reload(lambda s, v: outcomes.mark_sold(s, v, wanted, buyer))


BUYER_LABELS = {
    outcomes.BUYER_HOLDER: "Au client titulaire de la e-Réservation",
    outcomes.BUYER_OTHER: "À un autre client (la e-Réservation passe « À rembourser »)",
}


def sold_dialog() -> rx.Component:
    S = VehiclesState
    return confirm_dialog(
        rx.cond(
            S.sold_reserved,
            rx.radio_group(
                list(BUYER_LABELS.values()),
                value=rx.cond(
                    S.sold_buyer == outcomes.BUYER_HOLDER,
                    BUYER_LABELS[outcomes.BUYER_HOLDER],
                    BUYER_LABELS[outcomes.BUYER_OTHER],
                ),
                on_change=S.set_sold_buyer,
                direction="column",
                id="sold-buyer",
                margin_top="1em",
            ),
        ),
        title="Marquer le véhicule vendu",
        description=(S.sold_label, " quittera le stock."),
        confirm_label="Marquer vendu",
        on_confirm=S.confirm_sold,
        on_cancel=S.cancel_sold,
        is_open=S.sold_id != "",
        id_prefix="sold",
    )


def vehicle_row(row: Any) -> rx.Component:
    return rx.table.row(
        rx.cond(VehiclesState.several_points_of_sale, rx.table.cell(row["point_of_sale"], class_name="vehicle-pos")),
        rx.table.cell(rx.text(row["vehicle"], weight="bold"), rx.text(row["version"], size="1", color_scheme="gray")),
        rx.table.cell(row["condition"]),
        rx.table.cell(row["plate"]),
        rx.table.cell(row["price"]),
        rx.table.cell(
            rx.cond(row["public_href"] != "", rx.link(row["published"], href=row["public_href"], is_external=True))
        ),
        rx.table.cell(
            rx.badge(row["status"], color_scheme=rx.cond(row.reserved, "orange", "gray"), class_name="stock-status"),
            rx.cond(row["detail"] != "", rx.text(row["detail"], size="1", color_scheme="gray")),
        ),
        rx.table.cell(
            rx.cond(
                VehiclesState.can_sell & ~row.sold,
                rx.hstack(
                    rx.cond(
                        row["published"] != "",
                        rx.button(
                            "Retirer du stock en ligne",
                            size="1",
                            variant="soft",
                            color_scheme="gray",
                            on_click=VehiclesState.set_published(row["id"], False),
                            id="unpublish-" + row["id"],
                        ),
                        rx.button(
                            "Publier",
                            size="1",
                            variant="soft",
                            on_click=VehiclesState.set_published(row["id"], True),
                            id="publish-" + row["id"],
                        ),
                    ),
                    rx.button(
                        "Marquer vendu",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=VehiclesState.ask_sold(row["id"]),
                        id="sell-" + row["id"],
                    ),
                    spacing="2",
                ),
            ),
        ),
        id="vehicle-row-" + row["id"],
    )


def vehicles_page() -> rx.Component:
    return shell(
        rx.hstack(
            rx.heading("Véhicules", size="6"),
            rx.spacer(),
            rx.link(
                "Voir le stock en ligne",
                href=routes.STOCK + "/" + VehiclesState.pos_number.to_string(),
                is_external=True,
                id="public-stock-link",
            ),
            width="100%",
            align="center",
            margin_bottom="1em",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.cond(VehiclesState.several_points_of_sale, rx.table.column_header_cell("Point de vente")),
                    *[
                        rx.table.column_header_cell(h)
                        for h in (
                            "Véhicule",
                            "Neuf/Occasion",
                            "Immatriculation / châssis",
                            "Prix TTC",
                            "En ligne",
                            "État",
                            "Actions",
                        )
                    ],
                )
            ),
            rx.table.body(rx.foreach(VehiclesState.rows, vehicle_row)),
            width="100%",
            id="vehicles-table",
        ),
        sold_dialog(),
        breadcrumb="VÉHICULES",
    )
