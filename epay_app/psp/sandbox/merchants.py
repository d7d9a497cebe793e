"""Who may use the sandbox: merchant id → secret key, key version and display name."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    secret_key: str
    key_version: int = 1
    name: str = "Bee2Link"


DEMO = Merchant("002001000000002", "002001000000002_KEY1", 1, "Bee2Link")


def parse_env(text: str) -> list[Merchant]:
    merchants = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        parts = item.strip().split(":")
        if len(parts) < 2:
            raise ValueError(f"EPAY_SANDBOX_MERCHANTS: 'id:key:version[:name]' attendu, reçu {item!r}")
        version = int(parts[2]) if len(parts) > 2 and parts[2] else 1
        name = parts[3] if len(parts) > 3 else "Bee2Link"
        merchants.append(Merchant(parts[0], parts[1], version, name))
    return merchants


def load_merchants(path: str | Path | None = None, env: str | None = None) -> dict[str, Merchant]:
    found = [DEMO]
    if path:
        for row in json.loads(Path(path).read_text()):
            found.append(
                Merchant(
                    row["merchantId"], row["secretKey"], int(row.get("keyVersion", 1)), row.get("name", "Bee2Link")
                )
            )
    found += parse_env(os.environ.get("EPAY_SANDBOX_MERCHANTS", "") if env is None else env)
    return {m.merchant_id: m for m in found}
