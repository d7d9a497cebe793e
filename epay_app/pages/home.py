"""Home page (Accueil) with the e-payment tiles of the guide's section 3 (F-50).

Which tiles a user gets comes from domain.roles.TILES; the counts come from one scoped SQL
query (services.dashboards.tracking.tile_counts) and follow the payments live while the page is open.
"""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components.collected_chart import collected_chart
from ..components.shell import shell
from ..services.access import auth
from ..services.dashboards import tracking
from ..state import AppState, require_roles
from . import live
from .payment_cards import Tile, present_tiles


def _tile_counts(session, user, token: str):
    """The viewer's tile counts, or None once the session has ended. A live refresh has no
    viewer yet: it reads the session as it is now, in the worker thread."""
    user = user or auth.user_for_token(session, token)
    return None if user is None else tracking.tile_counts(session, tracking.viewer_for(session, user))


class HomeState(AppState):
    tiles: list[Tile] = []
    _watch_generation: int = 0

    async def _load_tiles(self) -> None:
        outcome = await self._run(_tile_counts, self._known_user(), self.session_token, write=False)
        counts = outcome.value
        self._set_changed(tiles=[] if counts is None else present_tiles(counts))

    @rx.event
    @require_roles()
    async def load_home(self):
        await self._load_tiles()
        if self.tiles:
            return HomeState.watch

    @rx.event(background=True)
    async def watch(self):
        # Not wrapped by require_roles (see EPaymentsState.watch): _load_tiles re-reads the user.
        await live.watch(self, "_watch_generation", routes.HOME, self._load_tiles)


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
