"""The app's custom HTTP routes (api.routes.API_ROUTES) as a plain Starlette app, for uvicorn
in a subprocess: ``python -m uvicorn tests.support.api_app:create_app --factory``.

Test-only stall point, inert unless ``EPAY_TEST_STALL_FILE`` is set: the callback then stops
right after the payment's transition and its outbox row are flushed, inside the open transaction
(the worst moment to die), writes that file and sleeps until the process is killed. It wraps
the notifications module from the outside; the app's code has no hook.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import time
import types
from pathlib import Path

from starlette.applications import Starlette


def import_api_modules() -> None:
    import epay_app.api as api_package

    for module in pkgutil.iter_modules(api_package.__path__):
        importlib.import_module(f"epay_app.api.{module.name}")


def _install_stall(marker: Path) -> None:
    from epay_app.services.payment import callbacks

    original = callbacks.notifications.queue_payment_confirmation

    def stalled(session, payment):
        mail = original(session, payment)
        session.flush()  # the status change, its event and the mail are written, not committed
        marker.write_text(str(payment.id))
        while True:
            time.sleep(3600)
        return mail  # never reached

    # callbacks.py calls notifications.queue_payment_confirmation: give it a copy of that
    # module with the one function replaced.
    stalled_module = types.ModuleType("stalled_notifications")
    stalled_module.__dict__.update(vars(callbacks.notifications))
    stalled_module.queue_payment_confirmation = stalled
    callbacks.notifications = stalled_module


def create_app() -> Starlette:
    import_api_modules()
    from epay_app.api.routes import API_ROUTES

    stall = os.environ.get("EPAY_TEST_STALL_FILE")
    if stall:
        _install_stall(Path(stall))
    return Starlette(routes=list(API_ROUTES))
