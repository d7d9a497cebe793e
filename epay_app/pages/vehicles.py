"""Staff's "Véhicules": the stock of the user's point of sale, with reservations (F-40)."""

from __future__ import annotations

import reflex as rx
from sqlmodel import select

from .. import routes
from ..components.shell import shell
from ..db import session_scope
from ..domain.dates import format_paris
from ..domain.money import format_eur
from ..domain.statuses import CARD_BADGES, PaymentStatus
from ..models import EPayment, Opportunity, PointOfSale, Vehicle
from ..services import reservations, scope
from ..state import AppState, require_roles


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
    pos_number: int = 0
    rows: list[dict[str, str]] = []

    @rx.event
    @require_roles()  # any logged-in staff member sees their point of sale's vehicles
    def load_vehicles(self):
        user = self.current_user()
        with session_scope(write=False) as session:
            viewer = scope.viewer_for(session, user)
            pos = session.get(PointOfSale, user.pos_id)
            vehicles = session.exec(
                select(Vehicle)
                .where(scope.vehicle_clause(viewer), Vehicle.pos_id == pos.id)
                .order_by(Vehicle.make, Vehicle.model, Vehicle.id)
            ).all()
            # The block shows to all; who holds it (reference, opportunity) only to whom follows that payment.
            holder_ids = [v.reservation_payment_id for v in vehicles if v.reservation_payment_id]
            payments = {
                p.id: (p, number)
                for p, number in session.exec(
                    select(EPayment, Opportunity.number)
                    .join(Opportunity, Opportunity.id == EPayment.opportunity_id)
                    .where(EPayment.id.in_(holder_ids), scope.payment_clause(viewer))
                ).all()
            }
        self.pos_number = pos.number
        self.rows = []
        for vehicle in vehicles:
            label, detail = _status(vehicle, *payments.get(vehicle.reservation_payment_id, (None, None)))
            self.rows.append(
                {
                    "id": str(vehicle.id),
                    "vehicle": f"{vehicle.make} {vehicle.model}",
                    "version": vehicle.version,
                    "condition": vehicle.condition,
                    "plate": vehicle.plate or vehicle.vin,
                    "price": format_eur(vehicle.price_cents),
                    "published": "Publié" if vehicle.published else "",
                    "status": label,
                    "detail": detail,
                    "reserved": "1" if label.startswith("Réservé") else "",
                    "public_href": routes.public_vehicle(pos.number, vehicle.id) if vehicle.published else "",
                }
            )


def vehicle_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["vehicle"], weight="bold"), rx.text(row["version"], size="1", color_scheme="gray")),
        rx.table.cell(row["condition"]),
        rx.table.cell(row["plate"]),
        rx.table.cell(row["price"]),
        rx.table.cell(
            rx.cond(row["public_href"] != "", rx.link(row["published"], href=row["public_href"], is_external=True))
        ),
        rx.table.cell(
            rx.badge(
                row["status"], color_scheme=rx.cond(row["reserved"] != "", "orange", "gray"), class_name="stock-status"
            ),
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
