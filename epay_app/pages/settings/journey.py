""" "Paramétrer mes opportunités": the guide's group-wide blocks of "Parcours de vente digitalisé"
(inactive opportunities, stock-entry delay, manufacturer service contracts) — F-15."""

from __future__ import annotations

import reflex as rx

from ...domain.errors import ValidationError
from ...services.admin import settings as group_settings
from ...state import AppState
from .access import admin_context, admin_only, field_error

STOCK_ENTRY_HELP = (
    "Le délai d'entrée en stock permet d'initialiser la date de rentrée prévisionnelle d'une "
    "estimation de reprise. Si aucun délai n'est paramétré, il sera défini à 30 jours pour les "
    "campagnes de reprise en ligne et devra être renseignée par les utilisateurs lors d'une "
    "reprise sur site."
)
CONTRACTS_WARNING = (
    "Attention, en activant ce paramètre vous engagez votre responsabilité quant à de possibles "
    "non-conformités entre les véhicules configurés auprès de votre constructeur et les offres et "
    "commandes éditées aux prospects/clients."
)


def _days(n: int) -> str:
    return f"{n} jour" if n == 1 else f"{n} jours"


class JourneyState(AppState):
    inactive_days: rx.Field[int] = rx.field(0)
    stock_delay_days: rx.Field[int] = rx.field(0)  # 0: not defined
    contracts_enabled: bool = False
    editing: bool = False
    form_contracts: bool = False
    error_inactive: str = ""
    error_stock: str = ""
    error_form: str = ""

    @rx.var
    def inactive_label(self) -> str:
        return _days(self.inactive_days)

    @rx.var
    def stock_delay_label(self) -> str:
        return _days(self.stock_delay_days)

    def _show(self, values: group_settings.DigitalJourneySettings) -> None:
        self.inactive_days = values.inactive_opportunity_days
        self.stock_delay_days = values.stock_entry_delay_days or 0
        self.contracts_enabled = values.manufacturer_contracts_enabled

    def _clear_errors(self) -> None:
        self.error_inactive = self.error_stock = self.error_form = ""

    @rx.event
    @admin_only
    async def load_journey(self):
        _, entity = await admin_context(self)
        outcome = await self._run(group_settings.get_digital_journey, entity.group_id, write=False)
        if not outcome.ok or outcome.value is None:
            return outcome.toast()
        self._show(outcome.value)
        self.editing = False
        self._clear_errors()

    @rx.event
    @admin_only
    def edit_journey(self):
        self.form_contracts = self.contracts_enabled
        self._clear_errors()
        self.editing = True

    @rx.event
    @admin_only
    def cancel_journey(self):
        self._clear_errors()
        self.editing = False

    @rx.event
    @admin_only
    def set_form_contracts(self, value: bool):
        self.form_contracts = bool(value)

    @rx.event
    @admin_only
    async def submit_journey(self, form: dict):
        _, entity = await admin_context(self)
        self._clear_errors()
        outcome = await self._run(
            group_settings.update_digital_journey,
            entity.group_id,
            form.get("inactive_days", ""),
            form.get("stock_delay_days", ""),
            self.form_contracts,
        )
        if isinstance(outcome.exception, ValidationError):
            self.error_inactive = outcome.errors.get(group_settings.F_INACTIVE, "")
            self.error_stock = outcome.errors.get(group_settings.F_STOCK, "")
            return
        if not outcome.ok or outcome.value is None:
            self.error_form = outcome.message
            return
        self._show(outcome.value)
        self.editing = False
        return rx.toast.success("Paramètres du parcours de vente digitalisé enregistrés.")


def _view() -> rx.Component:
    s = JourneyState
    return rx.vstack(
        rx.text(
            "Annulation de mes opportunités inactives au bout de ",
            rx.text.strong(s.inactive_label),
            ".",
            id="inactive-days-text",
        ),
        rx.heading("Délai d'entrée en stock", size="3", margin_top="0.8em"),
        rx.text(STOCK_ENTRY_HELP, size="2", color_scheme="gray"),
        rx.cond(
            s.stock_delay_days > 0,
            rx.text(
                "Le délai d'entrée en stock est de ", rx.text.strong(s.stock_delay_label), ".", id="stock-delay-text"
            ),
            rx.text(
                "Aucun délai d'entrée en stock n'est défini. Il sera par défaut de ",
                rx.text.strong("30 jours"),
                " pour les campagnes de reprise en ligne.",
                id="stock-delay-text",
            ),
        ),
        rx.heading("Contrat de services constructeur", size="3", margin_top="0.8em"),
        rx.callout(CONTRACTS_WARNING, icon="triangle_alert", color_scheme="orange", size="1"),
        rx.text(
            "La modification des contrats de services constructeur pour les VN issus de mon stock est ",
            rx.text.strong(rx.cond(s.contracts_enabled, "activée", "désactivée")),
            ".",
            id="contracts-text",
        ),
        spacing="2",
        align="start",
    )


def _form() -> rx.Component:
    s = JourneyState
    return rx.form(
        rx.vstack(
            rx.text("Annulation des opportunités inactives au bout de (jours) *", size="2", weight="medium"),
            rx.input(
                name="inactive_days", id="inactive-days", default_value=s.inactive_days.to_string(), width="160px"
            ),
            field_error(s.error_inactive),
            rx.heading("Délai d'entrée en stock", size="3", margin_top="0.6em"),
            rx.text(STOCK_ENTRY_HELP, size="2", color_scheme="gray"),
            rx.text("Délai d'entrée en stock (jours, vide : non défini)", size="2", weight="medium"),
            rx.input(
                name="stock_delay_days",
                id="stock-delay-days",
                default_value=rx.cond(s.stock_delay_days > 0, s.stock_delay_days.to_string(), ""),
                width="160px",
            ),
            field_error(s.error_stock),
            rx.heading("Contrat de services constructeur", size="3", margin_top="0.6em"),
            rx.callout(CONTRACTS_WARNING, icon="triangle_alert", color_scheme="orange", size="1"),
            rx.hstack(
                rx.switch(
                    checked=s.form_contracts,
                    on_change=JourneyState.set_form_contracts,
                    aria_label="Contrat de services constructeur",
                ),
                rx.text("Modification des contrats de services constructeur pour les VN issus de mon stock", size="2"),
                align="center",
            ),
            field_error(s.error_form),
            rx.hstack(
                rx.button("Enregistrer", type="submit", id="journey-save"),
                rx.button(
                    "Annuler", type="button", variant="soft", color_scheme="gray", on_click=JourneyState.cancel_journey
                ),
            ),
            spacing="2",
            align="start",
        ),
        on_submit=JourneyState.submit_journey,
    )


def journey_block() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.heading("Paramétrer mes opportunités", size="4"),
            rx.spacer(),
            rx.cond(
                ~JourneyState.editing,
                rx.button("Modifier", variant="outline", on_click=JourneyState.edit_journey, id="journey-edit"),
            ),
            align="center",
            width="100%",
            margin_bottom="0.6em",
        ),
        rx.cond(JourneyState.editing, _form(), _view()),
        width="100%",
        id="journey-block",
    )
