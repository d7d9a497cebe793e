"""The "e-Paiements" list (F-51..F-55): search, status filters, sort, keyset pages, card actions.

Only the visible cards (pages/payment_cards.PaymentCard) live in the state; the cursor of the
next page is a backend-only var. Every handler re-reads the user on the server and the service
scopes and checks every query (services.dashboards.tracking).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from urllib.parse import urlencode

import reflex as rx

from .. import routes
from ..components.payment_card import payment_card
from ..components.shell import shell
from ..domain.errors import DomainError
from ..domain.inputs import BadInput, clean_text, parse_id
from ..domain.roles import GroupType
from ..domain.tracking import (
    ALL_LABEL,
    FILTERS,
    FILTERS_BY_KEY,
    SORT_LABELS,
    Narrowing,
    SortOrder,
    filter_count_label,
    filters_for,
    parse_filter_keys,
)
from ..services.access import auth
from ..services.access.scope import Viewer, viewer_of
from ..services.dashboards import export, tracking
from ..services.payment import refunds
from ..state import AppState, Outcome, require_roles, run_use_case
from . import live
from .payment_cards import PaymentCard, present_card

SEARCH_PLACEHOLDER = "Client, n°opportunité/commande/transaction, immatriculation, châssis"
_LABEL_TO_SORT = {label: order.value for order, label in SORT_LABELS.items()}


PAYMENT_NOT_FOUND = "Ce paiement est introuvable."


@dataclass(frozen=True)
class ListQuery:
    """What `_load` reads; hashable, so that with the session token it keys live.shared_read."""

    filter_keys: tuple[str, ...]
    query: str
    order: SortOrder
    limit: int
    narrowing: Narrowing | None


class EPaymentsState(AppState):
    cards: rx.Field[list[PaymentCard]] = rx.field(default_factory=list)
    filter_keys: rx.Field[list[str]] = rx.field(default_factory=list)
    allowed_filter_keys: rx.Field[list[str]] = rx.field(default_factory=list)
    sort: str = SortOrder.OLDEST_FIRST.value
    query: str = ""
    has_more: bool = False
    refusal: str = ""
    search_hint: str = ""
    refund_id: str = ""
    refund_reference: str = ""
    # Pilotage's links (F-66): ?du=&au=&pdv=&vendeur= — kept as the URL gave them, re-parsed on use.
    narrowing_params: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    narrowing_label: str = ""
    _cursor: str = ""
    _watch_generation: int = 0

    @rx.var
    def filters_button_label(self) -> str:
        return filter_count_label(len(self.filter_keys))

    @rx.var
    def shown_label(self) -> str:
        labels = [FILTERS_BY_KEY[k].label for k in self.filter_keys if k in FILTERS_BY_KEY]
        return ", ".join(labels) if labels else ALL_LABEL

    @rx.var
    def sort_label(self) -> str:
        return SORT_LABELS[SortOrder(self.sort)]

    # ------------------------------------------------------------ loading

    def _list_query(self, keep_visible: bool = False) -> ListQuery:
        """What the list shows: the first page (or as many rows as are visible)."""
        limit = max(tracking.PAGE_SIZE, len(self.cards)) if keep_visible else tracking.PAGE_SIZE
        return ListQuery(
            filter_keys=tuple(self.filter_keys),
            query=self.query,
            order=SortOrder(self.sort),
            limit=limit,
            narrowing=Narrowing.from_params(self.narrowing_params),
        )

    def _shown_live(self) -> ShownList:
        return self.session_token, self._list_query(keep_visible=True)

    async def _load(self, keep_visible: bool = False) -> None:
        """Read the list again and show it. An action's reload reads on its own: it must see its
        own change (a live refresh shares its read, see `watch`)."""
        self._show(await _read_list(self.session_token, self._known_viewer(), self._list_query(keep_visible)))

    def _known_viewer(self) -> Viewer | None:
        """The viewer the guard resolved for this event, with the entity's option it read."""
        user = self._known_user()
        return None if user is None else viewer_of(user, epay_option=self.user_epay_option)

    def _show(self, read: ListRead) -> None:
        outcome, cards = read
        if not outcome.ok:
            self._set_changed(cards=[], has_more=False, _cursor="", refusal=outcome.message)
            return
        if outcome.value is None:  # the session has ended
            self._set_changed(cards=[])
            return
        page, narrowing_label = outcome.value
        self._set_changed(
            narrowing_label=narrowing_label,
            refusal="",
            cards=list(cards),
            _cursor=page.next_cursor,
            has_more=bool(page.next_cursor),
            search_hint=page.search_hint,
        )

    @rx.event
    @require_roles()
    async def load_epayments(self):
        """on_load: /e-paiements?statut=a_rembourser,payes&q=…&tri=desc (the tiles' links)."""
        params = self.router.url.query_parameters
        user = self.current_user()
        self.allowed_filter_keys = [f.key for f in filters_for(GroupType(user.group_type))]
        try:
            self.filter_keys = parse_filter_keys(params.get("statut"))
            self.narrowing_params = Narrowing.parse(params).params()
        except DomainError as exc:
            self.filter_keys, self.cards, self.narrowing_params, self.narrowing_label = [], [], {}, ""
            self.refusal = str(exc)
            return rx.toast.error(str(exc))
        try:
            self.query = clean_text(params.get("q", ""), "Recherche")
        except BadInput as exc:
            self.query, self.cards, self.refusal = "", [], str(exc)
            return rx.toast.error(str(exc))
        self.sort = params.get("tri", "") if params.get("tri", "") in ("asc", "desc") else SortOrder.OLDEST_FIRST.value
        self.cards = []
        await self._load()
        events = [EPaymentsState.watch]
        if self.refusal:
            events.append(rx.toast.error(self.refusal))
        return events

    @rx.event
    @require_roles()
    async def toggle_filter(self, key: str):
        if not isinstance(key, str):
            return rx.toast.error("Filtre inconnu.")
        keys = set(self.filter_keys)
        keys.symmetric_difference_update({key})
        self.filter_keys = [f.key for f in FILTERS if f.key in keys]
        await self._load()
        if self.refusal:
            return rx.toast.error(self.refusal)

    @rx.event
    @require_roles()
    async def reset_filters(self):
        self.filter_keys = []
        await self._load()

    @rx.event
    @require_roles()
    async def clear_narrowing(self):
        self.narrowing_params, self.narrowing_label = {}, ""
        await self._load()

    @rx.event
    @require_roles()
    async def set_sort_label(self, label: str):
        self.sort = _LABEL_TO_SORT.get(label if isinstance(label, str) else "", SortOrder.OLDEST_FIRST.value)
        await self._load()

    @rx.event
    @require_roles()
    async def search(self, value: str):
        try:
            self.query = clean_text(value, "Recherche")
        except BadInput as exc:
            return rx.toast.error(str(exc))
        await self._load()

    @rx.event
    @require_roles()
    async def load_more(self):
        """ "Voir plus": the next page after the last visible card (keyset)."""
        if not self._cursor:
            return
        outcome = await self._run(
            _list_page,
            self._known_viewer(),
            self.session_token,
            filter_keys=self.filter_keys,
            query=self.query,
            order=SortOrder(self.sort),
            after=self._cursor,
            narrowing=Narrowing.from_params(self.narrowing_params),
            write=False,
        )
        if not outcome.ok:
            return outcome.toast()
        if outcome.value is None:
            return
        page, _label = outcome.value
        self.cards = self.cards + [present_card(c) for c in page.cards]
        self._cursor = page.next_cursor
        self.has_more = bool(page.next_cursor)

    @rx.event
    @require_roles()
    def open_card(self, href: str):
        # Only the app's own pages: never another site, nor a javascript: address.
        if isinstance(href, str) and href.startswith("/") and not href.startswith("//") and "\\" not in href:
            return rx.redirect(href)

    # ------------------------------------------------------------ actions

    @rx.event
    @require_roles()
    async def resend(self, payment_id: str):
        outcome = await self._run(_resend, self.current_user(), payment_id)
        if not outcome.ok:
            return outcome.toast()
        return rx.toast.success(outcome.value)

    @rx.event
    @require_roles()
    def ask_refund(self, payment_id: str):
        card = next((c for c in self.cards if c.id == payment_id), None)
        if card is None:
            return
        self.refund_id = payment_id
        self.refund_reference = card.reference

    @rx.event
    @require_roles()
    def cancel_refund(self):
        self.refund_id = self.refund_reference = ""

    @rx.event
    @require_roles()
    async def confirm_refund(self):
        """Three steps, so no transaction is open while the PSP answers: prepare (one unit of
        work: checks, "request sent" event), the PSP call (no session), record (one unit of work)."""
        payment_id, self.refund_id, self.refund_reference = self.refund_id, "", ""
        user = self.current_user()
        prepared = await self._run(_prepare_refund, user, payment_id)
        if not prepared.ok or prepared.value is None:
            return prepared.toast()
        plan = prepared.value
        if isinstance(plan, refunds.RefundPlan):
            answer = await refunds.ask_psp(plan)
            recorded = await self._run(tracking.record_refund, plan, answer)
            if not recorded.ok:
                return recorded.toast()
            message = recorded.value
        else:
            message = tracking.refund_message(plan)
        await self._load(keep_visible=True)
        return rx.toast.success(message)

    @rx.event
    @require_roles()
    def export_csv(self):
        """ "Exporter (CSV)": the current filters, search and sort, every page (services.dashboards.export)."""
        user = self.current_user()
        params = urlencode(
            {
                "ticket": export.make_ticket(user.id),
                "statut": ",".join(self.filter_keys),
                "q": self.query,
                "tri": self.sort,
                **self.narrowing_params,
            }
        )
        return rx.download(url=f"{export.PATH}?{params}", filename=export.filename())

    # ------------------------------------------------------------ live

    @rx.event(background=True)
    async def watch(self):
        # Not wrapped by require_roles (it cannot touch the state outside its lock): each refresh
        # reads the session's user again (_read_live, outside the state lock, so a click does not
        # wait behind it; shared by the tabs of the session showing the same list), and falls
        # back to _load under the lock when the filters changed meanwhile.
        prefetch = live.Prefetch(capture=self._shown_live, read=_read_live, show=self._show)
        await live.watch(
            self, "_watch_generation", routes.EPAYMENTS, lambda: self._load(keep_visible=True), prefetch=prefetch
        )


