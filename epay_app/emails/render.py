"""Render an e-mail from its templates: `<name>.txt` (plain text, which also sets the
subject) and `<name>.html` (autoescaped, inline-styled, table-based for mail clients)."""

from __future__ import annotations

import re

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

env = Environment(
    loader=PackageLoader("epay_app.emails", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,  # a missing value is a bug, never an empty hole in a customer mail
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render(name: str, **context) -> tuple[str, str, str]:
    """Return (subject, text, html). The subject is `{% set subject = ... %}` in the .txt."""
    text_module = env.get_template(f"{name}.txt").make_module(context)
    # A template module holds its top-level `{% set %}` names in its instance dict.
    subject = " ".join(str(vars(text_module)["subject"]).split())
    html = env.get_template(f"{name}.html").render(context)
    text = re.sub(r"\n{3,}", "\n\n", str(text_module)).strip() + "\n"
    return subject, text, html
