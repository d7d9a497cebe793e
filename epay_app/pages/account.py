"""Mon compte: a staff member changes their password (the policy of services.access.auth); an
administrator lifts the login waits of an account of their entity (the throttle's reset)."""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..domain.errors import ValidationError
from ..domain.roles import GroupType
from ..services.access import auth
from ..state import AppState, navigate_script, require_roles

PASSWORD_CHANGED = "mot-de-passe-modifie"


def _change_password(session, token: str, form: dict) -> None:
    user = auth.user_for_token(session, token)
    if user is None:
        raise ValidationError({"current": "Votre session a expiré : reconnectez-vous."})
    auth.change_own_password(session, user, form.get("current"), form.get("new"), form.get("confirm"))


def _unlock(session, token: str, email: object) -> str:
    admin = auth.user_for_token(session, token)
    if admin is None or admin.group_type != GroupType.ADMINISTRATEUR.value:
        raise ValidationError({"email": auth.ACCOUNT_NOT_FOUND})
    auth.unlock_entity_account(session, admin, email)
    return auth.normalise_email(email)


class AccountState(AppState):
    current_error: str = ""
    new_error: str = ""
    confirm_error: str = ""
    unlock_error: str = ""
    unlock_done: str = ""

    def _clear(self) -> None:
        self.current_error = self.new_error = self.confirm_error = ""
        self.unlock_error = self.unlock_done = ""

    @rx.event
    @require_roles()
    async def load_account(self):
        self._clear()

    @rx.event
    @require_roles()
    async def submit_password(self, form: dict):
        form = form if isinstance(form, dict) else {}
        self._clear()
        outcome = await self._run(_change_password, self.session_token, form)  # scrypt off the event loop
        if not outcome.ok:
            errors = outcome.errors or {"current": outcome.message}
            self.current_error = errors.get("current", "")
            self.new_error = errors.get("new", "")
            self.confirm_error = errors.get("confirm", "")
            return
        # Every session of the account has ended: log in again with the new password.
        return rx.call_script(navigate_script(f"{routes.SESSION_CLOSE}?info={PASSWORD_CHANGED}"))

    @rx.event
    @require_roles(GroupType.ADMINISTRATEUR)
    async def submit_unlock(self, form: dict):
        form = form if isinstance(form, dict) else {}
        self._clear()
        outcome = await self._run(_unlock, self.session_token, form.get("email"))
        if not outcome.ok:
            self.unlock_error = (outcome.errors or {}).get("email", outcome.message)
            return
        email = outcome.value
        self.unlock_done = f"Connexions de {email} débloquées."


def _field(label: str, name: str, error: rx.Var[str] | str, autocomplete: str) -> rx.Component:
    field_id = f"account-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"fontSize": "14px", "fontWeight": 500}),
        rx.input(
            name=name,
            id=field_id,
            type="password",
            auto_complete=autocomplete,
            aria_describedby=f"{field_id}-error",
            width="100%",
        ),
        rx.text(error, color_scheme="red", size="2", id=f"{field_id}-error", role="alert"),
        spacing="1",
        width="100%",
    )


def account_page() -> rx.Component:
    return shell(
        rx.vstack(
            rx.heading("Mon compte", size="6"),
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.heading("Changer mon mot de passe", size="4"),
                        rx.text(
                            f"Au moins {auth.MIN_PASSWORD_LENGTH} caractères, trois types parmi minuscules, "
                            "majuscules, chiffres et symboles. Vos autres sessions seront fermées.",
                            size="2",
                            color_scheme="gray",
                        ),
                        _field("Mot de passe actuel", "current", AccountState.current_error, "current-password"),
                        _field("Nouveau mot de passe", "new", AccountState.new_error, "new-password"),
                        _field(
                            "Confirmer le nouveau mot de passe", "confirm", AccountState.confirm_error, "new-password"
                        ),
                        rx.button("Enregistrer", type="submit", id="account-password-submit"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=AccountState.submit_password,
                    reset_on_submit=True,
                ),
                width="480px",
            ),
            rx.cond(
                AppState.is_admin,
                rx.card(
                    rx.form(
                        rx.vstack(
                            rx.heading("Débloquer un compte", size="4"),
                            rx.text(
                                "Lève les délais d'attente imposés après des mots de passe erronés "
                                "(comptes de votre entité).",
                                size="2",
                                color_scheme="gray",
                            ),
                            rx.el.label("Adresse e-mail du compte", html_for="account-unlock-email"),
                            rx.input(
                                name="email",
                                id="account-unlock-email",
                                type="email",
                                aria_describedby="account-unlock-email-error",
                                width="100%",
                            ),
                            rx.text(
                                AccountState.unlock_error,
                                color_scheme="red",
                                size="2",
                                id="account-unlock-email-error",
                                role="alert",
                            ),
                            rx.text(AccountState.unlock_done, color_scheme="green", size="2", id="account-unlock-done"),
                            rx.button("Débloquer", type="submit", id="account-unlock-submit"),
                            spacing="3",
                            width="100%",
                        ),
                        on_submit=AccountState.submit_unlock,
                    ),
                    width="480px",
                ),
            ),
            spacing="4",
            padding="2em",
        ),
        breadcrumb="Mon compte",
    )
