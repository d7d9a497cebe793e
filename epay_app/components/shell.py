"""The application shell of the guide: top bar and the user's menu."""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..state import AppState

NAV_ITEMS = [
    ("Accueil", routes.HOME, "house"),
    ("Véhicules", "/vehicules", "car"),
    ("Opportunités", routes.OPPORTUNITIES, "briefcase"),
    ("Clients", routes.CLIENTS, "users"),
    ("Pilotage", routes.PILOTAGE, "chart-column"),
]


def nav_link(label: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label, size="2"), spacing="1", align="center"),
        href=href,
        color="white",
        underline="none",
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                AppState.user_initials,
                radius="full",
                variant="solid",
                color_scheme="orange",
                id="user-menu",
                # The accessible name starts with the visible initials (WCAG 2.5.3).
                aria_label=AppState.user_initials + " — Menu utilisateur",
            ),
        ),
        rx.menu.content(
            rx.box(
                rx.text(AppState.user_name, weight="bold", id="user-name"),
                rx.text(AppState.user_role_label, size="1", color_scheme="gray", id="user-role"),
                padding="8px",
            ),
            rx.menu.separator(),
            rx.cond(
                AppState.is_admin,
                rx.menu.item("Paramètres", on_select=rx.redirect(routes.SETTINGS)),
            ),
            rx.menu.item("Mon compte", on_select=rx.redirect(routes.ACCOUNT)),
            rx.menu.item("Se déconnecter", on_select=AppState.logout, color="red"),
        ),
    )


def shell(*children: rx.Component, breadcrumb: str = "") -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text("OpenFlex", weight="bold", color="white", size="4"),
            rx.hstack(*[nav_link(*item) for item in NAV_ITEMS], spacing="5", margin_left="2em"),
            rx.spacer(),
            rx.vstack(
                rx.text(AppState.user_entity, color="white", size="1"),
                rx.text(AppState.user_pos, color="white", size="1"),
                spacing="0",
                align="end",
            ),
            user_menu(),
            padding="0.6em 1.5em",
            background="#1f2a44",
            align="center",
            width="100%",
        ),
        rx.box(
            rx.cond(breadcrumb != "", rx.text(breadcrumb, size="1", color_scheme="gray", margin_bottom="0.5em")),
            *children,
            padding="1.5em 2em",
        ),
        width="100%",
    )
