"""What the e-Paiements list shows to whom (guide, section 3 "Suivi des e-paiements").

Pure rules: which filters exist, which statuses each group type may follow, and which
column scopes "the e-payments the user follows".
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .dates import PARIS
from .errors import DomainError
from .inputs import ascii_int
from .roles import TILES, GroupType
from .statuses import PaymentStatus

S = PaymentStatus


@dataclass(frozen=True)
class StatusFilter:
    key: str  # URL value: /e-paiements?statut=a_rembourser
    label: str  # the guide's menu entry, word for word
    statuses: tuple[PaymentStatus, ...]


# The "Afficher:" menu, in the guide's order. An "Erreur" is a failed attempt, like a refusal:
# it is listed under "refusés" (its card badge still reads "Erreur").
FILTERS: tuple[StatusFilter, ...] = (
    StatusFilter("a_rembourser", "Les e-Paiements à rembourser", (S.A_REMBOURSER,)),
    StatusFilter("en_attente", "Les e-Paiements en attente", (S.ENVOYE,)),
    StatusFilter("payes", "Les e-Paiements payés", (S.AUTORISE,)),
    StatusFilter("rembourses", "Les e-Paiements remboursés", (S.REMBOURSE,)),
    StatusFilter("annules", "Les e-Paiements annulés", (S.ANNULE,)),
    StatusFilter("refuses", "Les e-Paiements refusés", (S.REJETE, S.ERREUR)),
)
FILTERS_BY_KEY = {f.key: f for f in FILTERS}
ALL_LABEL = "Tous les e-Paiements"

# The tiles, with the filter each one opens.
TILE_LABELS: dict[PaymentStatus, str] = {
    S.A_REMBOURSER: "e-Paiements à rembourser",
    S.ENVOYE: "e-Paiements en attente",
}
TILE_FILTER_KEYS: dict[PaymentStatus, str] = {S.A_REMBOURSER: "a_rembourser", S.ENVOYE: "en_attente"}


class SortOrder(str, enum.Enum):
    OLDEST_FIRST = "asc"
    NEWEST_FIRST = "desc"

    @property
    def label(self) -> str:
        return SORT_LABELS[self]


SORT_LABELS = {
    SortOrder.OLDEST_FIRST: "Du plus ancien au plus récent",
    SortOrder.NEWEST_FIRST: "Du plus récent au plus ancien",
}


class Scope(str, enum.Enum):
    """Which column ties a payment to the user: their own sales, their point of sale, their entity."""

    SELLER = "seller_id"
    POINT_OF_SALE = "pos_id"
    ENTITY = "entity_id"


SCOPES: dict[GroupType, Scope] = {
    GroupType.VENDEUR: Scope.SELLER,
    GroupType.CHEF_DES_VENTES: Scope.POINT_OF_SALE,
    GroupType.SECRETAIRE: Scope.POINT_OF_SALE,
    GroupType.DIRECTEUR: Scope.ENTITY,
    GroupType.ADMINISTRATEUR: Scope.ENTITY,
}


class TrackingRefused(DomainError):
    """The user asked for e-payments their group type may not follow."""


def may_follow(group: GroupType, status: PaymentStatus) -> bool:
    """A status that has a tile is followed only by the group types that have that tile
    (a seller does not handle refunds, a secretary does not chase pending links);
    the administrator follows everything in their entity."""
    if group is GroupType.ADMINISTRATEUR:
        return True
    roles = TILES.get(status)
    return roles is None or group in roles


def followed_statuses(group: GroupType) -> tuple[PaymentStatus, ...]:
    return tuple(s for s in PaymentStatus if may_follow(group, s))


def filters_for(group: GroupType) -> tuple[StatusFilter, ...]:
    return tuple(f for f in FILTERS if all(may_follow(group, s) for s in f.statuses))


def parse_filter_keys(raw: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """'a_rembourser,payes' → known keys in menu order; unknown words are an error."""
    if raw is None:
        return []
    words = raw.split(",") if isinstance(raw, str) else list(raw) if isinstance(raw, (list, tuple)) else [""]
    keys = {w.strip() if isinstance(w, str) else "?" for w in words if w and (not isinstance(w, str) or w.strip())}
    unknown = keys - FILTERS_BY_KEY.keys()
    if unknown:
        shown = sorted(w[:30] for w in unknown if isinstance(w, str) and w[:30].isprintable())[:3]
        raise TrackingRefused("Filtre inconnu" + (f" : {', '.join(shown)}" if shown else "."))
    return [f.key for f in FILTERS if f.key in keys]


def statuses_for(group: GroupType, filter_keys: list[str]) -> tuple[PaymentStatus, ...]:
    """The statuses to list. No filter means "Tous les e-Paiements" the user follows; a filter
    on a status the group may not follow is refused (not silently dropped)."""
    if not filter_keys:
        return followed_statuses(group)
    wanted: list[PaymentStatus] = []
    for key in filter_keys:
        flt = FILTERS_BY_KEY[key]
        for status in flt.statuses:
            if not may_follow(group, status):
                raise TrackingRefused(f"Accès refusé : votre profil ({group.value}) ne suit pas « {flt.label} ».")
            if status not in wanted:
                wanted.append(status)
    return tuple(wanted)


def filter_count_label(count: int) -> str:
    if count == 0:
        return "Filtres"
    return f"{count} Filtre" if count == 1 else f"{count} Filtres"


# ---------------------------------------------------------------- Pilotage's links into the list

MAX_PERIOD_DAYS = 731
BAD_PERIOD = "Période invalide : dates attendues au format AAAA-MM-JJ, « du » avant « au », deux ans au plus."


@dataclass(frozen=True)
class Narrowing:
    """What a Pilotage figure adds to the list (F-66): the e-payments created in a period (Paris
    days, both included), of one point of sale or one seller. URL: du, au, pdv, vendeur."""

    day_from: date | None = None
    day_to: date | None = None
    pos_id: int | None = None
    seller_id: int | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.day_from, self.day_to, self.pos_id, self.seller_id))

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """UTC instants: the first day's 00:00 in Paris, the day after the last one's 00:00."""

        def start(day: date) -> datetime:
            return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)

        return (
            start(self.day_from) if self.day_from else None,
            start(self.day_to + timedelta(days=1)) if self.day_to else None,
        )

    def params(self) -> dict[str, str]:
        values = {
            "du": self.day_from.isoformat() if self.day_from else "",
            "au": self.day_to.isoformat() if self.day_to else "",
            "pdv": str(self.pos_id) if self.pos_id else "",
            "vendeur": str(self.seller_id) if self.seller_id else "",
        }
        return {k: v for k, v in values.items() if v}

    def period_label(self) -> str:
        if self.day_from and self.day_to:
            return f"créés du {self.day_from:%d/%m/%Y} au {self.day_to:%d/%m/%Y}"
        if self.day_from:
            return f"créés depuis le {self.day_from:%d/%m/%Y}"
        if self.day_to:
            return f"créés jusqu'au {self.day_to:%d/%m/%Y}"
        return ""

    @classmethod
    def parse(cls, params: Mapping[str, object]) -> Narrowing:
        """From URL parameters; a malformed value is refused in French (never ignored)."""

        def day(key: str) -> date | None:
            raw = params.get(key) or ""
            if not raw:
                return None
            if not isinstance(raw, str) or len(raw) != 10 or not raw.isascii():
                raise TrackingRefused(BAD_PERIOD)
            try:
                return date.fromisoformat(raw)
            except ValueError as exc:
                raise TrackingRefused(BAD_PERIOD) from exc

        def number(key: str, label: str) -> int | None:
            raw = params.get(key) or ""
            if not raw:
                return None
            value = ascii_int(raw)
            if not value:
                raise TrackingRefused(f"{label} invalide.")
            return value

        narrowing = cls(day("du"), day("au"), number("pdv", "Point de vente"), number("vendeur", "Vendeur"))
        if narrowing.day_from and narrowing.day_to:
            span = (narrowing.day_to - narrowing.day_from).days
            if span < 0 or span > MAX_PERIOD_DAYS:
                raise TrackingRefused(BAD_PERIOD)
        return narrowing

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> Narrowing | None:
        """The list's narrowing from its URL, as `parse` reads it; None when the URL has none
        of Pilotage's parameters, so that the list reads with its shared statement."""
        narrowing = cls.parse(params)
        return narrowing if narrowing.active else None
