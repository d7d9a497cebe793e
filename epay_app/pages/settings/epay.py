""""Paramétrer le e-paiement par point de vente" (F-02, F-03, F-11..F-13).

The encryption key typed in the modal goes from the form straight to the service: it is never
kept in a state var (not even a backend one), so no state delta can carry it back to a browser,
and the key input is uncontrolled (nothing sets its value from the server).
"""
from __future__ import annotations

import reflex as rx

from ...db import session_scope
from ...domain.errors import DomainError, ValidationError
from ...services import psp_config
from ...state import AppState
from .access import admin_context, admin_only, field_error

EPAY_HELP = (
    "Le e-paiement permet aux utilisateurs de proposer à leur client, lors d'une commande, le "
    "règlement d'un paiement en ligne sécurisé. Les paramètres de e-paiement sont à définir pour "
    "chaque point de vente de l'entité. Sans la configuration de ces paramètres le paiement en "
    "ligne ne fonctionnerait pas."
)
EPAY_DEPLOYMENT_HELP = (
    "La configuration du e-paiement est à la main de notre service déploiement chargé de faire "
    "l'intermédiaire avec la plateforme de paiement en ligne Ingenico. À la validation de votre "
    "dossier, nos collègues renseigneront l'identifiant et la clé de cryptage communiquée par "
    "Ingenico pour vous permettre de procéder à des e-paiements sur le point de vente que vous "
    "nous aurez indiqué."
)
POS_QUESTION = "Pour quel point de vente souhaitez-vous configurer le e-paiement ? *"


def _row(row: psp_config.ConfigRow) -> dict[str, str]:
    return {"id": str(row.id), "pos": row.pos_name, "merchant": row.merchant_id,
            "masked": row.masked_key, "version": str(row.key_version)}


class EpayConfigState(AppState):
    option_enabled: bool = False
    loaded: bool = False
    search: str = ""
    rows: list[dict[str, str]] = []  # only the rows on screen, never a key
    # The modal (add when editing_id is 0, edit otherwise).
    dialog_open: bool = False
    editing_id: int = 0
    editing_pos_name: str = ""
    editing_masked_key: str = ""
    pos_choices: list[dict[str, str]] = []
    form_pos_id: str = ""
    form_merchant_id: str = ""
    form_key_version: str = "1"
    error_pos: str = ""
    error_merchant: str = ""
    error_key: str = ""
    error_version: str = ""
    error_form: str = ""
    # Delete confirmation.
    delete_open: bool = False
    delete_id: int = 0
    delete_name: str = ""

    def _clear_errors(self) -> None:
        self.error_pos = self.error_merchant = self.error_key = self.error_version = self.error_form = ""

    def _reload(self, entity_id: int) -> None:
        with session_scope(write=False) as session:
            self.option_enabled = psp_config.entity_has_option(session, entity_id)
            rows = psp_config.list_configs(session, entity_id, self.search) if self.option_enabled else []
        self.rows = [_row(r) for r in rows]
        self.loaded = True

    @rx.event
    @admin_only
    def load_configs(self):
        _, entity = admin_context(self)
        self.search = ""
        self.dialog_open = self.delete_open = False
        self._reload(entity.id)

    @rx.event
    @admin_only
    def search_configs(self, value: str):
        _, entity = admin_context(self)
        self.search = str(value or "")[:100]
        self._reload(entity.id)

    @rx.event
    @admin_only
    def open_add(self):
        _, entity = admin_context(self)
        with session_scope(write=False) as session:
            choices = psp_config.unconfigured_points_of_sale(session, entity.id)
        self.pos_choices = [{"id": str(c.id), "name": c.name} for c in choices]
        self.editing_id = 0
        self.editing_pos_name = self.editing_masked_key = ""
        self.form_pos_id = self.form_merchant_id = ""
        self.form_key_version = "1"
        self._clear_errors()
        self.dialog_open = True

    @rx.event
    @admin_only
    def open_edit(self, config_id: str):
        _, entity = admin_context(self)
        try:
            with session_scope(write=False) as session:
                row = psp_config.get_config(session, entity.id, config_id)
        except DomainError as exc:
            self._reload(entity.id)
            return rx.toast.error(str(exc))
        self.editing_id = row.id
        self.editing_pos_name = row.pos_name
        self.editing_masked_key = row.masked_key
        self.form_pos_id = str(row.pos_id)
        self.form_merchant_id = row.merchant_id
        self.form_key_version = str(row.key_version)
        self._clear_errors()
        self.dialog_open = True

    @rx.event
    @admin_only
    def dialog_open_changed(self, value: bool):
        if not value:
            self.dialog_open = False
            self._clear_errors()

    @rx.event
    @admin_only
    def set_form_pos(self, value: str):
        self.form_pos_id = str(value or "")
        self.error_pos = ""

    @rx.event
    @admin_only
    def submit_config(self, form: dict):
        _, entity = admin_context(self)
        self._clear_errors()
        merchant_id = str(form.get("merchant_id", ""))
        version = str(form.get("key_version", ""))
        try:
            with session_scope() as session:
                if self.editing_id:
                    row = psp_config.update_config(session, entity.id, self.editing_id, merchant_id,
                                                   str(form.get("key", "")), version)
                else:
                    row = psp_config.create_config(session, entity.id, self.form_pos_id, merchant_id,
                                                   str(form.get("key", "")), version)
        except ValidationError as exc:
            self.error_pos = exc.errors.get(psp_config.F_POS, "")
            self.error_merchant = exc.errors.get(psp_config.F_MERCHANT, "")
            self.error_key = exc.errors.get(psp_config.F_KEY, "")
            self.error_version = exc.errors.get(psp_config.F_VERSION, "")
            return
        except DomainError as exc:
            self.error_form = str(exc)
            return
        self.dialog_open = False
        self.form_merchant_id, self.form_key_version = "", "1"
        self._reload(entity.id)
        verb = "modifiée" if self.editing_id else "enregistrée"
        return rx.toast.success(f"Configuration de e-paiement {verb} pour « {row.pos_name} ».")

    @rx.event
    @admin_only
    def ask_delete(self, config_id: str):
        _, entity = admin_context(self)
        try:
            with session_scope(write=False) as session:
                row = psp_config.get_config(session, entity.id, config_id)
        except DomainError as exc:
            self._reload(entity.id)
            return rx.toast.error(str(exc))
        self.delete_id, self.delete_name = row.id, row.pos_name
        self.delete_open = True

    @rx.event
    @admin_only
    def delete_open_changed(self, value: bool):
        if not value:
            self.delete_open = False

    @rx.event
    @admin_only
    def confirm_delete(self):
        _, entity = admin_context(self)
        self.delete_open = False
        try:
            with session_scope() as session:
                name = psp_config.delete_config(session, entity.id, self.delete_id)
        except DomainError as exc:
            self._reload(entity.id)
            return rx.toast.error(str(exc))
        self._reload(entity.id)
        return rx.toast.success(f"Configuration de e-paiement supprimée pour « {name} ».")


