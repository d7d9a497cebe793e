"""Who or what wrote an e-payment event (stored as a code), and what applying a PSP message did."""

from __future__ import annotations

import enum


class EventSource(str, enum.Enum):
    USER = "user"  # a staff member, named in the event's actor
    SYSTEM = "system"  # the app itself: a late payment on a cancelled order, a lapsed reservation
    DEMO = "demo"  # the demo data
    RESERVATION = "e_reservation"  # a visitor's e-Réservation
    PSP_NOTIFY = "psp:notify"  # Sips automatic response
    PSP_RETURN = "psp:return"  # the customer's return from the PSP (Sips or Direct)
    PSP_WEBHOOK = "psp:webhook"  # Worldline Direct webhook
    PSP_RECONCILIATION = "psp:reconciliation"  # status query of the reconciliation (F-61)
    PSP_OFFICE = "psp:office"  # a refund or cancellation asked of the PSP


PSP_SOURCES: frozenset[EventSource] = frozenset(s for s in EventSource if s.value.startswith("psp:"))


class CallbackOutcome(str, enum.Enum):
    """What applying one PSP message did."""

    APPLIED = "applied"  # the status changed
    DUPLICATE = "duplicate"  # this very message was applied before: nothing changes
    UNCHANGED = "unchanged"  # recorded, the status stays (pending, or already there)
    REFUSED = "refused"  # an illegal move for the current status: recorded, nothing changes