# ---------------------------------------------------------------- use cases, in the worker thread


ListRead = tuple[Outcome, list[PaymentCard]]
ShownList = tuple[str, ListQuery]  # the session's token and what its list shows


def _read_live(shown: ShownList) -> Awaitable[ListRead]:
    """A live refresh's read: the tabs of one session showing the same list, woken by the same
    change, read once (live.shared_read)."""
    return live.shared_read(shown, lambda: _read_list(shown[0], None, shown[1]))


async def _read_list(token: str, viewer: Viewer | None, q: ListQuery) -> ListRead:
    """The page of cards `q` asks for, presented (frozen cards: tabs sharing a read share them)."""
    outcome = await run_use_case(
        EPaymentsState.__name__,  # as AppState._run names it: this read also runs without a state
        _list_page,
        viewer,
        token,
        write=False,
        filter_keys=list(q.filter_keys),
        query=q.query,
        order=q.order,
        limit=q.limit,
        narrowing=q.narrowing,
    )
    cards = [present_card(c) for c in outcome.value[0].cards] if outcome.ok and outcome.value else []
    return outcome, cards


def _list_page(
    session, viewer: Viewer | None, token: str, narrowing: Narrowing | None = None, **query
) -> tuple[tracking.Page, str] | None:
    """A page of cards for the viewer, and the label of Pilotage's narrowing (a live refresh
    reads the session as it is now)."""
    if viewer is None:
        user = auth.user_for_token(session, token)
        if user is None:
            return None
        viewer = tracking.viewer_for(session, user)
    page = tracking.list_payments(session, viewer, narrowing=narrowing, **query)
    return page, (tracking.narrowing_label(session, viewer, narrowing) if narrowing is not None else "")


