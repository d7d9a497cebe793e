"""Public stock of a point of sale (no login): its published vehicles, for web visitors (F-40)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from .. import routes
from ..domain.dates import format_paris
from ..domain.money import format_eur
from ..models import Vehicle
from ..services.reservation import reservations
from ..services.sales import stock
from ..state import run_use_case
from .rows import PublicVehicleRow


def path_numbers(path: str, prefix: str = routes.STOCK) -> list[int]:
    """/stock/61/12 → [61, 12]; anything unreadable → []."""
    parts = [p for p in path.removeprefix(prefix).split("/") if p]
    return [int(p) for p in parts] if parts and all(p.isascii() and p.isdigit() and len(p) < 10 for p in parts) else []


def vehicle_row(vehicle: Vehicle, pos_number: int) -> PublicVehicleRow:
    until = reservations.blocked_until(vehicle)
    assert vehicle.id is not None  # read from the database
    return PublicVehicleRow(
        id=str(vehicle.id),
        make=vehicle.make,
        model=vehicle.model,
        version=vehicle.version,
        condition=vehicle.condition,
        price=format_eur(vehicle.price_cents),
        href=routes.public_vehicle(pos_number, vehicle.id),
        status=(
            "Vendu"
            if vehicle.stock_status == reservations.SOLD
            else f"Réservé jusqu'au {format_paris(until)}"
            if until
            else ""
        ),
    )


class PublicStockState(rx.State):
    found: bool = True
    pos_name: str = ""
    pos_address: str = ""
    pos_phone: str = ""
    vehicles: rx.Field[list[PublicVehicleRow]] = rx.field(default_factory=list)

    @rx.event
    async def load_stock(self):
        numbers = path_numbers(self.router.url.path)
        self.found, self.vehicles = False, []
        if len(numbers) != 1:
            return
        outcome = await run_use_case(type(self).__name__, stock.public_stock, numbers[0], write=False)
        if not outcome.ok:
            return outcome.toast()
        if outcome.value is None:
            return
        pos = outcome.value.pos
        self.vehicles = [vehicle_row(v, pos.number) for v in outcome.value.vehicles]
        self.found = True
        self.pos_name, self.pos_address, self.pos_phone = pos.name, pos.address, pos.phone


def photo_placeholder(height: str = "140px") -> rx.Component:
    return rx.center(
        rx.icon("car", size=48, color="#9aa4b5"),
        height=height,
        width="100%",
        background="#e8ecf3",
        border_radius="6px",
        role="img",
        aria_label="Photo à venir",
    )


def public_header(*children: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.text("OpenFlex", weight="bold", color="white", size="4"),
        rx.text("Nos véhicules en stock", color="white", size="2"),
        *children,
        padding="0.8em 1.5em",
        background="#1f2a44",
        align="center",
        spacing="4",
        width="100%",
    )


def vehicle_card(row: Any) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                photo_placeholder(),
                rx.badge(row["condition"], variant="soft"),
                rx.text(row["make"], weight="bold", size="3"),
                rx.text(row["model"], size="3"),
                rx.text(row["version"], size="2", color_scheme="gray"),
                rx.text(row["price"], weight="bold", size="4", class_name="vehicle-price"),
                rx.cond(
                    row["status"] != "", rx.badge(row["status"], color_scheme="orange", class_name="vehicle-status")
                ),
                spacing="1",
                align="start",
                width="100%",
            ),
            width="100%",
        ),
        href=row["href"],
        underline="none",
        color="inherit",
        id="vehicle-" + row["id"],
        class_name="vehicle-card",
    )


def public_stock_page() -> rx.Component:
    return rx.box(
        public_header(),
        rx.box(
            rx.cond(
                PublicStockState.found,
                rx.vstack(
                    rx.heading(PublicStockState.pos_name, size="6", id="pos-name"),
                    rx.text(
                        PublicStockState.pos_address, " · ", PublicStockState.pos_phone, color_scheme="gray", size="2"
                    ),
                    rx.cond(
                        PublicStockState.vehicles.length() > 0,
                        rx.grid(
                            rx.foreach(PublicStockState.vehicles, vehicle_card),
                            columns=rx.breakpoints(initial="1", sm="2", md="3"),
                            spacing="4",
                            width="100%",
                            id="vehicle-list",
                        ),
                        rx.text("Aucun véhicule n'est en ligne pour le moment.", id="no-vehicle"),
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.callout(
                    "Ce point de vente n'existe pas.", icon="triangle-alert", color_scheme="red", id="not-found"
                ),
            ),
            padding="1.5em 2em",
            max_width="1100px",
            margin="0 auto",
        ),
        background="#f3f5f9",
        min_height="100vh",
    )
