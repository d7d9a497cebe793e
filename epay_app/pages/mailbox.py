"""Boîte mail (démo): what the local SMTP sink received, for a newcomer to read the customer's
e-mails and click "Payer l'acompte en ligne". Only in demo mode, and only for a logged-in
administrator: the mails hold working payment links."""

from __future__ import annotations

import html
from typing import Any

import reflex as rx

from .. import routes
from ..config import get_settings
from ..domain.roles import GroupType
from ..services.mail import mailbox
from ..state import AppState, require_roles
from .rows import MailRow

# No scripts and no same-origin access for a received mail; a click on a link may leave the
# frame (the payment link opens in the whole tab, through <base target="_top">).
IFRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"


def _framed(mail: mailbox.StoredMail) -> str:
    body = mail.html or f"<pre style='white-space:pre-wrap;font-family:sans-serif'>{html.escape(mail.text)}</pre>"
    return '<base target="_top">' + body


class MailboxState(AppState):
    mails: rx.Field[list[MailRow]] = rx.field(default_factory=list)
    selected_id: str = ""
    selected_subject: str = ""
    selected_html: str = ""

    def _closed(self):
        """None when the viewer may read the mailbox, else where to send them."""
        try:
            mailbox.check_reader(self.current_user(), get_settings())
        except mailbox.MailboxClosed:
            self.mails, self.selected_id, self.selected_subject, self.selected_html = [], "", "", ""
            return rx.redirect(routes.HOME)
        return None

    @rx.event
    @require_roles(GroupType.ADMINISTRATEUR)
    def load_mailbox(self):
        if (closed := self._closed()) is not None:
            return closed
        self.mails = [MailRow(id=m.id, subject=m.subject, to=m.to, date=m.date) for m in mailbox.list_mails()]
        if self.selected_id and all(m.id != self.selected_id for m in self.mails):
            self.selected_id = self.selected_subject = self.selected_html = ""

    @rx.event
    @require_roles(GroupType.ADMINISTRATEUR)
    def open_mail(self, mail_id: str):
        if (closed := self._closed()) is not None:
            return closed
        mail = mailbox.read_mail(mail_id if isinstance(mail_id, str) else "")
        if mail is None:
            return rx.toast.error("Ce message n'existe plus.")
        self.selected_id, self.selected_subject, self.selected_html = mail.id, mail.subject, _framed(mail)


def mail_row(mail: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(mail["subject"], weight="bold", size="2"),
            rx.text("À : ", mail["to"], size="1", color_scheme="gray"),
            rx.text(mail["date"], size="1", color_scheme="gray"),
            spacing="1",
        ),
        on_click=MailboxState.open_mail(mail["id"]),
        cursor="pointer",
        width="100%",
        class_name="mailbox-row",
        background=rx.cond(mail["id"] == MailboxState.selected_id, "var(--accent-3)", "white"),
    )


def mailbox_page() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.heading("Boîte mail (démo)", size="6"),
            rx.spacer(),
            rx.button("Actualiser", on_click=MailboxState.load_mailbox, variant="soft", id="mailbox-refresh"),
            align="center",
            width="100%",
            margin_bottom="1em",
        ),
        rx.hstack(
            rx.vstack(
                rx.cond(
                    MailboxState.mails.length() == 0,
                    rx.text("Aucun e-mail reçu.", color_scheme="gray", id="mailbox-empty"),
                ),
                rx.foreach(MailboxState.mails, mail_row),
                width="340px",
                spacing="2",
                id="mailbox-list",
            ),
            rx.cond(
                MailboxState.selected_id != "",
                rx.vstack(
                    rx.text(MailboxState.selected_subject, weight="bold", id="mailbox-subject"),
                    rx.el.iframe(
                        src_doc=MailboxState.selected_html,
                        sandbox=IFRAME_SANDBOX,
                        title="Contenu de l'e-mail",
                        id="mailbox-frame",
                        style={
                            "width": "100%",
                            "height": "760px",
                            "border": "1px solid #e3e6eb",
                            "background": "white",
                        },
                    ),
                    width="100%",
                    spacing="2",
                ),
                rx.text("Sélectionnez un e-mail.", color_scheme="gray"),
            ),
            align="start",
            spacing="5",
            width="100%",
        ),
        padding="1.5em 2em",
        background="#f3f5f9",
        min_height="100vh",
    )
