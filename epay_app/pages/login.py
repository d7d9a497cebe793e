"""Login page."""

from __future__ import annotations

import logging

import reflex as rx

from .. import routes
from ..components.forms import field_label
from ..services.access import auth
from ..state import AppState, post_form_script

log = logging.getLogger(__name__)

UNAVAILABLE = "La connexion est momentanément indisponible. Réessayez dans un instant."


NOTICES = {"mot-de-passe-modifie": "Mot de passe modifié : connectez-vous avec le nouveau."}


class LoginState(AppState):
    error: str = ""
    notice: str = ""

    @rx.event
    async def submit_login(self, form: dict):
        form = form if isinstance(form, dict) else {}
        address = self.router.session.client_ip or ""
        # scrypt and the database off the event loop, like every use case
        outcome = await self._run(
            auth.login_for_cookie, form.get("email", ""), form.get("password", ""), client_address=address
        )
        if not outcome.ok:
            self.error = outcome.message if isinstance(outcome.exception, auth.LoginFailed) else UNAVAILABLE
            return
        self.error = ""
        return rx.call_script(post_form_script(routes.SESSION_OPEN, {"ticket": outcome.value or ""}))

    @rx.event
    async def load_login(self):
        self.error = ""
        info = self.router.url.query_parameters.get("info", "")
        self.notice = NOTICES.get(info, "") if isinstance(info, str) else ""
        user, _profile = await self._resolve_viewer()
        if user is not None:
            return rx.redirect(routes.HOME)


def login_page() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("OpenFlex", size="6", as_="h1"),
                    rx.text("Connectez-vous pour accéder à la plateforme.", color_scheme="gray"),
                    field_label("Adresse e-mail", "email"),
                    rx.input(
                        name="email",
                        id="email",
                        type="email",
                        placeholder="prenom.nom@exemple.fr",
                        width="100%",
                        auto_complete="username",
                        aria_describedby="login-errors",
                    ),
                    field_label("Mot de passe", "password"),
                    rx.input(
                        name="password",
                        id="password",
                        type="password",
                        width="100%",
                        auto_complete="current-password",
                        aria_describedby="login-errors",
                    ),
                    rx.cond(
                        LoginState.notice != "",
                        rx.callout(
                            LoginState.notice, icon="info", color_scheme="green", id="login-notice", width="100%"
                        ),
                    ),
                    # A live region present from the start: the refusal is read out when it appears.
                    rx.box(
                        rx.cond(
                            LoginState.error != "",
                            rx.callout(
                                LoginState.error,
                                icon="triangle-alert",
                                color_scheme="red",
                                id="login-error",
                                width="100%",
                            ),
                        ),
                        id="login-errors",
                        aria_live="assertive",
                        width="100%",
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
