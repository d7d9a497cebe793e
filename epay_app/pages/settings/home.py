"""Paramètres: the guide's twelve categories; "Opportunités" leads to its settings."""

from __future__ import annotations

import reflex as rx

from ... import routes
from ...components.shell import shell
from ...state import AppState
from .access import admin_only, settings_screen

# (label, icon, route or "" when the category is managed outside this application)
CATEGORIES = [
    ("Groupe, entités et points de vente", "building_2", ""),
    ("Utilisateurs, groupes et gestion des droits", "users", ""),
    ("Thématisation", "palette", ""),
    ("Clients", "user_round", ""),
    ("Véhicules", "car", ""),
    ("Opportunités", "briefcase", routes.SETTINGS_OPPORTUNITIES),
    ("Politique des prix", "tag", ""),
    ("Financement", "landmark", ""),
    ("Offres promotionnelles", "gift", ""),
    ("Notifications internes", "bell", ""),
    ("Communication", "megaphone", ""),
    ("Gestion du RGPD", "shield_check", ""),
]


class SettingsHomeState(AppState):
    @rx.event
    @admin_only
    def load_settings_home(self):
        """Nothing to load: the guard itself is the point (refusal toast for non-administrators)."""


def category_card(label: str, icon: str, href: str) -> rx.Component:
    body = rx.vstack(
        rx.icon(icon, size=28, color="var(--accent-9)" if href else "var(--gray-9)"),
        rx.text(label, size="2", weight="medium", align="center"),
        align="center",
        spacing="2",
        padding="1.2em 0.8em",
    )
    if href:
        return rx.link(
            rx.card(body, width="100%", height="100%", class_name="settings-category"),
            href=href,
            underline="none",
            aria_label=label,
            color="inherit",
        )
    return rx.card(
        body,
        width="100%",
        height="100%",
        opacity="0.65",
        class_name="settings-category",
        title="Ces paramètres sont gérés en dehors du module e-paiement.",
    )


def settings_home_page() -> rx.Component:
    return shell(
        settings_screen(
            rx.box(
                rx.heading("Paramètres", size="6", margin_bottom="1em", id="settings-title"),
                rx.grid(
                    *[category_card(*c) for c in CATEGORIES],
                    columns="4",
                    spacing="4",
                    max_width="960px",
                    id="settings-categories",
                ),
            ),
        ),
        breadcrumb="PARAMÈTRES",
    )
