"""An order's life and a vehicle's stock status, as stored: codes, not words (the French labels
are the presenters', epay_app/labels.py)."""

from __future__ import annotations

import enum


class OrderStatus(str, enum.Enum):
    PLACED = "placed"  # validated (F-24)
    CANCELLED = "cancelled"  # "Annuler la commande" (F-26)


class StockStatus(str, enum.Enum):
    IN_STOCK = "in_stock"
    RESERVED = "reserved"  # blocked by an e-Réservation (F-40)
    SOLD = "sold"
