"""Pilotage (F-66): the managers' e-payment dashboard (directeur, chef des ventes).

Figures, tables by point of sale and by seller, weekly trend and status distribution come from
services.dashboards.pilotage, computed in a worker thread; every figure links to the e-Paiements list with
the same filters (statuses, period, point of sale or seller). The table exports as CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import reflex as rx
from babel.numbers import format_percent

from .. import routes
from ..components.shell import shell
from ..domain.dates import PARIS, utcnow
from ..domain.errors import DomainError
from ..domain.money import format_eur
from ..domain.tracking import FILTERS, Narrowing
from ..services.access.scope import viewer_for
from ..services.dashboards import export, pilotage
from ..state import AppState, require_roles
from .rows import FigureRow

DEFAULT_DAYS = 30
PRESETS = (7, 30, 90, 365)
STATUS_COLOURS = {
    "a_rembourser": "#e5484d",
    "en_attente": "#f76b15",
    "payes": "#30a46c",
    "rembourses": "#0090ff",
    "annules": "#8b8d98",
    "refuses": "#ad7f58",
}
FIGURE_LABELS = {
    "requested": "Demandés",
    "collected": "Encaissés",
    "to_refund": "À rembourser",
    "refunded": "Remboursés",
}
TABLE_HEADERS = (
    "Demandés",
    "Encaissés",
    "À rembourser",
    "Remboursés",
    "Conversion",
    "Délai médian de paiement",
)


# ---------------------------------------------------------------- presenters


def list_href(narrowing: Narrowing, keys: tuple[str, ...] | list[str]) -> str:
    params = {"statut": ",".join(keys), **narrowing.params(), "tri": "desc"}
    return f"{routes.EPAYMENTS}?{urlencode({k: v for k, v in params.items() if v})}"


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, locale="fr_FR").replace("\xa0", " ")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} j {hours} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def figure_cells(figures: pilotage.Figures, narrowing: Narrowing) -> dict[str, str]:
    """Display strings and list links of one row of figures."""
    cells: dict[str, str] = {}
    for name, keys in pilotage.FIGURE_FILTERS.items():
        count, cents = getattr(figures, name), getattr(figures, f"{name}_cents")
        cells[name] = format_eur(cents)
        cells[f"{name}_count"] = f"{count} e-Paiement" + ("s" if count > 1 else "")
        cells[f"{name}_href"] = list_href(narrowing, keys)
    cells["conversion"] = percent(figures.conversion)
    cells["conversion_href"] = list_href(narrowing, pilotage.FIGURE_FILTERS["collected"])
    cells["median"] = duration(figures.median_seconds)
    cells["median_href"] = cells["conversion_href"]
    return cells


def table_rows(rows: list[pilotage.Row], narrowing: Narrowing, key: str) -> list[FigureRow]:
    out = []
    for row in rows:
        narrowed = Narrowing(narrowing.day_from, narrowing.day_to, **{key: row.key})
        out.append(FigureRow(id=str(row.key), name=row.name, **figure_cells(row.figures, narrowed)))
    return out


@dataclass
class Dashboard:
    totals: dict[str, str]
    pos_rows: list[FigureRow]
    seller_rows: list[FigureRow]
    weeks: list[dict[str, Any]]
    statuses: list[dict[str, Any]]


def _dashboard(session, user, narrowing: Narrowing) -> Dashboard:
    if user is None:
        raise DomainError("Session expirée.")
    viewer = viewer_for(session, user)
    totals = pilotage.totals(session, viewer, narrowing)
    by_pos = pilotage.by_point_of_sale(session, viewer, narrowing)
    by_seller = pilotage.by_seller(session, viewer, narrowing)
    weeks = pilotage.weekly(session, viewer, narrowing)
    statuses = [
        {
            "key": f.key,
            "name": f.label.removeprefix("Les e-Paiements ").capitalize(),
            "value": totals.by_filter[f.key],
            "fill": STATUS_COLOURS[f.key],
            "href": list_href(narrowing, [f.key]),
        }
        for f in FILTERS
    ]
    return Dashboard(
        totals=figure_cells(totals, narrowing),
        pos_rows=table_rows(by_pos, narrowing, "pos_id"),
        seller_rows=table_rows(by_seller, narrowing, "seller_id"),
        weeks=[
            {
                "semaine": f"{w.monday:%d/%m}",
                "demande": w.requested_cents / 100,
                "encaisse": w.collected_cents / 100,
            }
            for w in weeks
        ],
        statuses=statuses,
    )


def table_csv(pos_rows: list[FigureRow], seller_rows: list[FigureRow], period: str) -> str:
    """The two tables as one CSV, like the list's export (`;`, BOM, cells neutralised)."""
    header = ["Regroupement", "Nom", *TABLE_HEADERS]
    lines = [[f"Période : {period}"], header]
    for label, rows in (("Point de vente", pos_rows), ("Vendeur", seller_rows)):
        for r in rows:
            lines.append(
                [
                    label,
                    r.name,
                    *[f"{getattr(r, n)} ({getattr(r, f'{n}_count')})" for n in pilotage.FIGURE_FILTERS],
                    r.conversion,
                    r.median,
                ]
            )
    return export.BOM + export.csv_text(lines)