def _label(text: str) -> rx.Component:
    return rx.text(text, size="2", weight="medium")


def _pos_field() -> rx.Component:
    s = EpayConfigState
    return rx.cond(
        s.editing_id == 0,
        rx.vstack(
            _label(POS_QUESTION),
            rx.cond(
                s.pos_choices.length() > 0,
                rx.select.root(
                    rx.select.trigger(placeholder="Sélectionner un point de vente", id="config-pos",
                                      width="100%"),
                    rx.select.content(
                        rx.foreach(s.pos_choices,
                                   lambda c: rx.select.item(c["name"], value=c["id"])),
                    ),
                    value=s.form_pos_id, on_change=EpayConfigState.set_form_pos,
                ),
                rx.text("Tous les points de vente de votre entité ont déjà une configuration.",
                        size="2", color_scheme="gray", id="config-pos-none"),
            ),
            field_error(s.error_pos),
            spacing="1", width="100%",
        ),
        rx.vstack(
            _label("Point de vente"),
            rx.text(s.editing_pos_name, id="config-pos-name"),
            spacing="1", width="100%",
        ),
    )


def config_dialog() -> rx.Component:
    s = EpayConfigState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(s.editing_id == 0, "Ajouter une configuration de e-paiement",
                                    "Modifier la configuration de e-paiement")),
            rx.form(
                rx.vstack(
                    _pos_field(),
                    _label("Identifiant *"),
                    rx.input(name="merchant_id", id="config-merchant", default_value=s.form_merchant_id,
                             placeholder="ex. 002001000000002", width="100%", auto_complete="off"),
                    field_error(s.error_merchant),
                    _label(rx.cond(s.editing_id == 0, "Clé de cryptage *", "Clé de cryptage")),
                    rx.input(name="key", id="config-key", type="password", auto_complete="new-password",
                             placeholder=rx.cond(s.editing_id == 0, "",
                                                 "Laisser vide pour conserver la clé actuelle (" +
                                                 s.editing_masked_key + ")"),
                             width="100%"),
                    field_error(s.error_key),
                    _label("Version de la clé *"),
                    rx.input(name="key_version", id="config-version", default_value=s.form_key_version,
                             width="120px", input_mode="numeric"),
                    field_error(s.error_version),
                    rx.cond(s.error_form != "",
                            rx.callout(s.error_form, icon="triangle_alert", color_scheme="red", width="100%")),
                    rx.hstack(
                        rx.button("Enregistrer", type="submit", id="config-save"),
                        rx.dialog.close(rx.button("Annuler", type="button", variant="soft", color_scheme="gray",
                                                  id="config-cancel")),
                        justify="end", width="100%", margin_top="0.5em",
                    ),
                    spacing="2", width="100%",
                ),
                on_submit=EpayConfigState.submit_config,
            ),
            max_width="520px", id="config-dialog",
        ),
        open=s.dialog_open,
        on_open_change=EpayConfigState.dialog_open_changed,
    )


