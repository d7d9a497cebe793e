"""A published vehicle's public page (no login) with "Réserver ce véhicule" (F-40)."""

from __future__ import annotations

import logging

import reflex as rx

from .. import routes
from ..components.forms import LABEL_STYLE, described, error_region, labelled_field
from ..domain.dates import format_paris
from ..domain.errors import ValidationError
from ..domain.money import format_eur
from ..services.reservation import reservations, result_pages
from ..services.sales import stock
from ..state import run_use_case
from .public_stock import path_numbers, photo_placeholder, public_header

log = logging.getLogger(__name__)

FIELDS = ("civility", "last_name", "first_name", "email", "phone")


def _public_vehicle(session, pos_number: int, vehicle_id: int, proof: int | None):
    """The published vehicle (services.sales.stock) and, when the visitor's pass proves it, until when
    it is held for them."""
    found = stock.public_vehicle(session, pos_number, vehicle_id)
    if found is None:
        return None
    return found, result_pages.own_reservation(session, found.vehicle, proof)


class PublicVehicleState(rx.State):
    found: bool = True
    vehicle_id: int = 0
    pos_number: rx.Field[int] = rx.field(0)
    pos_name: str = ""
    title: str = ""
    make: str = ""
    model: str = ""
    version: str = ""
    condition: str = ""
    price: str = ""
    details: list[str] = []
    can_reserve: bool = False
    unavailable: str = ""  # why not, for the visitor
    reserved_label: str = ""  # "Réservé jusqu'au 16/12/2024 à 16h32"
    amount: str = ""
    hours: rx.Field[int] = rx.field(0)
    hold_minutes: rx.Field[int] = rx.field(0)
    show_form: bool = False
    errors: dict[str, str] = {}
    message: str = ""
    done: bool = False
    done_text: str = ""
    submitting: bool = False
    pay_url: str = ""  # /pay/<token> once reserved: the browser goes there by itself

    async def _load(self, pos_number: int, vehicle_id: int) -> None:
        # The payer's own block, proven by the pass his result page set (services/reservation/result_pages.py).
        proof = result_pages.pass_payment(self.router.headers.cookie, vehicle_id)
        outcome = await run_use_case(type(self).__name__, _public_vehicle, pos_number, vehicle_id, proof, write=False)
        if outcome.value is None:
            self.found = False
            return
        found, mine_until = outcome.value
        vehicle, pos, group, state = found.vehicle, found.pos, found.group, found.availability
        assert vehicle.id is not None  # read from the database
        self.found, self.vehicle_id, self.pos_number, self.pos_name = True, vehicle.id, pos.number, pos.name
        self.make, self.model, self.version, self.condition = (
            vehicle.make,
            vehicle.model,
            vehicle.version,
            vehicle.condition,
        )
        self.title = f"{vehicle.make} {vehicle.model}"
        self.price = format_eur(vehicle.price_cents)
        self.details = [
            d
            for d in (
                vehicle.fuel,
                f"{vehicle.fiscal_power} CV / {vehicle.power_hp} ch" if vehicle.power_hp else "",
                f"{vehicle.doors} P {vehicle.colour}".strip() if vehicle.colour else "",
                f"{vehicle.mileage_km:,} km".replace(",", " ") if vehicle.mileage_km else "",
                f"Immatriculation : {vehicle.plate}" if vehicle.plate else "",
            )
            if d
        ]
        self.can_reserve = state.can_reserve
        self.reserved_label = f"Réservé jusqu'au {format_paris(state.blocked_until)}" if state.blocked_until else ""
        self.unavailable = "" if state.can_reserve else state.reason
        if mine_until is not None:
            self.reserved_label = f"Réservé pour vous jusqu'au {format_paris(mine_until)}"
            self.unavailable = ""
        self.amount, self.hours = format_eur(group.reservation_amount_cents), group.reservation_hours
        self.hold_minutes = int(reservations.hold_duration(group).total_seconds() // 60)

    @rx.event
    async def load_vehicle(self):
        self.errors, self.message, self.done, self.done_text = {}, "", False, ""
        self.show_form = self.submitting = False
        self.pay_url = ""
        numbers = path_numbers(self.router.url.path)
        if len(numbers) != 2:
            self.found = False
            return
        await self._load(*numbers)

    @rx.event
    def open_form(self):
        self.show_form = self.can_reserve

    @rx.event
    def close_form(self):
        self.show_form = False
        self.errors, self.message = {}, ""

    @rx.event
    async def submit_reservation(self, form: dict):
        if self.submitting:
            return
        self.submitting = True
        self.errors, self.message = {}, ""
        yield
        data = {key: form.get(key, "") for key in FIELDS}
        vehicle_id, pos_number = self.vehicle_id, self.pos_number
        # The address the app sees (the socket's peer; behind a reverse proxy, Reflex's
        # trusted_proxy_hops / REFLEX_TRUSTED_PROXY_HOPS picks it from X-Forwarded-For).
        client_address = self.router.session.client_ip or "inconnue"
        outcome = await run_use_case(
            type(self).__name__, reservations.reserve_vehicle, vehicle_id, data, client_address=client_address
        )
        result = outcome.value
        if isinstance(outcome.exception, ValidationError):
            self.errors = outcome.errors
            self.message = "Veuillez corriger les champs signalés."
        elif isinstance(outcome.exception, reservations.ReservationUnavailable):
            self.message = outcome.message
            await self._load(pos_number, vehicle_id)
        elif not outcome.ok or result is None:
            self.message = outcome.message
        else:
            self.show_form = False
            self.done = True
            self.done_text = (
                f"Le véhicule vous est réservé le temps du paiement, jusqu'au "
                f"{format_paris(result.blocked_until)} (paiement en ligne n° {result.reference}). "
                f"Une fois le paiement accepté, il vous sera réservé {self.hours} heures."
            )
            await self._load(pos_number, vehicle_id)
            if result.pay_url:
                self.done_text += " Vous allez être redirigé vers la page de paiement sécurisé."
                # A full page load (/pay/<token> is a server route, not a page of the app), made
                # by a meta refresh: rx.call_script would need 'unsafe-eval' in the CSP.
                self.pay_url = result.pay_url
        self.submitting = False


def labelled(label: str, name: str, control: rx.Component) -> rx.Component:
    """The field `name` (its id too), labelled and with its announced error (components/forms.py)."""
    return labelled_field(label, name, control, PublicVehicleState.errors, name, width="100%")


def _text_field(name: str, **props) -> rx.Component:
    return rx.input(name=name, id=name, width="100%", **props, **described(PublicVehicleState.errors, name, name))


def reservation_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Réserver ce véhicule", size="4"),
            rx.text(
                "Le véhicule vous sera réservé pendant ",
                PublicVehicleState.hours,
                " heures contre un paiement en ligne de ",
                PublicVehicleState.amount,
                ". Sans paiement accepté dans les ",
                PublicVehicleState.hold_minutes,
                " minutes, il sera remis en vente.",
                size="2",
                id="reservation-terms",
            ),
            # A radio group is named by its fieldset's legend (a <label for> cannot name a group).
            rx.el.fieldset(
                rx.el.legend("Civilité *", style={**LABEL_STYLE, "padding": "0", "margin_bottom": "0.3em"}),
                rx.radio_group(["M.", "Mme."], name="civility", direction="row", id="civility"),
                error_region(PublicVehicleState.errors, "civility", "civility"),
                style={"border": "none", "padding": "0", "margin": "0", "width": "100%"},
            ),
            labelled("Nom *", "last_name", _text_field("last_name", auto_complete="family-name")),
            labelled("Prénom *", "first_name", _text_field("first_name", auto_complete="given-name")),
            labelled("Adresse e-mail *", "email", _text_field("email", type="email", auto_complete="email")),
            labelled("Téléphone *", "phone", _text_field("phone", type="tel", auto_complete="tel")),
            rx.cond(
                PublicVehicleState.message != "",
                rx.callout(
                    PublicVehicleState.message,
                    icon="triangle-alert",
                    color_scheme="red",
                    id="reservation-error",
                    width="100%",
                    role="alert",
                ),
            ),
            rx.hstack(
                rx.button(
                    "Réserver et payer ",
                    PublicVehicleState.amount,
                    type="submit",
                    id="reservation-submit",
                    loading=PublicVehicleState.submitting,
                ),
                rx.button(
                    "Annuler",
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=PublicVehicleState.close_form,
                ),
                spacing="3",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=PublicVehicleState.submit_reservation,
        id="reservation-form",
        width="100%",
    )


def reservation_block() -> rx.Component:
    return rx.vstack(
        rx.cond(
            PublicVehicleState.reserved_label != "",
            rx.badge(PublicVehicleState.reserved_label, color_scheme="orange", size="3", id="reserved-badge"),
        ),
        rx.cond(
            PublicVehicleState.done,
            rx.callout(
                PublicVehicleState.done_text,
                icon="circle-check",
                color_scheme="green",
                id="reservation-done",
                width="100%",
            ),
        ),
        # Only once hydrated: coming back to the page, the old state (with its pay_url) is sent
        # before load_vehicle clears it, and a meta refresh would fire at once.
        rx.cond(
            rx.State.is_hydrated & (PublicVehicleState.pay_url != ""),
            rx.fragment(
                rx.el.meta(http_equiv="refresh", content="0;url=" + PublicVehicleState.pay_url),
                rx.el.a("Continuer vers le paiement sécurisé", href=PublicVehicleState.pay_url, id="pay-link"),
            ),
        ),
        rx.cond(
            PublicVehicleState.can_reserve,
            rx.cond(
                PublicVehicleState.show_form,
                reservation_form(),
                rx.button("Réserver ce véhicule", size="3", id="reserve-button", on_click=PublicVehicleState.open_form),
            ),
            rx.cond(
                PublicVehicleState.unavailable != "",
                rx.text(PublicVehicleState.unavailable, color_scheme="gray", id="reservation-unavailable"),
            ),
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def public_vehicle_page() -> rx.Component:
    return rx.box(
        public_header(),
        rx.box(
            rx.cond(
                PublicVehicleState.found,
                rx.vstack(
                    rx.link(
                        "← ",
                        PublicVehicleState.pos_name,
                        href=routes.STOCK + "/" + PublicVehicleState.pos_number.to_string(),
                        id="back-to-stock",
                    ),
                    rx.card(
                        rx.flex(
                            rx.box(photo_placeholder("260px"), width=["100%", "100%", "45%"]),
                            rx.vstack(
                                rx.badge(PublicVehicleState.condition, variant="soft", id="vehicle-condition"),
                                rx.heading(PublicVehicleState.make, size="6", id="vehicle-make"),
                                rx.text(PublicVehicleState.model, size="4", id="vehicle-model"),
                                rx.text(PublicVehicleState.version, color_scheme="gray", id="vehicle-version"),
                                rx.foreach(PublicVehicleState.details, lambda d: rx.text(d, size="2")),
                                rx.text(PublicVehicleState.price, " TTC", weight="bold", size="5", id="vehicle-price"),
                                reservation_block(),
                                spacing="2",
                                align="start",
                                width="100%",
                            ),
                            gap="1.5em",
                            direction=rx.breakpoints(initial="column", md="row"),
                            width="100%",
                        ),
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.callout(
                    "Ce véhicule n'existe pas ou n'est plus en ligne.",
                    icon="triangle-alert",
                    color_scheme="red",
                    id="not-found",
                ),
            ),
            padding="1.5em 2em",
            max_width="1100px",
            margin="0 auto",
        ),
        background="#f3f5f9",
        min_height="100vh",
    )
