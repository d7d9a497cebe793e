"""Staff's "Véhicules": the stock of the user's point of sale, with reservations (F-40)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..domain.dates import format_paris
from ..domain.money import format_eur
from ..domain.statuses import CARD_BADGES, PaymentStatus
from ..models import EPayment, Vehicle
from ..services import reservations, stock
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


class VehiclesState(AppState):
    pos_number: rx.Field[int] = rx.field(0)
    rows: rx.Field[list[StaffVehicleRow]] = rx.field(default_factory=list)

    @rx.event
    @require_roles()  # any logged-in staff member sees their point of sale's vehicles
    async def load_vehicles(self):
        outcome = await self._run(stock.staff_stock, self.current_user(), write=False)
        if not outcome.ok or outcome.value is None:
            return outcome.toast()
        pos_number = self.pos_number = outcome.value.pos_number
        self.rows = []
        for vehicle, payment, opportunity_number in outcome.value.vehicles:
            label, detail = _status(vehicle, payment, opportunity_number)
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
                    public_href=routes.public_vehicle(pos_number, vehicle.id) if vehicle.published else "",
                )
            )


def vehicle_row(row: Any) -> rx.Component:
    return rx.table.row(
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
                    *[
                        rx.table.column_header_cell(h)
                        for h in (
                            "Véhicule",
                            "Neuf/Occasion",
                            "Immatriculation / châssis",
                            "Prix TTC",
                            "En ligne",
                            "État",
                        )
                    ]
                )
            ),
            rx.table.body(rx.foreach(VehiclesState.rows, vehicle_row)),
            width="100%",
            id="vehicles-table",
        ),
        breadcrumb="VÉHICULES",
    )
