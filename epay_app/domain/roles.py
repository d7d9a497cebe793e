"""Group types and what each may follow (guide, section 3)."""

from __future__ import annotations

import enum

from .statuses import PaymentStatus


class GroupType(str, enum.Enum):
    ADMINISTRATEUR = "administrateur"
    DIRECTEUR = "directeur"
    CHEF_DES_VENTES = "chef des ventes"
    VENDEUR = "vendeur"
    SECRETAIRE = "secrétaire"

    @property
    def label(self) -> str:
        return self.value.upper()


G = GroupType
TILE_A_REMBOURSER = frozenset({G.SECRETAIRE, G.CHEF_DES_VENTES, G.DIRECTEUR})
TILE_EN_ATTENTE = frozenset({G.VENDEUR, G.CHEF_DES_VENTES, G.DIRECTEUR})

# Which statuses a tile stands for.
TILES: dict[PaymentStatus, frozenset[GroupType]] = {
    PaymentStatus.A_REMBOURSER: TILE_A_REMBOURSER,
    PaymentStatus.ENVOYE: TILE_EN_ATTENTE,
}

# Who may see the e-Paiements list at all (the administrator sees everything).
LIST_ROLES = frozenset(GroupType)
# Who may trigger a refund from a card.
REFUND_ROLES = frozenset({G.ADMINISTRATEUR, G.SECRETAIRE, G.CHEF_DES_VENTES, G.DIRECTEUR})
SETTINGS_ROLES = frozenset({G.ADMINISTRATEUR})


def tiles_for(group: GroupType) -> list[PaymentStatus]:
    return [status for status, roles in TILES.items() if group in roles]