def _resend(session, user, payment_id: str) -> str:
    viewer = tracking.viewer_for(session, user)
    return tracking.resend_link(session, viewer, parse_id(payment_id, PAYMENT_NOT_FOUND))


def _prepare_refund(session, user, payment_id: str) -> refunds.RefundPlan | refunds.RefundResult:
    viewer = tracking.viewer_for(session, user)
    return tracking.prepare_refund(session, viewer, parse_id(payment_id, PAYMENT_NOT_FOUND))


# ---------------------------------------------------------------- view


def filter_menu() -> rx.Component:
    items = [
        rx.cond(
            EPaymentsState.allowed_filter_keys.contains(f.key),
            rx.checkbox(
                f.label,
                checked=EPaymentsState.filter_keys.contains(f.key),
                on_change=EPaymentsState.toggle_filter(f.key),
                id=f"filter-{f.key}",
            ),
        )
        for f in FILTERS
    ]
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.icon("sliders-horizontal", size=16),
                EPaymentsState.filters_button_label,
                variant="outline",
                id="filters-button",
            ),
        ),
        rx.popover.content(
            rx.vstack(
                rx.text("Afficher:", weight="bold", size="2"),
                rx.button(ALL_LABEL, variant="ghost", size="1", on_click=EPaymentsState.reset_filters, id="filter-all"),
                *items,
                rx.separator(),
                rx.text("Triés par:", weight="bold", size="2"),
                rx.radio_group(
                    list(SORT_LABELS.values()),
                    value=EPaymentsState.sort_label,
                    on_change=EPaymentsState.set_sort_label,
                    direction="column",
                    id="sort-group",
                    aria_label="Triés par",
                ),
                spacing="2",
            ),
            id="filters-menu",
        ),
    )


