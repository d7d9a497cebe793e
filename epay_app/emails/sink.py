"""Local SMTP sink for the demo and the tests: every message received on loopback is kept as
an .eml file (plus one JSON line in index.jsonl) in a directory that the "Boîte mail (démo)"
page reads. It accepts any sender and recipient and relays nothing.

    python -m epay_app.emails.sink --port 8025 --dir .mail_sink
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import uuid
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller

from ..config import get_settings
from ..domain.dates import utcnow

INDEX = "index.jsonl"


class FileSink:
    """aiosmtpd handler writing each message atomically (temp file, then rename)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        self.store(envelope.original_content or envelope.content, envelope.mail_from, envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def store(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> Path:
        received = utcnow()
        # The name sorts by arrival, so listing newest first is a reverse sort of names.
        name = f"{received:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}.eml"
        target = self.directory / name
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, target)
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
        entry = {
            "file": name,
            "received_at": received.isoformat(),
            "mail_from": mail_from,
            "rcpt_tos": list(rcpt_tos),
            "subject": str(headers.get("Subject", "")),
            "message_id": str(headers.get("Message-ID", "")),
        }
        with self._lock, open(self.directory / INDEX, "a", encoding="utf-8") as index:
            index.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return target


def start_sink(directory: Path, port: int, host: str = "127.0.0.1") -> Controller:
    """Start the sink in a background thread; call .stop() on the result."""
    controller = Controller(FileSink(directory), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Puits SMTP local (démo) : les mails reçus sont gardés en .eml")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=get_settings().smtp_port)
    parser.add_argument("--dir", type=Path, default=get_settings().mail_sink_dir)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    controller = start_sink(args.dir, args.port, args.host)
    print(f"Puits SMTP sur {args.host}:{args.port}, mails dans {args.dir.resolve()}", flush=True)
    try:
        # Woken at least every second, so a SIGTERM is never left waiting on a lock.
        while not stop.wait(1.0):
            pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
