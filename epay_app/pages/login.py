"""Login page."""

from __future__ import annotations

import logging

import reflex as rx

from .. import routes
from ..services import auth
from ..state import AppState

log = logging.getLogger(__name__)

UNAVAILABLE = "La connexion est momentanément indisponible. Réessayez dans un instant."


class LoginState(AppState):
    error: str = ""

    @rx.event
    async def submit_login(self, form: dict):
        form = form if isinstance(form, dict) else {}
        address = self.router.session.client_ip or ""
        # scrypt and the database off the event loop, like every use case
        outcome = await self._run(auth.login, form.get("email", ""), form.get("password", ""), client_address=address)
        if not outcome.ok:
            self.error = outcome.message if isinstance(outcome.exception, auth.LoginFailed) else UNAVAILABLE
            return
        self.error = ""
        self.session_token = outcome.value or ""
        return rx.redirect(routes.HOME)

    @rx.event
    async def load_login(self):
        self.error = ""
        user, _profile = await self._resolve_viewer()
        if user is not None:
            return rx.redirect(routes.HOME)


def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("OpenFlex", size="6"),
                    rx.text("Connectez-vous pour accéder à la plateforme.", color_scheme="gray"),
                    rx.text("Adresse e-mail", size="2", weight="medium"),
                    rx.input(name="email", id="email", type="email", placeholder="prenom.nom@exemple.fr", width="100%"),
                    rx.text("Mot de passe", size="2", weight="medium"),
                    rx.input(name="password", id="password", type="password", width="100%"),
                    rx.cond(
                        LoginState.error != "",
                        rx.callout(
                            LoginState.error, icon="triangle-alert", color_scheme="red", id="login-error", width="100%"
                        ),
                    ),
                    # Disabled until the page is connected to the server, so an early click is not lost.
                    rx.button(
                        "Se connecter", type="submit", width="100%", id="login-submit", disabled=~LoginState.is_hydrated
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=LoginState.submit_login,
            ),
            width="380px",
        ),
        height="100vh",
        background="#f3f5f9",
    )
