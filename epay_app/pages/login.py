"""Login page."""
from __future__ import annotations

import reflex as rx

from .. import routes
from ..db import session_scope
from ..services import auth
from ..state import AppState


class LoginState(AppState):
    error: str = ""

    @rx.event
    def submit_login(self, form: dict):
        try:
            with session_scope() as session:
                token = auth.login(session, form.get("email", ""), form.get("password", ""))
        except auth.LoginFailed as exc:
            self.error = str(exc)
            return
        self.error = ""
        self.session_token = token
        return rx.redirect(routes.HOME)

    @rx.event
    def load_login(self):
        self.error = ""
        if self.current_user() is not None:
            return rx.redirect(routes.HOME)


def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("OpenFlex", size="6"),
                    rx.text("Connectez-vous pour accéder à la plateforme.", color_scheme="gray"),
                    rx.text("Adresse e-mail", size="2", weight="medium"),
                    rx.input(name="email", id="email", type="email", placeholder="prenom.nom@exemple.fr",
                             width="100%"),
                    rx.text("Mot de passe", size="2", weight="medium"),
                    rx.input(name="password", id="password", type="password", width="100%"),
                    rx.cond(LoginState.error != "",
                            rx.callout(LoginState.error, icon="triangle-alert", color_scheme="red",
                                       id="login-error", width="100%")),
                    # Disabled until the page is connected to the server, so an early click is not lost.
                    rx.button("Se connecter", type="submit", width="100%", id="login-submit",
                              disabled=~LoginState.is_hydrated),
                    spacing="3", width="100%",
                ),
                on_submit=LoginState.submit_login,
            ),
            width="380px",
        ),
        height="100vh", background="#f3f5f9",
    )
