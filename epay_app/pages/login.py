"""Login page."""

from __future__ import annotations

import logging

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from .. import routes
from ..components.forms import field_label
from ..db import session_scope
from ..services import auth
from ..state import AppState, post_form_script

log = logging.getLogger(__name__)

UNAVAILABLE = "La connexion est momentanément indisponible. Réessayez dans un instant."


def _login(email: object, password: object, address: str) -> str:
    """Check the credentials; the answer is the one-time ticket for the session cookie."""
    with session_scope() as session:
        token = auth.login(session, email, password, client_address=address)
        return auth.issue_exchange_ticket(session, token)


NOTICES = {"mot-de-passe-modifie": "Mot de passe modifié : connectez-vous avec le nouveau."}


class LoginState(AppState):
    error: str = ""
    notice: str = ""

    @rx.event
    async def submit_login(self, form: dict):
        form = form if isinstance(form, dict) else {}
        address = self.router.session.client_ip or ""
        try:
            # scrypt and the database off the event loop
            ticket = await rx.run_in_thread(lambda: _login(form.get("email", ""), form.get("password", ""), address))
        except auth.LoginFailed as exc:
            self.error = str(exc)
            return
        except SQLAlchemyError:
            log.exception("login failed on the database")
            self.error = UNAVAILABLE
            return
        self.error = ""
        return rx.call_script(post_form_script(routes.SESSION_OPEN, {"ticket": ticket}))

    @rx.event
    def load_login(self):
        self.error = ""
        info = self.router.url.query_parameters.get("info", "")
        self.notice = NOTICES.get(info, "") if isinstance(info, str) else ""
        if self.current_user() is not None:
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
