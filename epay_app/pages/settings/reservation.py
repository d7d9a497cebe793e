""" "Paramétrer la e-réservation": group-wide settings (F-14)."""

from __future__ import annotations

import reflex as rx

from ...domain.errors import ValidationError
from ...domain.money import format_eur
from ...services.admin import settings as group_settings
from ...state import AppState
from .access import admin_context, admin_only, field_error

RESERVATION_HELP = (
    "La e-réservation permet aux internautes de bloquer pour une durée limitée un véhicule publié "
    "de votre stock au sein d'une offre. Les paramètres qui suivent s'appliquent à l'ensemble de "
    "votre groupe."
)


def _amount_input_text(cents: int) -> str:
    return format_eur(cents).replace(" €", "")


def _reservation_settings(session, group_id: int, entity_id: int):
    """The group's reservation settings, and whether this entity may edit them."""
    return group_settings.get_reservation(session, group_id), group_settings.can_edit_reservation(session, entity_id)


class ReservationState(AppState):
    can_edit: bool = False  # the administrator's entity has the e-paiement option
    enabled: bool = False
    hours: rx.Field[int] = rx.field(0)
    amount_label: str = ""
    amount_input: str = ""  # the amount as the edit form shows it first ("200,00")
    editing: bool = False
    form_enabled: bool = False
    error_hours: str = ""
    error_amount: str = ""
    error_form: str = ""

    @rx.var
    def hours_label(self) -> str:
        return f"{self.hours} heure" if self.hours == 1 else f"{self.hours} heures"

    def _show(self, values: group_settings.ReservationSettings) -> None:
        self.enabled = values.enabled
        self.hours = values.hours
        self.amount_label = format_eur(values.amount_cents)
        self.amount_input = _amount_input_text(values.amount_cents)

    def _clear_errors(self) -> None:
        self.error_hours = self.error_amount = self.error_form = ""

    @rx.event
    @admin_only
    async def load_reservation(self):
        _, entity = await admin_context(self)
        outcome = await self._run(_reservation_settings, entity.group_id, entity.id, write=False)
        if not outcome.ok or outcome.value is None:
            return outcome.toast()
        values, self.can_edit = outcome.value
        self._show(values)
        self.editing = False
        self._clear_errors()

    @rx.event
    @admin_only
    def edit_reservation(self):
        self._clear_errors()
        if not self.can_edit:
            self.error_form = group_settings.MSG_RESERVATION_NO_OPTION
            return
        self.form_enabled = self.enabled
        self.editing = True

    @rx.event
    @admin_only
    def cancel_reservation(self):
        self._clear_errors()
        self.editing = False

    @rx.event
    @admin_only
    def set_form_enabled(self, value: bool):
        self.form_enabled = bool(value)

    @rx.event
    @admin_only
    async def submit_reservation(self, form: dict):
        _, entity = await admin_context(self)
        self._clear_errors()
        outcome = await self._run(
            group_settings.update_reservation,
            entity.group_id,
            self.form_enabled,
            form.get("hours", ""),
            form.get("amount", ""),
            by_entity_id=entity.id,
        )
        if isinstance(outcome.exception, ValidationError):
            self.error_hours = outcome.errors.get(group_settings.F_HOURS, "")
            self.error_amount = outcome.errors.get(group_settings.F_AMOUNT, "")
            return
        if not outcome.ok or outcome.value is None:  # SettingsRefused among them
            self.error_form = outcome.message
            self.editing = False
            return
        self._show(outcome.value)
        self.editing = False
        return rx.toast.success("Paramètres de la e-réservation enregistrés.")


def _view() -> rx.Component:
    s = ReservationState
    return rx.vstack(
        rx.text(
            "La e-réservation est ",
            rx.text.strong(rx.cond(s.enabled, "activée", "désactivée")),
            ".",
            id="reservation-enabled-text",
        ),
        rx.text(
            "Durée de blocage d'un véhicule réservé : ", rx.text.strong(s.hours_label), ".", id="reservation-hours-text"
        ),
        rx.text("Montant de la e-réservation : ", rx.text.strong(s.amount_label), ".", id="reservation-amount-text"),
        spacing="2",
        align="start",
    )


def _form() -> rx.Component:
    s = ReservationState
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.switch(
                    checked=s.form_enabled,
                    on_change=ReservationState.set_form_enabled,
                    aria_label="Activer la e-réservation",
                ),
                rx.text("Activer la e-réservation", size="2"),
                align="center",
            ),
            rx.text("Durée de blocage d'un véhicule (heures) *", size="2", weight="medium"),
            rx.input(name="hours", id="reservation-hours", default_value=s.hours.to_string(), width="160px"),
            field_error(s.error_hours),
            rx.text("Montant de la e-réservation (€ TTC) *", size="2", weight="medium"),
            rx.input(name="amount", id="reservation-amount", default_value=s.amount_input, width="160px"),
            field_error(s.error_amount),
            field_error(s.error_form),
            rx.hstack(
                rx.button("Enregistrer", type="submit", id="reservation-save"),
                rx.button(
                    "Annuler",
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=ReservationState.cancel_reservation,
                ),
            ),
            spacing="2",
            align="start",
        ),
        on_submit=ReservationState.submit_reservation,
    )


def reservation_block() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.heading("Paramétrer la e-réservation", size="4"),
            rx.spacer(),
            rx.cond(
                ~ReservationState.editing & ReservationState.can_edit,
                rx.button(
                    "Modifier", variant="outline", on_click=ReservationState.edit_reservation, id="reservation-edit"
                ),
            ),
            align="center",
            width="100%",
            margin_bottom="0.6em",
        ),
        rx.text(RESERVATION_HELP, size="2", color_scheme="gray", margin_bottom="0.6em"),
        rx.cond(
            ReservationState.editing,
            _form(),
            rx.vstack(
                _view(),
                rx.cond(
                    ~ReservationState.can_edit,
                    rx.text(
                        group_settings.MSG_RESERVATION_NO_OPTION,
                        size="2",
                        color_scheme="gray",
                        id="reservation-no-option",
                    ),
                ),
                field_error(ReservationState.error_form),
                spacing="2",
            ),
        ),
        width="100%",
        id="reservation-block",
    )
