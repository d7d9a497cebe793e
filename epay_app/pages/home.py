"""Home page (Accueil) with the e-payment tiles of the guide's section 3 (F-50).

Which tiles a user gets comes from domain.roles.TILES; the counts come from one scoped SQL
query (services.tracking.tile_counts) and follow the payments live while the page is open.
"""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components.collected_chart import collected_chart
from ..components.shell import shell
from ..db import session_scope
from ..domain.tracking import TILE_FILTER_KEYS, TILE_LABELS
from ..services import tracking
from ..state import AppState, require_roles
from . import live


class HomeState(AppState):
    tiles: list[dict[str, str]] = []
    _watch_generation: int = 0

    def _load_tiles(self) -> None:
        user = self.current_user()
        if user is None:
            self.tiles = []
            return
        with session_scope(write=False) as session:
            counts = tracking.tile_counts(session, tracking.viewer_for(session, user))
        self.tiles = [
            {
                "key": TILE_FILTER_KEYS[status],
                "label": TILE_LABELS[status],
                "count": str(count),
                "href": f"{routes.EPAYMENTS}?statut={TILE_FILTER_KEYS[status]}",
            }
            for status, count in counts.items()
        ]

    @rx.event
    @require_roles()
    def load_home(self):
        self._load_tiles()
        if self.tiles:
            return HomeState.watch

    @rx.event(background=True)
    async def watch(self):
        # Not wrapped by require_roles (see EPaymentsState.watch): _load_tiles re-reads the user.
        await live.watch(self, "_watch_generation", routes.HOME, lambda: self._load_tiles())


def tile(item) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.text(item["count"], size="8", weight="bold", class_name="tile-count"),
                rx.text(item["label"], size="3", class_name="tile-label"),
                spacing="1",
            ),
            width="16em",
        ),
        href=item["href"],
        underline="none",
        id="tile-" + item["key"],
        class_name="epay-tile",
    )


def home_page() -> rx.Component:
    return shell(
        rx.heading("Accueil", size="6", margin_bottom="1em"),
        rx.text("Bonjour ", AppState.user_name, id="welcome"),
        rx.cond(
            AppState.user_epay_option,
            rx.vstack(
                rx.hstack(rx.foreach(HomeState.tiles, tile), spacing="4", id="tiles"),
                rx.link("Voir tous les e-Paiements", href=routes.EPAYMENTS, size="2", id="all-epayments"),
                collected_chart(),
                spacing="3",
                margin_top="1.5em",
            ),
        ),
    )
