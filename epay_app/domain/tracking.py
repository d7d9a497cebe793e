"""What the e-Paiements list shows to whom (guide, section 3 "Suivi des e-paiements").

Pure rules: which filters exist, which statuses each group type may follow, and which
column scopes "the e-payments the user follows".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import DomainError
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
