import os

import reflex as rx

config = rx.Config(
    app_name="epay_app",
    db_url=os.environ.get("REFLEX_DB_URL", "sqlite:///epay.db"),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="blue", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