def _today() -> date:
    return utcnow().astimezone(PARIS).date()


# ---------------------------------------------------------------- state


class PilotageState(AppState):
    day_from: str = ""
    day_to: str = ""
    refusal: str = ""
    loaded: bool = False
    totals: dict[str, str] = {}
    pos_rows: rx.Field[list[FigureRow]] = rx.field(default_factory=list)
    seller_rows: rx.Field[list[FigureRow]] = rx.field(default_factory=list)
    weeks: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []

    async def _refresh(self, params: dict) -> None:
        try:
            narrowing = Narrowing.parse(params)
        except DomainError as exc:
            board, message = None, str(exc)
        else:
            narrowing = Narrowing(narrowing.day_from, narrowing.day_to)  # the dashboard is never narrowed further
            outcome = await self._run(_dashboard, self.current_user(), narrowing, write=False)
            board, message = outcome.value, outcome.message
        if board is None:
            self.refusal, self.loaded = message, False
            self.totals, self.pos_rows, self.seller_rows, self.weeks, self.statuses = {}, [], [], [], []
            return
        self.refusal, self.loaded = "", True
        # A dashboard is only computed for a whole period (pilotage.check_viewer).
        assert narrowing.day_from is not None and narrowing.day_to is not None
        self.day_from, self.day_to = narrowing.day_from.isoformat(), narrowing.day_to.isoformat()
        self.totals, self.pos_rows, self.seller_rows = board.totals, board.pos_rows, board.seller_rows
        self.weeks, self.statuses = board.weeks, board.statuses

    @rx.event
    @require_roles(*pilotage.PILOT_ROLES)
    async def load_pilotage(self):
        """on_load: /pilotage?du=2026-11-01&au=2026-11-30 (the last 30 days without them)."""
        params = self.router.url.query_parameters
        today = _today()
        wanted = {
            "du": params.get("du") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            "au": params.get("au") or today.isoformat(),
        }
        await self._refresh(wanted)
        if self.refusal:
            return rx.toast.error(self.refusal)

    @rx.event
    @require_roles(*pilotage.PILOT_ROLES)
    async def submit_period(self, form: dict):
        form = form if isinstance(form, dict) else {}
        await self._refresh({"du": form.get("du", ""), "au": form.get("au", "")})
        if self.refusal:
            return rx.toast.error(self.refusal)

    @rx.event
    @require_roles(*pilotage.PILOT_ROLES)
    async def set_last_days(self, days: int):
        days = days if isinstance(days, int) and days in PRESETS else DEFAULT_DAYS
        today = _today()
        await self._refresh({"du": (today - timedelta(days=days - 1)).isoformat(), "au": today.isoformat()})

    @rx.event
    @require_roles(*pilotage.PILOT_ROLES)
    async def export_table(self):
        """ "Exporter (CSV)": the tables of the period on screen, recomputed for the user now."""
        await self._refresh({"du": self.day_from, "au": self.day_to})
        if self.refusal:
            return rx.toast.error(self.refusal)
        period = f"du {date.fromisoformat(self.day_from):%d/%m/%Y} au {date.fromisoformat(self.day_to):%d/%m/%Y}"
        data = table_csv(self.pos_rows, self.seller_rows, period)
        return rx.download(data=data, filename=f"pilotage-{self.day_from}-{self.day_to}.csv", mime_type="text/csv")


# ---------------------------------------------------------------- view

P = PilotageState


def figure_card(name: str) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.text(FIGURE_LABELS[name], size="2", color_scheme="gray"),
                rx.text(P.totals[name], size="6", weight="bold", id=f"figure-{name}"),
                rx.text(P.totals[f"{name}_count"], size="2", id=f"figure-{name}-count"),
                spacing="1",
            ),
            width="13em",
        ),
        href=P.totals[f"{name}_href"],
        underline="none",
        color="inherit",
        id=f"figure-{name}-link",
    )


def ratio_card(name: str, label: str) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.text(label, size="2", color_scheme="gray"),
                rx.text(P.totals[name], size="6", weight="bold", id=f"figure-{name}"),
                spacing="1",
            ),
            width="13em",
        ),
        href=P.totals[f"{name}_href"],
        underline="none",
        color="inherit",
        id=f"figure-{name}-link",
    )


def _figure_cell(row, name: str, prefix: str) -> rx.Component:
    return rx.table.cell(
        rx.link(row[name], href=row[f"{name}_href"], id=f"{prefix}-{name}-" + row["id"]),
        rx.text(row[f"{name}_count"], size="1", color_scheme="gray"),
    )


