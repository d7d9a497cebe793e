"""What every settings page shares: the administrator-only guard and the refusal screen (F-01).

The guard runs on the server in each handler; the screen below only decides what to draw. Data
reaches the browser only through guarded handlers, so a non-administrator never receives any.
"""

from __future__ import annotations

import reflex as rx

from ...domain.roles import GroupType
from ...models import Entity, User
from ...state import AppState, require_roles

admin_only = require_roles(GroupType.ADMINISTRATEUR)

SETTINGS_REFUSED = "Accès refusé : les paramètres sont réservés aux administrateurs de la plateforme."


async def admin_context(state: AppState) -> tuple[User, Entity]:
    """The administrator behind a handler already guarded by `admin_only`, with their entity."""
    user = state.current_user()
    if user is None:  # the session ended between the guard and here
        raise PermissionError(SETTINGS_REFUSED)
    outcome = await state._run(_entity_of, user, write=False)
    if outcome.value is None:
        raise PermissionError(SETTINGS_REFUSED)
    return user, outcome.value


def _entity_of(session, user: User) -> Entity | None:
    return session.get(Entity, user.entity_id)


def field_error(message) -> rx.Component:
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="1", class_name="field-error"))


def settings_screen(content: rx.Component) -> rx.Component:
    """`content` for an administrator; a clear refusal for anyone else; a spinner meanwhile."""
    return rx.cond(
        AppState.is_admin,
        content,
        rx.cond(
            AppState.user_role != "",
            rx.callout(
                SETTINGS_REFUSED, icon="shield_alert", color_scheme="red", id="settings-refused", max_width="640px"
            ),
            rx.center(rx.spinner(size="3"), padding="3em"),
        ),
    )
