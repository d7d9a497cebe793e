""" "Paramétrer le e-paiement par point de vente" (F-02, F-03, F-11..F-13).

A configuration speaks Worldline Direct (the default for a new one) or Worldline Sips 2.0
(historique). The secrets typed in the modal (Sips: the encryption key; Direct: the API key
secret and the webhook secret) go from the form's submit data straight to the service: they are
never kept in a state var (not even a backend one), so no state delta can carry them back to a
browser, and their inputs are uncontrolled password fields (nothing sets their value from the
server). Only masked forms ("••••••••KEY1") come back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from ...domain.errors import ValidationError
from ...psp.interface import PspProtocol
from ...services.admin import psp_config
from ...state import AppState
from ..rows import Choice, PspConfigRow
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


DIRECT, SIPS2 = PspProtocol.DIRECT.value, PspProtocol.SIPS2.value
NOT_APPLICABLE = "—"

# Form field name -> state var holding its French error.
ERROR_VARS = {
    psp_config.F_POS: "error_pos",
    psp_config.F_PROTOCOL: "error_protocol",
    psp_config.F_MERCHANT: "error_merchant",
    psp_config.F_KEY: "error_key",
    psp_config.F_VERSION: "error_version",
    psp_config.F_API_KEY_ID: "error_api_key_id",
    psp_config.F_WEBHOOK_KEY_ID: "error_webhook_key_id",
    psp_config.F_WEBHOOK_SECRET: "error_webhook_secret",
}


def _row(row: psp_config.ConfigRow) -> PspConfigRow:
    """What one line of the list shows: labels and masked secrets, never a secret."""
    direct = row.protocol is PspProtocol.DIRECT
    return PspConfigRow(
        id=str(row.id),
        pos=row.pos_name,
        protocol=row.protocol.label,
        merchant=row.merchant_id,
        key=f"{row.api_key_id} · {row.masked_key}" if direct else row.masked_key,
        webhook=f"{row.webhook_key_id} · {row.masked_webhook_secret}" if direct else NOT_APPLICABLE,
        version=NOT_APPLICABLE if direct else str(row.key_version),
    )


def _configs(session, entity_id: int | None, search: str) -> tuple[bool, list[psp_config.ConfigRow]]:
    """Whether the entity has the option, and its configurations (none without the option)."""
    if entity_id is None:
        return False, []
    enabled = psp_config.entity_has_option(session, entity_id)
    return enabled, (psp_config.list_configs(session, entity_id, search) if enabled else [])


def _text(form: dict, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else str(value or "")


class EpayConfigState(AppState):
    option_enabled: bool = False
    loaded: bool = False
    search: str = ""
    rows: rx.Field[list[PspConfigRow]] = rx.field(default_factory=list)  # only the rows on screen, never a key
    # The modal (add when editing_id is 0, edit otherwise).
    dialog_open: bool = False
    editing_id: int = 0
    editing_pos_name: str = ""
    editing_protocol: str = ""  # the stored protocol of the configuration being edited
    editing_masked_key: str = ""
    editing_masked_webhook_secret: str = ""
    pos_choices: rx.Field[list[Choice]] = rx.field(default_factory=list)
    # Non-secret fields only: the secrets are read from the submit data and never stored here.
    form_pos_id: str = ""
    form_protocol: str = DIRECT
    form_merchant_id: str = ""
    form_key_version: str = "1"
    form_api_key_id: str = ""
    form_webhook_key_id: str = ""
    error_pos: str = ""
    error_protocol: str = ""
    error_merchant: str = ""
    error_key: str = ""
    error_version: str = ""
    error_api_key_id: str = ""
    error_webhook_key_id: str = ""
    error_webhook_secret: str = ""
    error_form: str = ""
    # Delete confirmation.
    delete_open: bool = False
    delete_id: int = 0
    delete_name: str = ""

    @rx.var
    def secrets_required(self) -> bool:
        """A new configuration, or a change of protocol, needs every secret of its protocol."""
        return self.editing_id == 0 or self.form_protocol != self.editing_protocol

    def _clear_errors(self) -> None:
        for name in ERROR_VARS.values():
            setattr(self, name, "")
        self.error_form = ""

    def _reset_form(self) -> None:
        self.editing_id = 0
        self.editing_protocol = self.editing_pos_name = ""
        self.editing_masked_key = self.editing_masked_webhook_secret = ""
        self.form_pos_id = self.form_merchant_id = self.form_api_key_id = self.form_webhook_key_id = ""
        self.form_protocol = psp_config.DEFAULT_PROTOCOL.value
        self.form_key_version = "1"

    async def _reload(self, entity_id: int | None) -> None:
        outcome = await self._run(_configs, entity_id, self.search, write=False)
        if outcome.value is None:
            self.error_form = outcome.message
            return
        self.option_enabled, rows = outcome.value
        self.rows = [_row(r) for r in rows]
        self.loaded = True

    @rx.event
    @admin_only
    async def load_configs(self):
        _, entity = await admin_context(self)
        self.search = ""
        self.dialog_open = self.delete_open = False
        await self._reload(entity.id)

    @rx.event
    @admin_only
    async def search_configs(self, value: str):
        _, entity = await admin_context(self)
        self.search = str(value or "")[:100]
        await self._reload(entity.id)

    @rx.event
    @admin_only
    async def open_add(self):
        _, entity = await admin_context(self)
        outcome = await self._run(psp_config.unconfigured_points_of_sale, entity.id, write=False)
        if not outcome.ok or outcome.value is None:
            return outcome.toast()
        choices = outcome.value
        self.pos_choices = [Choice(id=str(c.id), name=c.name) for c in choices]
        self._reset_form()
        self._clear_errors()
        self.dialog_open = True

    async def _with_config(self, config_id: str, show: Callable[[psp_config.ConfigRow], None]):
        """Show one configuration of the admin's entity, or reload the list and say why not (it
        may have been deleted in another tab)."""
        _, entity = await admin_context(self)
        outcome = await self._run(psp_config.get_config, entity.id, config_id, write=False)
        if not outcome.ok or outcome.value is None:
            await self._reload(entity.id)
            return outcome.toast()
        show(outcome.value)
        return None

    def _fill_form(self, row: psp_config.ConfigRow) -> None:
        self.editing_id = row.id
        self.editing_pos_name = row.pos_name
        self.editing_protocol = self.form_protocol = row.protocol.value
        self.editing_masked_key = row.masked_key
        self.editing_masked_webhook_secret = row.masked_webhook_secret
        self.form_pos_id = str(row.pos_id)
        self.form_merchant_id = row.merchant_id
        self.form_key_version = str(row.key_version)
        self.form_api_key_id = row.api_key_id
        self.form_webhook_key_id = row.webhook_key_id
        self._clear_errors()
        self.dialog_open = True

    @rx.event
    @admin_only
    async def open_edit(self, config_id: str):
        return await self._with_config(config_id, self._fill_form)

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
    def set_form_protocol(self, value: str):
        protocol = psp_config.parse_protocol(value)
        if protocol is not None:
            self.form_protocol = protocol.value
            self.error_protocol = ""

    @rx.event
    @admin_only
    async def submit_config(self, form: dict):
        _, entity = await admin_context(self)
        self._clear_errors()
        protocol = _text(form, "protocol") or self.form_protocol
        # The non-secret fields of the chosen protocol are kept so that a refused form shows them
        # again; the secrets are passed on and dropped with this handler's frame.
        for name, limit in (("merchant_id", 100), ("key_version", 10), ("api_key_id", 200), ("webhook_key_id", 200)):
            if name in form:
                setattr(self, f"form_{name}", _text(form, name)[:limit])
        direct = protocol == DIRECT
        fields: dict[str, Any] = dict(
            key=_text(form, "api_secret" if direct else "key"),
            key_version=self.form_key_version,
            protocol=protocol,
            api_key_id=self.form_api_key_id,
            webhook_key_id=self.form_webhook_key_id,
            webhook_secret=_text(form, "webhook_secret"),
        )
        if self.editing_id:
            outcome = await self._run(
                psp_config.update_config, entity.id, self.editing_id, self.form_merchant_id, **fields
            )
        else:
            outcome = await self._run(
                psp_config.create_config, entity.id, self.form_pos_id, self.form_merchant_id, **fields
            )
        if isinstance(outcome.exception, ValidationError):
            for name, var in ERROR_VARS.items():
                setattr(self, var, outcome.errors.get(name, ""))
            return
        if not outcome.ok or outcome.value is None:
            self.error_form = outcome.message
            return
        row = outcome.value
        self.dialog_open = False
        await self._reload(entity.id)
        verb = "modifiée" if self.editing_id else "enregistrée"
        return rx.toast.success(f"Configuration de e-paiement {verb} pour « {row.pos_name} ».")

    @rx.event
    @admin_only
    async def ask_delete(self, config_id: str):
        return await self._with_config(config_id, self._ask_delete_of)

    def _ask_delete_of(self, row: psp_config.ConfigRow) -> None:
        self.delete_id, self.delete_name = row.id, row.pos_name
        self.delete_open = True

    @rx.event
    @admin_only
    def delete_open_changed(self, value: bool):
        if not value:
            self.delete_open = False

    @rx.event
    @admin_only
    async def confirm_delete(self):
        _, entity = await admin_context(self)
        self.delete_open = False
        outcome = await self._run(psp_config.delete_config, entity.id, self.delete_id)
        if not outcome.ok:
            await self._reload(entity.id)
            return outcome.toast()
        name = outcome.value
        await self._reload(entity.id)
        return rx.toast.success(f"Configuration de e-paiement supprimée pour « {name} ».")


LABEL_STYLE = {"font_size": "var(--font-size-2)", "font_weight": "500", "line_height": "var(--line-height-2)"}


def _label(text, html_for: str = "") -> rx.Component:
    """A visible label; tied to its input by `html_for` when there is one."""
    if html_for:
        return rx.el.label(text, html_for=html_for, style=LABEL_STYLE)
    return rx.text(text, size="2", weight="medium")


def _required(text: str, required) -> rx.Var:
    """'Clé API (secret) *' when the field must be filled, 'Clé API (secret)' otherwise."""
    return rx.cond(required, text + " *", text)


def _pos_field() -> rx.Component:
    s = EpayConfigState
    return rx.cond(
        s.editing_id == 0,
        rx.vstack(
            _label(POS_QUESTION, "config-pos"),
            rx.cond(
                s.pos_choices.length() > 0,
                rx.select.root(
                    rx.select.trigger(placeholder="Sélectionner un point de vente", id="config-pos", width="100%"),
                    rx.select.content(
                        rx.foreach(s.pos_choices, lambda c: rx.select.item(c["name"], value=c["id"])),
                    ),
                    value=s.form_pos_id,
                    on_change=EpayConfigState.set_form_pos,
                ),
                rx.text(
                    "Tous les points de vente de votre entité ont déjà une configuration.",
                    size="2",
                    color_scheme="gray",
                    id="config-pos-none",
                ),
            ),
            field_error(s.error_pos),
            spacing="1",
            width="100%",
        ),
        rx.vstack(
            _label("Point de vente"),
            rx.text(s.editing_pos_name, id="config-pos-name"),
            spacing="1",
            width="100%",
        ),
    )


def _protocol_choice() -> rx.Component:
    """Two radio buttons, each with its <label>, grouped under a visible legend."""
    s = EpayConfigState

    def option(protocol: PspProtocol) -> rx.Component:
        input_id = f"config-protocol-{protocol.value}"
        return rx.hstack(
            # Uncontrolled: the click shows at once; the state follows to swap the fields below.
            rx.el.input(
                type="radio",
                name="protocol",
                value=protocol.value,
                id=input_id,
                default_checked=s.form_protocol == protocol.value,
                on_change=EpayConfigState.set_form_protocol,
                style={"accent_color": "var(--accent-9)", "margin": "0"},
            ),
            _label(protocol.label, input_id),
            align="center",
            spacing="2",
        )

    return rx.el.fieldset(
        rx.el.legend("Protocole *", style={**LABEL_STYLE, "padding": "0", "margin_bottom": "0.3em"}),
        rx.hstack(option(PspProtocol.DIRECT), option(PspProtocol.SIPS2), spacing="5", wrap="wrap"),
        field_error(s.error_protocol),
        id="config-protocol",
        style={"border": "none", "padding": "0", "margin": "0", "width": "100%"},
    )


def _secret_input(name: str, input_id: str, keep_hint) -> rx.Component:
    """An uncontrolled password field: its value goes up with the form and never comes back."""
    s = EpayConfigState
    return rx.input(
        name=name,
        id=input_id,
        type="password",
        auto_complete="new-password",
        placeholder=rx.cond(s.secrets_required, "", "Laisser vide pour conserver la clé actuelle (" + keep_hint + ")"),
        width="100%",
    )


def _key_id_input(name: str, input_id: str, value) -> rx.Component:
    return rx.input(name=name, id=input_id, default_value=value, width="100%", auto_complete="off", spell_check=False)


def _direct_fields() -> rx.Component:
    s = EpayConfigState
    return rx.vstack(
        _label("Clé API (identifiant) *", "config-api-key-id"),
        _key_id_input("api_key_id", "config-api-key-id", s.form_api_key_id),
        field_error(s.error_api_key_id),
        _label(_required("Clé API (secret)", s.secrets_required), "config-api-secret"),
        _secret_input("api_secret", "config-api-secret", s.editing_masked_key),
        field_error(s.error_key),
        _label("Clé webhook (identifiant) *", "config-webhook-key-id"),
        _key_id_input("webhook_key_id", "config-webhook-key-id", s.form_webhook_key_id),
        field_error(s.error_webhook_key_id),
        _label(_required("Clé webhook (secret)", s.secrets_required), "config-webhook-secret"),
        _secret_input("webhook_secret", "config-webhook-secret", s.editing_masked_webhook_secret),
        field_error(s.error_webhook_secret),
        spacing="2",
        width="100%",
    )


def _sips_fields() -> rx.Component:
    s = EpayConfigState
    return rx.vstack(
        _label(_required("Clé de cryptage", s.secrets_required), "config-key"),
        _secret_input("key", "config-key", s.editing_masked_key),
        field_error(s.error_key),
        _label("Version de la clé *", "config-version"),
        rx.input(
            name="key_version",
            id="config-version",
            default_value=s.form_key_version,
            width="120px",
            input_mode="numeric",
        ),
        field_error(s.error_version),
        spacing="2",
        width="100%",
    )


def config_dialog() -> rx.Component:
    s = EpayConfigState
    direct = s.form_protocol == DIRECT
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(
                    s.editing_id == 0,
                    "Ajouter une configuration de e-paiement",
                    "Modifier la configuration de e-paiement",
                )
            ),
            rx.form(
                rx.vstack(
                    _pos_field(),
                    _protocol_choice(),
                    _label(rx.cond(direct, "Identifiant (PSPID) *", "Identifiant *"), "config-merchant"),
                    rx.input(
                        name="merchant_id",
                        id="config-merchant",
                        default_value=s.form_merchant_id,
                        placeholder=rx.cond(direct, "ex. MonPSPID", "ex. 002001000000002"),
                        width="100%",
                        auto_complete="off",
                        spell_check=False,
                    ),
                    field_error(s.error_merchant),
                    rx.cond(direct, _direct_fields(), _sips_fields()),
                    rx.cond(
                        s.error_form != "",
                        rx.callout(s.error_form, icon="triangle_alert", color_scheme="red", width="100%"),
                    ),
                    rx.hstack(
                        rx.button("Enregistrer", type="submit", id="config-save"),
                        rx.dialog.close(
                            rx.button("Annuler", type="button", variant="soft", color_scheme="gray", id="config-cancel")
                        ),
                        justify="end",
                        width="100%",
                        margin_top="0.5em",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=EpayConfigState.submit_config,
            ),
            max_width="560px",
            id="config-dialog",
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
                "La configuration de « ",
                s.delete_name,
                " » sera supprimée : le paiement en ligne ne "
                "fonctionnera plus sur ce point de vente tant qu'elle ne sera pas de nouveau renseignée.",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Annuler", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Supprimer",
                        color_scheme="red",
                        id="config-delete-confirm",
                        on_click=EpayConfigState.confirm_delete,
                    )
                ),
                justify="end",
                margin_top="1em",
            ),
            max_width="480px",
        ),
        open=s.delete_open,
        on_open_change=EpayConfigState.delete_open_changed,
    )


def _config_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["pos"]),
        rx.table.cell(row["protocol"], class_name="config-protocol"),
        rx.table.cell(row["merchant"]),
        rx.table.cell(row["key"], font_family="monospace"),
        rx.table.cell(row["webhook"], font_family="monospace"),
        rx.table.cell(row["version"]),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(
                    rx.icon("pencil", size=14),
                    variant="ghost",
                    aria_label="Modifier la configuration de " + row["pos"],
                    on_click=EpayConfigState.open_edit(row["id"]),
                ),
                rx.icon_button(
                    rx.icon("trash_2", size=14),
                    variant="ghost",
                    color_scheme="red",
                    aria_label="Supprimer la configuration de " + row["pos"],
                    on_click=EpayConfigState.ask_delete(row["id"]),
                ),
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
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Point de vente"),
                    rx.table.column_header_cell("Protocole"),
                    rx.table.column_header_cell("Identifiant"),
                    rx.table.column_header_cell("Clé de cryptage / clé API"),
                    rx.table.column_header_cell("Clé webhook"),
                    rx.table.column_header_cell("Version de la clé"),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(s.rows, _config_row)),
            width="100%",
            id="config-table",
        ),
        rx.text("Aucune donnée", color_scheme="gray", id="config-empty", padding="1em 0"),
    )


def epay_block() -> rx.Component:
    s = EpayConfigState
    return rx.card(
        rx.hstack(
            rx.heading("Paramétrer le e-paiement par point de vente", size="4"),
            rx.spacer(),
            rx.cond(
                s.option_enabled,
                rx.button(
                    rx.icon("plus", size=16),
                    "Ajouter une configuration de e-paiement",
                    on_click=EpayConfigState.open_add,
                    id="config-add",
                ),
            ),
            align="center",
            width="100%",
            margin_bottom="0.6em",
        ),
        rx.cond(
            s.option_enabled,
            rx.vstack(
                rx.text(EPAY_HELP, size="2"),
                rx.text(EPAY_DEPLOYMENT_HELP, size="2", color_scheme="gray"),
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    placeholder="Nom du point de vente",
                    on_change=EpayConfigState.search_configs,
                    id="config-search",
                    aria_label="Nom du point de vente",
                    max_width="360px",
                    width="100%",
                ),
                _config_table(),
                config_dialog(),
                delete_dialog(),
                spacing="3",
                width="100%",
            ),
            rx.cond(
                s.loaded,
                rx.callout(psp_config.MSG_OPTION_MISSING, icon="info", color_scheme="gray", id="epay-option-missing"),
                rx.spinner(),
            ),
        ),
        width="100%",
        id="epay-block",
    )
