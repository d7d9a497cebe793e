"""The small shared state: who is logged in, and the server-side role guard.

Page states inherit from AppState, so every handler can reach the session token. The token
lives in an HttpOnly cookie (api/session.py): the server reads it from the websocket's handshake
headers; no page script can.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from http.cookies import CookieError, SimpleCookie

import reflex as rx

from . import routes
from .db import session_scope
from .domain.roles import GroupType
from .models import Entity, PointOfSale, User
from .services import auth

log = logging.getLogger(__name__)

ACCESS_DENIED = "Accès refusé : votre profil ne permet pas cette action."


def token_from_cookie_header(header: str) -> str:
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(header or "")
    except CookieError:
        return ""
    morsel = cookies.get(auth.SESSION_COOKIE)
    return morsel.value if morsel is not None else ""


def post_form_script(action: str, fields: dict[str, str]) -> str:
    """Browser script that posts a form (a top-level navigation, so a Set-Cookie is kept)."""
    return (
        "(() => { const f = document.createElement('form'); f.method = 'post'; "
        f"f.action = {json.dumps(action)}; "
        f"for (const [k, v] of Object.entries({json.dumps(fields)})) {{ "
        "const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; "
        "f.appendChild(i); } document.body.appendChild(f); f.submit(); })()"
    )


def navigate_script(path: str) -> str:
    """A full page load (not the front end's router), for API routes such as the logout one."""
    return f"window.location.replace({json.dumps(path)})"


class AppState(rx.State):
    user_name: str = ""
    user_role: str = ""
    user_initials: str = ""
    user_entity: str = ""
    user_pos: str = ""
    user_epay_option: bool = False

    @property
    def session_token(self) -> str:
        """The token of the HttpOnly cookie sent with this tab's websocket handshake."""
        return token_from_cookie_header(self.router.headers.cookie)

    def _current_user(self) -> User | None:
        """The user behind the session token, read from the database on every call."""
        with session_scope(write=False) as session:
            return auth.user_for_token(session, self.session_token)

    # A property, not a method: public methods of a state are events a client could send.
    current_user = property(lambda self: self._current_user)

    def _remember(self, user: User) -> None:
        with session_scope(write=False) as session:
            entity = session.get(Entity, user.entity_id)
            pos = session.get(PointOfSale, user.pos_id)
        self.user_name = user.display_name
        self.user_role = user.group_type
        self.user_initials = (user.first_name[:1] + user.last_name[:1]).upper()
        self.user_entity = entity.name if entity else ""
        self.user_pos = pos.name if pos else ""
        self.user_epay_option = bool(entity and entity.epay_option)

    def _forget(self) -> None:
        self.user_name = self.user_role = self.user_initials = ""
        self.user_entity = self.user_pos = ""
        self.user_epay_option = False

    @rx.var
    def user_role_label(self) -> str:
        return self.user_role.upper()

    @rx.var
    def is_admin(self) -> bool:
        return self.user_role == GroupType.ADMINISTRATEUR.value

    @rx.event
    def load_user(self):
        """on_load of every protected page: no valid session → the login page."""
        user = self.current_user()
        if user is None:
            self._forget()
            return rx.redirect(routes.LOGIN)
        self._remember(user)

    @rx.event
    def logout(self):
        if self.session_token:
            with session_scope() as session:
                auth.logout(session, self.session_token)
        self._forget()
        # A full page load: the route clears the cookie, and this tab's websocket (whose
        # handshake carried the revoked token) closes with the page.
        return rx.call_script(navigate_script(routes.SESSION_CLOSE))


def require_roles(*roles: GroupType):
    """Guard an event handler on the server: no session → login page; a group type
    not in `roles` (when given) → refused with a French message, handler not run."""
    allowed = {r.value for r in roles}

    def refuse(self, user, handler_name: str):
        if user is None:
            log.warning("refused %s for an anonymous socket", handler_name)
            self._forget()
            return rx.redirect(routes.LOGIN)
        log.warning("refused %s for %s (%s)", handler_name, user.email, user.group_type)
        return rx.toast.error(ACCESS_DENIED)

    def decorator(fn):
        # Each decorated handler keeps its own name (a shared `nonlocal` named the last one).
        handler_name = fn.__qualname__

        def check(self):
            user = self.current_user()
            if user is None or (allowed and user.group_type not in allowed):
                return False, refuse(self, user, handler_name)
            self._remember(user)
            return True, None

        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def wrapper(self, *args, **kwargs):
                ok, denial = check(self)
                if not ok:
                    yield denial
                    return
                async for item in fn(self, *args, **kwargs):
                    yield item
        elif inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def wrapper(self, *args, **kwargs):
                ok, denial = check(self)
                return denial if not ok else await fn(self, *args, **kwargs)
        elif inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def wrapper(self, *args, **kwargs):
                ok, denial = check(self)
                if not ok:
                    yield denial
                    return
                yield from fn(self, *args, **kwargs)
        else:

            @functools.wraps(fn)
            def wrapper(self, *args, **kwargs):
                ok, denial = check(self)
                return denial if not ok else fn(self, *args, **kwargs)

        wrapper.allowed_roles = frozenset(allowed)  # read by the role-matrix tests
        return wrapper

    return decorator
