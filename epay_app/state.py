"""The small shared state: who is logged in, the server-side role guard, and the one way from a
page to a use case (`AppState._run`).

Page states inherit from AppState, so every handler can reach the session token. The token
lives in an HttpOnly cookie (api/session.py): the server reads it from the websocket's handshake
headers; no page script can. The event loop
only waits: the viewer is resolved in a worker thread once per event (by the guard), and every
use case runs in a worker thread under a unit of work that alone commits.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any, Generic, TypeVar

import reflex as rx

from . import routes
from .db import UnitOfWork, run_read
from .domain.errors import DomainError, ValidationError
from .domain.roles import GroupType
from .models import User
from .services.access import auth

log = logging.getLogger(__name__)

ACCESS_DENIED = "Accès refusé : votre profil ne permet pas cette action."
UNEXPECTED = "Une erreur inattendue est survenue. Réessayez dans un instant."
FIX_FIELDS = "Veuillez corriger les champs signalés."

T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    """What the shell shows of the viewer (read with the user, in the same worker thread)."""

    entity: str = ""
    pos: str = ""
    epay_option: bool = False


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a use case gave the page: its value, or a French message (and field errors) to show.
    `exception` is there for the few pages that react to one domain error in particular."""

    value: T | None = None
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    exception: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.exception is None

    def toast(self):
        return rx.toast.error(self.message)


# The viewer of the guarded event being handled: (state object, session token, user), set by the
# guard for the handler's duration only, so a later event never sees a session that has ended.
_event_viewer: contextvars.ContextVar[tuple[Any, str, User | None] | None] = contextvars.ContextVar(
    "epay_event_viewer", default=None
)


def _identify(token: str) -> tuple[User | None, Profile]:
    """The user behind a session token and what the shell shows of them: one query."""
    found = run_read(lambda session: auth.user_and_places_for_token(session, token))
    if found is None:
        return None, Profile()
    user, entity, pos = found
    return user, Profile(entity.name if entity else "", pos.name if pos else "", bool(entity and entity.epay_option))


async def run_use_case(
    page: str, use_case: Callable[..., T], *args: Any, write: bool = True, **kwargs: Any
) -> Outcome[T]:
    """`use_case(session, *args, **kwargs)` in a worker thread under one unit of work, which
    commits when it returns and rolls back when it raises. A domain error becomes a French
    message (and field errors) for the page; anything else is logged, and the page gets a
    generic French message, never a Python one. Public pages (no login) call it directly."""

    def work() -> T:
        if not write:  # a read whose connection died (a database restart) runs once more
            return run_read(lambda session: use_case(session, *args, **kwargs))
        with UnitOfWork(write=True) as session:
            return use_case(session, *args, **kwargs)

    try:
        return Outcome(value=await asyncio.to_thread(work))
    except ValidationError as exc:
        return Outcome(message=" ".join(exc.errors.values()) or FIX_FIELDS, errors=dict(exc.errors), exception=exc)
    except DomainError as exc:
        return Outcome(message=str(exc), exception=exc)
    except Exception as exc:  # logged here; the page shows a French message, never this one
        log.exception("%s: %s failed", page, getattr(use_case, "__qualname__", use_case))
        return Outcome(message=UNEXPECTED, exception=exc)


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
        """The viewer of this event (resolved once by the guard); outside a guarded event, read
        again — which only a worker thread may do."""
        known = _event_viewer.get()
        if known is not None and known[0] is self and known[1] == self.session_token:
            return known[2]
        return _identify(self.session_token)[0]

    def _known_user(self) -> User | None:
        """The viewer the guard resolved for this event, or None (a background task, an unguarded
        event): then the use case reads the session itself, in its worker thread. Never SQL."""
        known = _event_viewer.get()
        if known is not None and known[0] is self and known[1] == self.session_token:
            return known[2]
        return None

    # A property, not a method: public methods of a state are events a client could send.
    current_user = property(lambda self: self._current_user)

    async def _resolve_viewer(self) -> tuple[User | None, Profile]:
        """The viewer and their profile, read in a worker thread."""
        return await asyncio.to_thread(_identify, self.session_token)

    async def _run(self, use_case: Callable[..., T], *args: Any, write: bool = True, **kwargs: Any) -> Outcome[T]:
        """The one way from a page to a use case (see `run_use_case`)."""
        return await run_use_case(type(self).__name__, use_case, *args, write=write, **kwargs)

    def _set_changed(self, **values: Any) -> None:
        """Assign the vars whose value differs. Reflex sends each assigned var to the browser,
        equal or not: a live refresh that changes nothing visible must send nothing."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _remember(self, user: User, profile: Profile | None = None) -> None:
        profile = profile or Profile()
        # Each guarded event remembers the viewer again: only what changed goes to the browser.
        self._set_changed(
            user_name=user.display_name,
            user_role=user.group_type,
            user_initials=(user.first_name[:1] + user.last_name[:1]).upper(),
            user_entity=profile.entity,
            user_pos=profile.pos,
            user_epay_option=profile.epay_option,
        )

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
    async def load_user(self):
        """on_load of every protected page: no valid session → the login page."""
        user, profile = await self._resolve_viewer()
        if user is None:
            self._forget()
            return rx.redirect(routes.LOGIN)
        self._remember(user, profile)

    @rx.event
    async def logout(self):
        if self.session_token:
            outcome = await self._run(auth.logout, self.session_token)
            if not outcome.ok:
                return outcome.toast()
        self._forget()
        # A full page load: the route clears the cookie, and this tab's websocket (whose
        # handshake carried the revoked token) closes with the page.
        return rx.call_script(navigate_script(routes.SESSION_CLOSE))


def require_roles(*roles: GroupType):
    """Guard an event handler on the server: no session → login page; a group type
    not in `roles` (when given) → refused with a French message, handler not run.

    The guarded handler is always a coroutine (or an async generator): the viewer is read in a
    worker thread before the handler runs, and the handler finds it through `current_user()`."""
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

        async def check(self):
            """(refusal or None, context token to reset when the handler ends)."""
            user, profile = await self._resolve_viewer()
            if user is None or (allowed and user.group_type not in allowed):
                return refuse(self, user, handler_name), None
            self._remember(user, profile)
            return None, _event_viewer.set((self, self.session_token, user))

        def release(token) -> None:
            try:
                _event_viewer.reset(token)
            except ValueError:  # an async generator resumed in another context: it ends there anyway
                _event_viewer.set(None)

        if inspect.isasyncgenfunction(fn) or inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            async def wrapper(self, *args, **kwargs):
                denial, token = await check(self)
                if token is None:
                    yield denial
                    return
                try:
                    items = fn(self, *args, **kwargs)
                    if inspect.isasyncgen(items):
                        async for item in items:
                            yield item
                    else:
                        for item in items:
                            yield item
                finally:
                    release(token)
        else:

            @functools.wraps(fn)
            async def wrapper(self, *args, **kwargs):
                denial, token = await check(self)
                if token is None:
                    return denial
                try:
                    result = fn(self, *args, **kwargs)
                    return await result if inspect.isawaitable(result) else result
                finally:
                    release(token)

        wrapper.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]  # read by the role-matrix tests
        return wrapper

    return decorator
