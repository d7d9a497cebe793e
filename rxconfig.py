import os

import reflex as rx

from epay_app.api.security import origin
from epay_app.config import get_settings

# CORS and the websocket accept only the app's public address (EPAY_PUBLIC_URL, or `.env`):
# Reflex's default "*" with credentials echoed any Origin (issue 12).
PUBLIC_ORIGIN = origin(get_settings().public_url)


# Several workers (REFLEX_REDIS_URL): a worker keeps the states of the tabs whose sockets it holds
# between their events, under Redis's lock ("opportunistic lock", handed over when another worker
# asks), instead of reading and writing each state in Redis at every event and live refresh.
# bench/live_bench.py at N = 300: update p95 967 → 614 ms (issue 15). Off with =false.
os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")

config = rx.Config(
    app_name="epay_app",
    db_url=os.environ.get("REFLEX_DB_URL", "sqlite:///epay.db"),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=[PUBLIC_ORIGIN],
    # Solid panels: Radix's translucent default puts a backdrop-filter blur(64px) behind every card
    # and menu, which the browser re-blurs at each frame where the list changes (issue 15).
    plugins=[
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="blue", radius="medium", panel_background="solid"))
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