def delete_dialog() -> rx.Component:
    s = EpayConfigState
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Supprimer la configuration de e-paiement"),
            rx.alert_dialog.description(
                "La configuration de « ", s.delete_name, " » sera supprimée : le paiement en ligne ne "
                "fonctionnera plus sur ce point de vente tant qu'elle ne sera pas de nouveau renseignée."),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Annuler", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Supprimer", color_scheme="red", id="config-delete-confirm",
                                                 on_click=EpayConfigState.confirm_delete)),
                justify="end", margin_top="1em",
            ),
            max_width="480px",
        ),
        open=s.delete_open,
        on_open_change=EpayConfigState.delete_open_changed,
    )


def _config_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["pos"]),
        rx.table.cell(row["merchant"]),
        rx.table.cell(row["masked"], font_family="monospace"),
        rx.table.cell(row["version"]),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(rx.icon("pencil", size=14), variant="ghost",
                               aria_label="Modifier la configuration de " + row["pos"],
                               on_click=EpayConfigState.open_edit(row["id"])),
                rx.icon_button(rx.icon("trash_2", size=14), variant="ghost", color_scheme="red",
                               aria_label="Supprimer la configuration de " + row["pos"],
                               on_click=EpayConfigState.ask_delete(row["id"])),
                spacing="3",
            ),
        ),
        class_name="config-row",
    )


def _config_table() -> rx.Component:
    s = EpayConfigState
    return rx.cond(
        s.rows.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Point de vente"),
                rx.table.column_header_cell("Identifiant"),
                rx.table.column_header_cell("Clé de cryptage"),
                rx.table.column_header_cell("Version de la clé"),
                rx.table.column_header_cell(""),
            )),
            rx.table.body(rx.foreach(s.rows, _config_row)),
            width="100%", id="config-table",
        ),
        rx.text("Aucune donnée", color_scheme="gray", id="config-empty", padding="1em 0"),
    )


def epay_block() -> rx.Component:
    s = EpayConfigState
    return rx.card(
        rx.hstack(
            rx.heading("Paramétrer le e-paiement par point de vente", size="4"),
            rx.spacer(),
            rx.cond(s.option_enabled,
                    rx.button(rx.icon("plus", size=16), "Ajouter une configuration de e-paiement",
                              on_click=EpayConfigState.open_add, id="config-add")),
            align="center", width="100%", margin_bottom="0.6em",
        ),
        rx.cond(
            s.option_enabled,
            rx.vstack(
                rx.text(EPAY_HELP, size="2"),
                rx.text(EPAY_DEPLOYMENT_HELP, size="2", color_scheme="gray"),
                rx.input(rx.input.slot(rx.icon("search", size=16)), placeholder="Nom du point de vente",
                         on_change=EpayConfigState.search_configs,
                         id="config-search", aria_label="Nom du point de vente", max_width="360px",
                         width="100%"),
                _config_table(),
                config_dialog(),
                delete_dialog(),
                spacing="3", width="100%",
            ),
            rx.cond(
                s.loaded,
                rx.callout(psp_config.MSG_OPTION_MISSING, icon="info", color_scheme="gray", id="epay-option-missing"),
                rx.spinner(),
            ),
        ),
        width="100%", id="epay-block",
    )
