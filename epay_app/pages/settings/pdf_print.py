""" "IMPRESSION DES PDF": the administrator's entity's legal identity and general conditions of
sale, printed on the bon de commande, the deposit receipts and the refund notices."""

from __future__ import annotations

import reflex as rx

from ...domain.errors import ValidationError
from ...services.admin import legal_identity
from ...state import AppState
from .access import admin_context, admin_only, field_error

HELP = (
    "Ces informations figurent sur les documents remis au client (bon de commande, reçu d'acompte, avis de "
    "remboursement) de votre entité. Les conditions générales de vente sont imprimées sur une page à part "
    "du bon de commande."
)

# (field, label, placeholder)
INPUTS = [
    ("legal_address", "Adresse du siège social", "24 avenue de la Demi-Lune 95700 Roissy-en-France"),
    ("legal_phone", "Téléphone", "+33 1 23 45 67 89"),
    ("legal_email", "E-mail", "contact@exemple.fr"),
    ("siret", "SIRET", "812 345 678 00021"),
    ("rcs", "RCS", "RCS Pontoise 812 345 678"),
    ("vat_number", "TVA intracommunautaire", "FR40812345678"),
    ("share_capital", "Capital social (€)", "100 000,00"),
]


class LegalIdentityState(AppState):
    entity_name: str = ""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    form_key: int = 0  # bumped to re-mount the form on its saved values
    error_form: str = ""

    @rx.event
    @admin_only
    async def load_legal_identity(self):
        _, entity = await admin_context(self)
        self.entity_name = entity.name
        loaded = await self._run(legal_identity.get_legal_identity, entity.id, write=False)
        if not loaded.ok or loaded.value is None:
            return loaded.toast()
        identity = loaded.value
        self.values, self.errors, self.error_form = identity.as_form(), {}, ""
        self.form_key += 1

    @rx.event
    @admin_only
    async def submit_legal_identity(self, form: dict):
        # The entity is the administrator's own, never one named by the browser.
        _, entity = await admin_context(self)
        self.errors, self.error_form = {}, ""
        outcome = await self._run(
            legal_identity.update_legal_identity, entity.id, form if isinstance(form, dict) else {}
        )
        if isinstance(outcome.exception, ValidationError):
            self.errors = outcome.errors
            return rx.toast.error("Les informations n'ont pas été enregistrées : corrigez les champs signalés.")
        saved = outcome.value
        if not outcome.ok or saved is None:
            self.error_form = outcome.message
            return None
        self.values = saved.as_form()
        self.form_key += 1
        return rx.toast.success("Identité légale et conditions générales de vente enregistrées.")


def _input(name: str, label: str, placeholder: str) -> rx.Component:
    S = LegalIdentityState
    return rx.vstack(
        rx.el.label(label, html_for=f"legal-{name}", style={"fontSize": "var(--font-size-2)", "fontWeight": 500}),
        rx.input(name=name, id=f"legal-{name}", default_value=S.values[name], placeholder=placeholder, width="100%"),
        field_error(S.errors.get(name, "")),
        spacing="1",
        width="100%",
    )


def pdf_print_block() -> rx.Component:
    S = LegalIdentityState
    return rx.card(
        rx.heading("Identité légale et conditions générales de vente", size="4", margin_bottom="0.3em"),
        rx.text("Entité : ", rx.text.strong(S.entity_name), size="2", id="legal-entity"),
        rx.text(HELP, size="2", color_scheme="gray", margin_y="0.6em"),
        rx.form(
            rx.vstack(
                rx.grid(*[_input(*i) for i in INPUTS], columns="2", spacing="3", width="100%"),
                rx.el.label(
                    "Conditions générales de vente",
                    html_for="legal-conditions",
                    style={"fontSize": "var(--font-size-2)", "fontWeight": 500},
                ),
                rx.text_area(
                    name="conditions",
                    id="legal-conditions",
                    default_value=S.values["conditions"],
                    rows="12",
                    width="100%",
                ),
                field_error(S.errors.get("conditions", "")),
                field_error(S.error_form),
                rx.button("Enregistrer", type="submit", id="legal-save"),
                spacing="2",
                width="100%",
                align="start",
            ),
            key=S.form_key,
            on_submit=S.submit_legal_identity,
            width="100%",
        ),
        width="100%",
        max_width="1100px",
        id="legal-identity-block",
    )
