"""Presenters of the e-Paiements list and the home tiles: the French words, badge colours and
links of what services.dashboards.tracking returns as facts (issue 13). Frozen dataclasses: Reflex sends
them to the browser as plain objects."""

from __future__ import annotations

from dataclasses import dataclass

from .. import routes
from ..domain.dates import format_paris
from ..domain.money import format_eur
from ..domain.references import PaymentKind
from ..domain.statuses import PaymentStatus
from ..domain.tracking import TILE_FILTER_KEYS, TILE_LABELS
from ..labels import CARD_BADGES, DATE_PREFIXES
from ..services.dashboards.tracking import CardFacts

BADGE_COLOURS = {
    PaymentStatus.ENVOYE: "orange",
    PaymentStatus.AUTORISE: "green",
    PaymentStatus.A_REMBOURSER: "red",
    PaymentStatus.REMBOURSE: "blue",
    PaymentStatus.ANNULE: "gray",
    PaymentStatus.REJETE: "tomato",
    PaymentStatus.ERREUR: "tomato",
}


@dataclass(frozen=True)
class PaymentCard:
    """A result card as the guide shows it (components/payment_card.py lays it out)."""

    id: str = ""
    kind: str = ""
    reference: str = ""
    document: str = ""
    href: str = ""
    status: str = ""
    badge: str = ""
    badge_colour: str = ""
    condition: str = ""
    vehicle: str = ""
    people: str = ""
    entity: str = ""
    pos: str = ""
    amount: str = ""
    date: str = ""
    action: str = ""  # services.dashboards.tracking.CardAction's value


def present_card(facts: CardFacts) -> PaymentCard:
    if facts.kind is PaymentKind.DEPOSIT:
        number = facts.order_number
        document = f"Sur la commande n°{number if number is not None else ''}"
        href = routes.order_url(number) if number is not None else ""
    else:
        number = facts.opportunity_number
        document = f"Sur l'opportunité n°{number}"
        href = routes.opportunity_url(number) if number is not None else ""
    used = facts.condition == "Occasion"
    return PaymentCard(
        id=str(facts.id),
        kind=facts.kind.label,
        reference=facts.reference,
        document=document,
        href=href,
        status=facts.status.value,
        badge=CARD_BADGES[facts.status],
        badge_colour=BADGE_COLOURS[facts.status],
        condition=facts.condition,
        vehicle=facts.plate if used and facts.plate else f"{facts.make} {facts.model}",
        people=f"{facts.seller} pour : {facts.customer}",
        entity=facts.entity,
        pos=facts.pos,
        amount=format_eur(facts.amount_cents),
        date=f"{DATE_PREFIXES[facts.status]} {format_paris(facts.status_changed_at)}",
        action=facts.action.value,
    )


@dataclass(frozen=True)
class Tile:
    """A home tile: its filter key, label, count and the list it opens."""

    key: str = ""
    label: str = ""
    count: str = ""
    href: str = ""


def present_tiles(counts: dict[PaymentStatus, int]) -> list[Tile]:
    return [
        Tile(
            key=TILE_FILTER_KEYS[status],
            label=TILE_LABELS[status],
            count=str(count),
            href=routes.epayments_url(TILE_FILTER_KEYS[status]),
        )
        for status, count in counts.items()
    ]
