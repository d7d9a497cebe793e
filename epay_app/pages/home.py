"""Home page (Accueil). The e-payment tiles are added by the tracking module."""
from __future__ import annotations

import reflex as rx

from ..components.shell import shell
from ..state import AppState


def home_page() -> rx.Component:
    return shell(
        rx.heading("Accueil", size="6", margin_bottom="1em"),
        rx.text("Bonjour ", AppState.user_name, id="welcome"),
    )
