"""Form fields with a programmatic label and an announced error (issue 14, accessibility):
the label is a <label for=…> (a click focuses the field, a screen reader reads it), the error
lives in a polite live region named by the field's aria-describedby, and aria-invalid follows it."""

from __future__ import annotations

import reflex as rx

LABEL_STYLE = {
    "font_size": "var(--font-size-2)",
    "font_weight": "500",
    "line_height": "var(--line-height-2)",
    "color": "var(--gray-12)",
}
# Radix's red-11 on white is ≥ 4.5:1 (WCAG AA for small text); plain "red" is not.
ERROR_COLOR = "var(--red-11)"


def field_label(text, control_id: str, label_id: str | None = None) -> rx.Component:
    return rx.el.label(text, html_for=control_id, id=label_id or f"{control_id}-label", style=LABEL_STYLE)


def error_region_id(control_id: str) -> str:
    return f"{control_id}-errors"


def error_region(errors, key: str, control_id: str) -> rx.Component:
    """Always in the page (so the live region exists before it fills); the message keeps its
    historical id `error-<key>`."""
    return rx.box(
        rx.cond(
            errors.contains(key),
            rx.text(errors[key], size="1", id=f"error-{key}", style={"color": ERROR_COLOR}),
        ),
        id=error_region_id(control_id),
        aria_live="polite",
    )


def described(errors, key: str, control_id: str) -> dict:
    """Props for the control: its error region, and aria-invalid while an error is shown."""
    return {
        "aria_describedby": error_region_id(control_id),
        "aria_invalid": rx.cond(errors.contains(key), "true", "false"),
    }


def labelled_field(label, control_id: str, control: rx.Component, errors, key: str, **stack) -> rx.Component:
    return rx.vstack(
        field_label(label, control_id), control, error_region(errors, key, control_id), spacing="1", **stack
    )