def refund_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Rembourser l'e-Paiement"),
            rx.alert_dialog.description(
                "Confirmez-vous le remboursement de l'e-Paiement n° ", EPaymentsState.refund_reference, " ?"
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Annuler",
                        variant="soft",
                        color_scheme="gray",
                        on_click=EPaymentsState.cancel_refund,
                        id="refund-cancel",
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "Rembourser", color_scheme="red", on_click=EPaymentsState.confirm_refund, id="refund-confirm"
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
        open=EPaymentsState.refund_id != "",
    )


def epayments_page() -> rx.Component:
    return shell(
        rx.heading("e-Paiements", size="6", margin_bottom="0.5em"),
        rx.cond(
            AppState.user_epay_option,
            rx.vstack(
                rx.hstack(
                    rx.input(
                        placeholder=SEARCH_PLACEHOLDER,
                        value=EPaymentsState.query,
                        on_change=EPaymentsState.search,
                        debounce_timeout=250,
                        width="40em",
                        id="search",
                        aria_label="Rechercher",
                    ),
                    filter_menu(),
                    rx.button(
                        rx.icon("download", size=16),
                        "Exporter (CSV)",
                        variant="outline",
                        on_click=EPaymentsState.export_csv,
                        id="export-csv",
                    ),
                    align="center",
                    spacing="3",
                ),
                rx.hstack(
                    rx.text("Filtres appliqués: ", EPaymentsState.shown_label, size="2", id="applied"),
                    rx.text("Triés par: ", EPaymentsState.sort_label, size="2", id="sorted-by"),
                    spacing="5",
                ),
                rx.cond(
                    EPaymentsState.narrowing_label != "",
                    rx.hstack(
                        rx.text("Depuis le pilotage : ", EPaymentsState.narrowing_label, size="2", id="narrowing"),
                        rx.button(
                            "Retirer",
                            variant="ghost",
                            size="1",
                            on_click=EPaymentsState.clear_narrowing,
                            id="clear-narrowing",
                        ),
                        align="center",
                    ),
                ),
                rx.cond(
                    EPaymentsState.search_hint != "",
                    rx.text(EPaymentsState.search_hint, size="1", color_scheme="gray", id="search-hint"),
                ),
                rx.cond(
                    EPaymentsState.refusal != "",
                    rx.callout(EPaymentsState.refusal, icon="triangle_alert", color_scheme="red", id="refusal"),
                ),
                rx.vstack(
                    rx.foreach(
                        EPaymentsState.cards,
                        lambda c: payment_card(
                            c, EPaymentsState.open_card, EPaymentsState.resend, EPaymentsState.ask_refund
                        ),
                    ),
                    width="100%",
                    spacing="3",
                    id="results",
                ),
                rx.cond(
                    (EPaymentsState.cards.length() == 0) & (EPaymentsState.refusal == ""),
                    rx.text("Aucun e-Paiement.", color_scheme="gray", id="no-results"),
                ),
                rx.cond(
                    EPaymentsState.has_more,
                    rx.button("Voir plus", variant="outline", on_click=EPaymentsState.load_more, id="more"),
                ),
                refund_dialog(),
                width="100%",
                spacing="3",
            ),
            rx.callout(tracking.NO_OPTION, icon="info", id="no-option"),
        ),
    )
