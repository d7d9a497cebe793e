"""A simulated browser tab for the benches: Reflex's own websocket protocol (Engine.IO 4 /
Socket.IO 5 over a plain websocket, namespace /_event), without a browser.

It connects as the Reflex front end does — the `hydrate_and_load` event in the CONNECT packet,
with the session cookie of a logged-in user on the handshake — then records every state
update the server pushes, with its arrival time, and answers the server's pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field

from simple_websocket import AioClient
from simple_websocket.errors import ConnectionClosed

from epay_app.services.access.auth import SESSION_COOKIE

NAMESPACE = "/_event"


def state_names() -> dict[str, str]:
    """Full names of the states the benches touch (importing the page modules, not the app)."""
    from reflex.state import State

    from epay_app.pages.epayments import EPaymentsState
    from epay_app.state import AppState

    return {
        "root": State.get_full_name(),
        "app": AppState.get_full_name(),
        "epayments": EPaymentsState.get_full_name(),
    }


@dataclass
class Tab:
    base_url: str  # http://127.0.0.1:port (the backend)
    session_token: str  # the epay_session cookie of a logged-in user
    path: str  # the page the tab shows, e.g. /e-paiements?tri=desc
    names: dict[str, str]
    label: str = ""
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    updates: list[tuple[float, dict]] = field(default_factory=list)  # (monotonic time, delta)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    _ws: AioClient | None = None
    _reader: asyncio.Task | None = None

    async def open(self) -> None:
        url = self.base_url.replace("http", "ws", 1) + f"{NAMESPACE}/?EIO=4&transport=websocket&token={self.token}"
        # The session travels as the browser sends it: the HttpOnly cookie of the websocket handshake.
        self._ws = await AioClient.connect(url, headers={"Cookie": f"{SESSION_COOKIE}={self.session_token}"})
        opening = await self._ws.receive(timeout=30)
        if not str(opening).startswith("0"):
            raise RuntimeError(f"unexpected Engine.IO opening {opening!r}")
        boot = {
            "name": f"{self.names['root']}.hydrate_and_load",
            "payload": {"vars": {}},
            "router_data": self._router_data(),
        }
        await self._ws.send(f"40{NAMESPACE}," + json.dumps({"event": boot}))
        self._reader = asyncio.create_task(self._read())

    def _router_data(self) -> dict:
        # As the front end sends them: the route in "pathname", the URL with its query in "asPath".
        return {"pathname": self.path.split("?")[0], "asPath": self.path}

    async def emit(self, handler: str, payload: dict | None = None) -> None:
        event = {
            "name": handler,
            "payload": payload or {},
            "router_data": self._router_data(),
        }
        await self._ws.send(f"42{NAMESPACE}," + json.dumps(["event", event]))

    async def _read(self) -> None:
        prefix = f"42{NAMESPACE},"
        try:
            while True:
                message = await self._ws.receive()
                if message is None:
                    return
                message = str(message)
                if message == "2":
                    await self._ws.send("3")
                elif message.startswith(f"40{NAMESPACE}"):
                    self.connected.set()
                elif message.startswith(prefix):
                    name, data = json.loads(message[len(prefix) :])[:2]
                    if name == "event" and isinstance(data, dict):
                        delta = data.get("delta") or {}
                        self.updates.append((time.monotonic(), delta))
                        if (
                            not self.loaded.is_set()
                            and self.names["epayments"] in delta
                            and "cards" in json.dumps(delta[self.names["epayments"]])
                        ):
                            self.loaded.set()
        except (ConnectionClosed, asyncio.CancelledError):
            return

    def list_updates_since(self, moment: float) -> list[float]:
        """Arrival times of the list's state updates after `moment`."""
        key = self.names["epayments"]
        return [t for t, delta in self.updates if t >= moment and key in delta]

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            with contextlib.suppress(Exception):  # already gone
                await self._ws.close()
