"""The French words for stored codes, word for word from the guide: the one table every
presenter reads (pages, documents, e-mails, the CSV export). Services and the domain store and
compare codes; they never read this module."""

from __future__ import annotations

from .domain.orders import OrderStatus

ORDER_STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.PLACED: "Commandée",
    OrderStatus.CANCELLED: "Annulée",
}


def order_status_label(code: str) -> str:
    """The label of a stored order status; an unknown value is shown as it is."""
    try:
        return ORDER_STATUS_LABELS[OrderStatus(code)]
    except ValueError:
        return code
