"""R4: every event handler of every page state is guarded on the server by require_roles,
except the few that are public by design (listed here, each with its reason)."""

import pytest

import epay_app.epay_app  # noqa: F401  (registers every page and state)
from epay_app.domain.roles import GroupType
from epay_app.state import AppState
from tests.support.pages import drive

PUBLIC = {
    ("AppState", "load_user"): "is itself the login check of every protected page",
    ("AppState", "logout"): "only ends the caller's own session",
    ("LoginState", "submit_login"): "the login form",
    ("LoginState", "load_login"): "the login page",
    ("NotFoundState", "load_not_found"): "the 404 page: only fills the shell with the caller's own session",
    # Background watchers only compare a version number, then reload through loaders that
    # re-read the user (require_roles would write state outside the background lock).
    ("EPaymentsState", "watch"): "live refresh; reloads via the guarded loader",
    ("HomeState", "watch"): "live refresh; reloads via the guarded tile loader",
    ("OrderState", "watch_order"): "live refresh; started by the guarded loader, reloads as the session's user",
}
# Visitors of the public stock pages (e-réservation) need no account.
PUBLIC_STATES = {"PublicStockState", "PublicVehicleState", "ReservationFormState"}


def _states(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _states(sub)


HANDLERS = sorted(
    (cls.__name__, name, handler)
    for cls in [AppState, *_states(AppState)]
    for name, handler in cls.event_handlers.items()
    if name != "setvar"  # Reflex's generic setter: handlers re-check whatever it could set
)


def test_every_handler_is_guarded_or_public_by_design():
    unguarded = [
        f"{state}.{name}"
        for state, name, handler in HANDLERS
        if not hasattr(handler.fn, "allowed_roles") and (state, name) not in PUBLIC and state not in PUBLIC_STATES
    ]
    assert unguarded == []


def test_no_public_method_leaks_as_an_event():
    # A helper that is a public method becomes an event a browser can send.
    assert "current_user" not in AppState.event_handlers


@pytest.mark.parametrize(
    "state,name,handler",
    [h for h in HANDLERS if hasattr(h[2].fn, "allowed_roles")],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_guarded_handlers_name_known_group_types(state, name, handler):
    assert handler.fn.allowed_roles <= {g.value for g in GroupType}


class _FakeUser:
    def __init__(self, group):
        self.group_type, self.email = group.value, f"{group.value}@test"


class _FakeState:
    """Just what require_roles touches: who is calling, and what it does on refusal/success."""

    def __init__(self, user):
        self._user, self.forgotten, self.remembered, self.calls = user, False, None, 0
        self.session_token = "t"

    def _current_user(self):
        return self._user

    current_user = property(lambda self: self._current_user)

    def _forget(self):
        self.forgotten = True

    async def _resolve_viewer(self):
        return self._user, None

    def _remember(self, user, _profile=None):
        self.remembered = user


@pytest.mark.parametrize("caller", [None, *GroupType], ids=lambda g: getattr(g, "value", "anonyme"))
@pytest.mark.parametrize(
    "allowed",
    [
        (GroupType.ADMINISTRATEUR,),
        (GroupType.SECRETAIRE, GroupType.CHEF_DES_VENTES, GroupType.DIRECTEUR),
        (GroupType.VENDEUR, GroupType.CHEF_DES_VENTES, GroupType.DIRECTEUR),
    ],
    ids=["admin", "tile-a-rembourser", "tile-en-attente"],
)
def test_require_roles_runs_the_handler_only_for_allowed_group_types(caller, allowed):
    from epay_app.state import require_roles

    @require_roles(*allowed)
    def handler(self, value):
        self.calls += 1
        return value

    state = _FakeState(_FakeUser(caller) if caller else None)
    result = drive(handler(state, "done"))
    if caller in allowed:
        assert (result, state.calls) == ("done", 1)
    else:
        assert state.calls == 0 and result != "done"
        assert state.forgotten == (caller is None)  # anonymous callers are sent to the login page
