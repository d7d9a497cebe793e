"""The page for an address that does not exist, in French: inside the shell (top bar and menu)
for a logged-in user, so nobody is stranded; a bare card for a visitor without a session."""

from __future__ import annotations

import asyncio

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..state import AppState


class NotFoundState(AppState):
    @rx.event
    async def load_not_found(self):
        """Fills the shell when the session is valid; never redirects (the page is public)."""
        user = await asyncio.to_thread(self._current_user)
        if user is None:
            self.user_name = ""
            return
        await asyncio.to_thread(self._remember, user)


def _message() -> rx.Component:
    return rx.vstack(
        rx.heading("Page introuvable", size="6", id="not-found", as_="h1"),
        rx.text("L'adresse demandée n'existe pas ou n'est plus disponible."),
        rx.link("Retour à l'accueil", href=routes.HOME, id="not-found-home"),
        align="center",
        spacing="3",
    )


def not_found_page() -> rx.Component:
    return rx.cond(
        AppState.user_name != "",
        shell(rx.center(_message(), height="60vh")),
        rx.center(_message(), height="80vh"),
    )
