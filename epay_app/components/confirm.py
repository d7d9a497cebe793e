"""A yes/no alert dialog for an action that changes a record (declare lost, mark sold…)."""

from __future__ import annotations

from typing import Any

import reflex as rx


def confirm_dialog(
    *extra: rx.Component,
    title: str,
    description: tuple[Any, ...],
    confirm_label: str,
    on_confirm: Any,
    on_cancel: Any,
    is_open: Any,
    id_prefix: str,
) -> rx.Component:
    """Open while `is_open`; `extra` goes between the description and the buttons. The buttons are
    `#<id_prefix>-cancel` (grey) and `#<id_prefix>-confirm` (red)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(*description),
            *extra,
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Annuler", variant="soft", color_scheme="gray", on_click=on_cancel, id=f"{id_prefix}-cancel"
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(confirm_label, color_scheme="red", on_click=on_confirm, id=f"{id_prefix}-confirm")
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
        open=is_open,
    )
