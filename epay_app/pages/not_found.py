"""The page for an address that does not exist, in French."""

import reflex as rx

from .. import routes


def not_found_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("Page introuvable", size="6", id="not-found"),
            rx.text("L'adresse demandée n'existe pas ou n'est plus disponible."),
            rx.link("Retour à l'accueil", href=routes.HOME),
            align="center",
            spacing="3",
        ),
        height="80vh",
    )