def _table(title: str, rows, prefix: str, first: str) -> rx.Component:
    def row_fn(row):
        return rx.table.row(
            rx.table.row_header_cell(row["name"]),
            *[_figure_cell(row, n, prefix) for n in pilotage.FIGURE_FILTERS],
            rx.table.cell(rx.link(row["conversion"], href=row["conversion_href"])),
            rx.table.cell(rx.link(row["median"], href=row["median_href"])),
        )

    return rx.vstack(
        rx.heading(title, size="4"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (first, *TABLE_HEADERS)])),
            rx.table.body(rx.foreach(rows, row_fn)),
            variant="surface",
            width="100%",
            id=f"{prefix}-table",
        ),
        width="100%",
        spacing="2",
    )


def _period_form() -> rx.Component:
    def date_field(label: str, name: str, value) -> rx.Component:
        return rx.hstack(
            rx.el.label(label, html_for=f"period-{name}", style={"fontSize": "14px"}),
            rx.input(type="date", name=name, id=f"period-{name}", default_value=value, key=value),
            align="center",
            spacing="2",
        )

    return rx.hstack(
        rx.form(
            rx.hstack(
                date_field("Du", "du", P.day_from),
                date_field("au", "au", P.day_to),
                rx.button("Afficher", type="submit", id="period-submit"),
                align="center",
                spacing="3",
            ),
            on_submit=P.submit_period,
        ),
        *[
            rx.button(
                f"{days} derniers jours" if days < 365 else "12 derniers mois",
                variant="soft",
                size="1",
                on_click=P.set_last_days(days),
                id=f"preset-{days}",
            )
            for days in PRESETS
        ],
        rx.spacer(),
        rx.button(
            rx.icon("download", size=16),
            "Exporter (CSV)",
            variant="outline",
            on_click=P.export_table,
            id="export-table",
        ),
        align="center",
        spacing="3",
        width="100%",
        wrap="wrap",
    )


def _charts() -> rx.Component:
    return rx.hstack(
        rx.card(
            rx.text("Tendance hebdomadaire (€, par semaine de création)", weight="bold", size="3"),
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
                rx.recharts.x_axis(data_key="semaine"),
                rx.recharts.y_axis(),
                rx.recharts.graphing_tooltip(),
                rx.recharts.legend(),
                rx.recharts.bar(data_key="demande", name="Demandé", fill="#8b8d98", is_animation_active=False),
                rx.recharts.bar(data_key="encaisse", name="Encaissé", fill="#30a46c", is_animation_active=False),
                data=P.weeks,
                width="100%",
                height=260,
            ),
            width="60%",
            id="weekly-chart",
        ),
        rx.card(
            rx.text("Répartition par statut", weight="bold", size="3"),
            rx.recharts.pie_chart(
                rx.recharts.pie(
                    data=P.statuses,
                    data_key="value",
                    name_key="name",
                    inner_radius="45%",
                    is_animation_active=False,
                ),
                rx.recharts.graphing_tooltip(),
                width="100%",
                height=200,
            ),
            rx.vstack(
                rx.foreach(
                    P.statuses,
                    lambda s: rx.hstack(
                        rx.box(width="10px", height="10px", background=s["fill"], border_radius="2px"),
                        rx.link(s["name"], href=s["href"], size="2", id="status-" + s["key"].to(str)),
                        rx.spacer(),
                        rx.text(s["value"].to(str), size="2", id="status-count-" + s["key"].to(str)),
                        align="center",
                        width="100%",
                    ),
                ),
                spacing="1",
                width="100%",
            ),
            width="40%",
            id="status-chart",
        ),
        width="100%",
        align="start",
        spacing="4",
    )


def pilotage_page() -> rx.Component:
    return shell(
        rx.heading("Pilotage des e-Paiements", size="6", margin_bottom="0.5em"),
        rx.cond(
            (AppState.user_role == "directeur") | (AppState.user_role == "chef des ventes"),
            rx.vstack(
                _period_form(),
                rx.cond(
                    P.refusal != "", rx.callout(P.refusal, icon="triangle_alert", color_scheme="red", id="refusal")
                ),
                rx.cond(
                    P.loaded,
                    rx.vstack(
                        rx.hstack(
                            *[figure_card(n) for n in pilotage.FIGURE_FILTERS],
                            ratio_card("conversion", "Conversion (envoyés → payés)"),
                            ratio_card("median", "Délai médian de paiement"),
                            wrap="wrap",
                            spacing="3",
                        ),
                        _charts(),
                        _table("Par point de vente", P.pos_rows, "pos", "Point de vente"),
                        _table("Par vendeur", P.seller_rows, "seller", "Vendeur"),
                        spacing="5",
                        width="100%",
                    ),
                ),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                AppState.user_role != "",
                rx.callout(pilotage.REFUSED, icon="shield_alert", color_scheme="red", id="pilotage-refused"),
                rx.center(rx.spinner(size="3"), padding="3em"),
            ),
        ),
        breadcrumb="PILOTAGE",
    )
