"""Who may use the Direct API: PSPID → API key, API secret, webhook key and display name."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEMO_PSPID = "openflexdemo"
DEMO_NAME = "Bee2Link"
DEMO_API_KEY_ID = "DEMOAPIKEY0001"
DEMO_API_SECRET = "demo-api-secret-0001"
DEMO_WEBHOOK_KEY_ID = "DEMOWEBHOOK0001"
DEMO_WEBHOOK_SECRET = "demo-webhook-secret-0001"

ENV = "EPAY_SANDBOX_DIRECT_MERCHANTS"


@dataclass(frozen=True)
class DirectMerchant:
    pspid: str
    api_key_id: str
    api_secret: str
    webhook_key_id: str
    webhook_secret: str
    name: str = DEMO_NAME


DEMO = DirectMerchant(DEMO_PSPID, DEMO_API_KEY_ID, DEMO_API_SECRET, DEMO_WEBHOOK_KEY_ID, DEMO_WEBHOOK_SECRET, DEMO_NAME)


def parse_env(text: str) -> list[DirectMerchant]:
    merchants = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        parts = item.strip().split(":")
        if len(parts) < 5 or not all(parts[:5]):
            raise ValueError(
                f"{ENV}: 'pspid:apiKeyId:apiSecret:webhookKeyId:webhookSecret[:name]' attendu, reçu {item!r}"
            )
        pspid, api_key_id, api_secret, webhook_key_id, webhook_secret = parts[:5]
        name = parts[5] if len(parts) > 5 and parts[5] else DEMO_NAME
        merchants.append(DirectMerchant(pspid, api_key_id, api_secret, webhook_key_id, webhook_secret, name=name))
    return merchants


def from_row(row: Mapping[str, Any]) -> DirectMerchant | None:
    """The optional Direct fields of a ``--merchants`` row (the Sips fields stay as they are)."""
    if not row.get("pspid"):
        return None
    missing = [k for k in ("apiKeyId", "apiSecret", "webhookKeyId", "webhookSecret") if not row.get(k)]
    if missing:
        raise ValueError(f"--merchants: {row['pspid']!r} sans {', '.join(missing)}")
    return DirectMerchant(
        row["pspid"],
        row["apiKeyId"],
        row["apiSecret"],
        row["webhookKeyId"],
        row["webhookSecret"],
        row.get("name", DEMO_NAME),
    )


def load_direct_merchants(path: str | Path | None = None, env: str | None = None) -> dict[str, DirectMerchant]:
    found = [DEMO]
    if path:
        found += [m for m in map(from_row, json.loads(Path(path).read_text())) if m]
    found += parse_env(os.environ.get(ENV, "") if env is None else env)
    return {m.pspid: m for m in found}
