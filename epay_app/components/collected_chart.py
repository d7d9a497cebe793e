"""Home page chart (F-63): totals collected per week over the last 12 weeks, for the directeur,
the chef des ventes and the administrateur (services.dashboards.collected: one scoped GROUP BY)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ..domain.money import format_eur
from ..services.dashboards import collected, tracking
from ..state import AppState, require_roles


def _weekly_collected(session, user) -> list[collected.WeekTotal]:
    return collected.weekly_collected(session, tracking.viewer_for(session, user))


class CollectedState(AppState):
    weeks: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    total_label: str = ""

    @rx.event
    @require_roles()
    async def load_collected(self):
        """on_load of the home page: empty (no chart) for the other group types."""
        outcome = await self._run(_weekly_collected, self.current_user(), write=False)
        if not outcome.ok or outcome.value is None:
            return outcome.toast()
        totals = outcome.value
        self.weeks = collected.chart_rows(totals)
        self.total_label = format_eur(sum(t.cents for t in totals)) if totals else ""


def collected_chart() -> rx.Component:
    return rx.cond(
        CollectedState.weeks.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text("Montants encaissés par semaine (12 dernières semaines)", weight="bold", size="3"),
                    rx.spacer(),
                    rx.text("Total : ", CollectedState.total_label, size="2", id="collected-total"),
                    width="100%",
                    align="center",
                ),
                rx.recharts.bar_chart(
                    rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
                    rx.recharts.x_axis(data_key="semaine"),
                    rx.recharts.y_axis(),
                    rx.recharts.graphing_tooltip(),
                    rx.recharts.bar(
                        data_key="total", name="Encaissé (€)", fill=rx.color("accent", 9), is_animation_active=False
                    ),
                    data=CollectedState.weeks,
                    width="100%",
                    height=260,
                ),
                width="100%",
                spacing="2",
            ),
            width="100%",
            max_width="52em",
            id="collected-chart",
        ),
    )
