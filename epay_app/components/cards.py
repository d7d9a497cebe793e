"""Cards shared by the offer and order pages: the vehicle card with its e-payment badge,
the Récapitulatif with the TTC/HT switch, and the e-payment status badge."""

from __future__ import annotations

import reflex as rx

# Badge colours per PaymentStatus value (the labels come from domain.statuses).
BADGE_COLOURS = [
    ("envoye", "orange"),
    ("autorise", "green"),
    ("annule", "gray"),
    ("rejete", "red"),
    ("a_rembourser", "purple"),
    ("rembourse", "blue"),
    ("erreur", "red"),
]


def status_badge(label, status, **props) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(status, *BADGE_COLOURS, "gray"),
        variant="soft",
        size="2",
        **props,
    )


def _fact(label: str, value, fact_id: str) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray"),
        rx.text(value, size="2", id=fact_id),
        spacing="1",
    )


def vehicle_card(vehicle, *, badge=None, badge_status=None, caption=None) -> rx.Component:
    """The guide's "Véhicule acheté" card; `vehicle` is a dict var from pages.sale_views.vehicle_fields."""
    return rx.card(
        rx.text("Véhicule acheté", weight="bold", size="3", margin_bottom="0.5em"),
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text(vehicle["make"], weight="bold", size="4", id="vehicle-make"),
                    rx.text(vehicle["model"], weight="bold", size="4", id="vehicle-model"),
                    spacing="2",
                ),
                rx.text(vehicle["version"], size="2", id="vehicle-version"),
                rx.badge(vehicle["condition"], variant="outline", id="vehicle-condition"),
                spacing="1",
                align="start",
            ),
            rx.spacer(),
            rx.vstack(
                rx.text(vehicle["price"], weight="bold", size="4", id="vehicle-price"),
                *([caption] if caption is not None else []),
                *(
                    [rx.cond(badge != "", status_badge(badge, badge_status, id="epay-badge"))]
                    if badge is not None
                    else []
                ),
                spacing="1",
                align="end",
            ),
            width="100%",
            gap="1em",
        ),
        rx.separator(margin_y="0.6em"),
        rx.flex(
            rx.text(vehicle["fuel"], size="2", id="vehicle-fuel"),
            rx.text(vehicle["power"], size="2", id="vehicle-power"),
            rx.text(vehicle["doors"], size="2", id="vehicle-doors"),
            rx.text(vehicle["colour"], size="2", id="vehicle-colour"),
            gap="1.2em",
            wrap="wrap",
        ),
        rx.flex(
            _fact("Immatriculation :", vehicle["plate"], "vehicle-plate"),
            _fact("MEC :", vehicle["first_registration"], "vehicle-mec"),
            _fact("Kilométrage :", vehicle["mileage"], "vehicle-mileage"),
            gap="1.2em",
            wrap="wrap",
            margin_top="0.4em",
        ),
        width="100%",
        id="vehicle-card",
    )


def _amount_line(label: str, recap, key: str, show_ht, *, link: bool = False) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2"),
        rx.spacer(),
        rx.text(
            rx.cond(show_ht, recap[f"{key}_ht"], recap[f"{key}_ttc"]),
            size="2",
            weight="medium",
            id=f"recap-{key.replace('_', '-')}",
        ),
        *([rx.text("Visualiser", size="1", color_scheme="gray")] if link else []),
        width="100%",
        align="center",
    )


def recap_card(recap, show_ht, on_toggle, *extra: rx.Component) -> rx.Component:
    """Récapitulatif: amounts TTC or HT (VAT 20 %) per the "Afficher les montants" switch."""
    return rx.card(
        rx.text("Récapitulatif", weight="bold", size="3"),
        rx.hstack(
            rx.text("Afficher les montants :", size="2"),
            rx.text("TTC", size="2", weight=rx.cond(show_ht, "regular", "bold")),
            rx.switch(checked=show_ht, on_change=on_toggle, id="amounts-switch", aria_label="Montants HT"),
            rx.text("HT", size="2", weight=rx.cond(show_ht, "bold", "regular")),
            spacing="2",
            align="center",
            margin_y="0.5em",
        ),
        rx.text("Véhicule acheté", size="2", color_scheme="gray"),
        _amount_line("Prix du véhicule :", recap, "vehicle_price", show_ht),
        _amount_line("Avantages clients :", recap, "advantages", show_ht, link=True),
        _amount_line("Accessoires :", recap, "accessories", show_ht, link=True),
        rx.separator(margin_y="0.4em"),
        rx.hstack(
            rx.text("Prix de vente :", size="3", weight="bold"),
            rx.spacer(),
            rx.text(
                rx.cond(show_ht, recap["sale_price_ht"], recap["sale_price_ttc"]),
                size="3",
                weight="bold",
                id="recap-sale-price",
            ),
            width="100%",
        ),
        *extra,
        width="100%",
        id="recap-card",
    )


def field_error(errors, key: str) -> rx.Component:
    return rx.cond(
        errors.contains(key),
        rx.text(errors[key], color_scheme="red", size="1", id=f"error-{key}"),
    )
