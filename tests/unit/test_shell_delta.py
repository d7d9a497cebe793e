"""Issue 15: each guarded event remembers the viewer (AppState._remember). Reflex sends every
assigned var to the browser, equal or not, and five pages' computed vars depend on the shell's:
remembering the same viewer again must send nothing."""

from __future__ import annotations

import asyncio

from reflex.state import State
from reflex_base.constants.state import FIELD_MARKER

import epay_app.epay_app  # noqa: F401  (registers every page and state)
from epay_app.domain.roles import GroupType
from epay_app.models import User
from epay_app.state import AppState, Profile


def test_remembering_the_same_viewer_again_sends_nothing_to_the_browser():
    root = State(_reflex_internal_init=True)
    shell = root.get_substate(AppState.get_full_name().split(".")[1:])
    user = User(
        email="directeur@openflex.demo",
        first_name="Diane",
        last_name="Roux",
        group_type=GroupType.DIRECTEUR.value,
        password_hash="x",
    )
    profile = Profile(entity="Openflex Lyon", pos="", epay_option=True)

    def delta_after_remembering(viewer: User) -> dict:
        shell._remember(viewer, profile)
        delta = asyncio.run(root._get_resolved_delta())
        root._clean()
        return delta

    first = delta_after_remembering(user)[shell.get_full_name()]
    assert first[f"user_initials{FIELD_MARKER}"] == "DR"
    assert first[f"user_entity{FIELD_MARKER}"] == "Openflex Lyon"
    assert delta_after_remembering(user) == {}
    user.first_name = "Bruno"
    changed = delta_after_remembering(user)[shell.get_full_name()]
    assert changed[f"user_initials{FIELD_MARKER}"] == "BR"
    assert f"user_entity{FIELD_MARKER}" not in changed
