"""PARAMÈTRES > OPPORTUNITÉS: tabs SYNTHÈSE | CAMPAGNES DE REPRISES | IMPRESSION DES PDF |
PARCOURS DE VENTE DIGITALISÉ (the guide's "AUTRES" menu, named after its chosen entry) (F-10)."""

from __future__ import annotations

import reflex as rx

from ... import routes
from ...components.shell import shell
from ...state import AppState
from .access import admin_only, settings_screen
from .epay import EpayConfigState, epay_block
from .journey import JourneyState, journey_block
from .pdf_print import LegalIdentityState, pdf_print_block
from .reservation import ReservationState, reservation_block

OUT_OF_SCOPE = "Ces paramètres sont gérés en dehors du module e-paiement."


class OpportunitySettingsState(AppState):
    @rx.event
    @admin_only
    def load_opportunity_settings(self):
        """One guarded entry point, so a refused user gets one refusal, not one per block;
        each block's loader is guarded again."""
        return [
            JourneyState.load_journey,
            EpayConfigState.load_configs,
            ReservationState.load_reservation,
            LegalIdentityState.load_legal_identity,
        ]


def _elsewhere(title: str) -> rx.Component:
    return rx.vstack(rx.heading(title, size="4"), rx.text(OUT_OF_SCOPE, color_scheme="gray"), padding_top="1em")


def digital_journey() -> rx.Component:
    return rx.vstack(
        rx.heading("Parcours de vente digitalisé", size="5", id="digital-journey-title", padding_top="0.6em"),
        journey_block(),
        epay_block(),
        reservation_block(),
        spacing="4",
        width="100%",
        max_width="1100px",
    )


def opportunity_settings_page() -> rx.Component:
    return shell(
        settings_screen(
            rx.box(
                rx.link("‹ Paramètres", href=routes.SETTINGS, size="2"),
                rx.heading("Opportunités", size="6", margin_y="0.4em"),
                rx.tabs.root(
                    rx.tabs.list(
                        rx.tabs.trigger("SYNTHÈSE", value="synthese"),
                        rx.tabs.trigger("CAMPAGNES DE REPRISES", value="campagnes"),
                        rx.tabs.trigger("IMPRESSION DES PDF", value="pdf", id="tab-pdf"),
                        # The guide names the tab after the chosen setting: "PARCOURS DE VENTE DIGITALISÉ ▼".
                        rx.tabs.trigger("PARCOURS DE VENTE DIGITALISÉ ▾", value="autres", id="tab-autres"),
                    ),
                    rx.tabs.content(_elsewhere("Synthèse"), value="synthese"),
                    rx.tabs.content(_elsewhere("Campagnes de reprises"), value="campagnes"),
                    rx.tabs.content(rx.box(pdf_print_block(), padding_top="1em"), value="pdf"),
                    rx.tabs.content(digital_journey(), value="autres"),
                    default_value="autres",
                ),
            ),
        ),
        breadcrumb="PARAMÈTRES > OPPORTUNITÉS",
    )
