"""A result card of the e-Paiements list, laid out as the guide's examples: what the payment is
on (left), the vehicle and the people (middle), the amount, the action and the date (right).

`card` is a Var of a pages.payment_cards.PaymentCard (display strings built by its presenter).
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def payment_card(card, on_open: Callable, on_resend: Callable, on_refund: Callable) -> rx.Component:
    action = rx.match(
        card["action"],
        (
            "resend",
            rx.button(
                "Renvoyer le lien",
                size="1",
                variant="soft",
                on_click=on_resend(card["id"]).stop_propagation,
                class_name="card-resend",
            ),
        ),
        (
            "refund",
            rx.button(
                "Rembourser",
                size="1",
                color_scheme="red",
                variant="soft",
                on_click=on_refund(card["id"]).stop_propagation,
                class_name="card-refund",
            ),
        ),
        rx.fragment(),
    )
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(card["kind"], weight="bold", class_name="card-kind"),
                rx.text(card["reference"], size="2", class_name="card-reference"),
                rx.text(card["document"], size="2", color_scheme="gray", class_name="card-document"),
                rx.badge(card["badge"], color_scheme=card["badge_colour"], class_name="card-badge"),
                spacing="1",
                min_width="260px",
            ),
            rx.vstack(
                rx.text(card["condition"], size="2", color_scheme="gray", class_name="card-condition"),
                rx.text(card["vehicle"], weight="bold", class_name="card-vehicle"),
                rx.text(card["people"], size="2", class_name="card-people"),
                rx.text(
                    "Entité : ",
                    card["entity"],
                    " Point de vente : ",
                    card["pos"],
                    size="1",
                    color_scheme="gray",
                    class_name="card-place",
                ),
                spacing="1",
                flex="1",
            ),
            rx.vstack(
                rx.text(card["amount"], weight="bold", size="4", class_name="card-amount"),
                action,
                rx.text(card["date"], size="1", color_scheme="gray", class_name="card-date"),
                spacing="2",
                align="end",
                min_width="220px",
            ),
            width="100%",
            align="start",
            spacing="5",
        ),
        on_click=on_open(card["href"]),
        cursor="pointer",
        width="100%",
        class_name="payment-card",
        data_id=card["id"],
        data_status=card["status"],
    )
