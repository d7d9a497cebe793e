"""Sips 2.0 wire format, shared by the adapter and the sandbox: Data strings and seals.

Pure functions; the vectors in tests/unit/test_sips_seals.py were derived by hand from
Worldline's published algorithm, so a bug here cannot hide behind both sides agreeing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from .interface import MalformedResponse

HMAC_SHA256 = "HMAC-SHA-256"
PAYPAGE_INTERFACE = "HP_2.31"
# The interface versions of the public Sips Office SDK whose field lists we follow
# (warehousenantes/sips-office-sdk-php @ ecfb6e5: Refund/Cancel CR_WS_2.27, GetTransactionData
# DR_WS_2.27); getTransactionData's separate `getTransDataResponseCode` belongs to those lists.
CASH_INTERFACE = "CR_WS_2.27"
DIAG_INTERFACE = "DR_WS_2.27"
# Fields left out of an Office seal: the SDK's JsonSealCalculator ignores keyVersion, sealAlgorithm
# and seal both when sealing a request and when checking a response (isCorrectSeal).
JSON_REQUEST_SEAL_EXCLUDED = frozenset({"keyVersion", "sealAlgorithm", "seal"})
JSON_RESPONSE_SEAL_EXCLUDED = JSON_REQUEST_SEAL_EXCLUDED


def encode_data(fields: Mapping[str, Any]) -> str:
    """`k=v|k=v`, in the given order; empty values are left out."""
    parts = []
    for key, value in fields.items():
        text = "" if value is None else str(value)
        if text == "":
            continue
        if "|" in text or "|" in key or "=" in key:
            raise ValueError(f"Sips Data cannot carry {key!r}={text!r}")
        parts.append(f"{key}={text}")
    return "|".join(parts)


def parse_data(data: str) -> dict[str, str]:
    # Sips fields are printable text. A control character (a NUL in a tampered merchantId) would
    # reach the database's lookups, and PostgreSQL refuses NUL in text: refused here, as malformed.
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in data or ""):
        raise MalformedResponse("Data illisible : caractère de contrôle")
    fields: dict[str, str] = {}
    for part in (data or "").split("|"):
        if not part:
            continue
        key, sep, value = part.partition("=")  # values may hold '=' (URLs)
        if not sep or not key:
            raise MalformedResponse(f"Data illisible : {part[:40]!r}")
        fields[key.strip()] = value
    if not fields:
        raise MalformedResponse("Data vide")
    return fields


def b64_encode(data: str) -> str:
    return base64.b64encode(data.encode("utf-8")).decode("ascii")


def b64_decode(text: str) -> str:
    """Standard or URL-safe alphabet, padding optional."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True).decode("utf-8")
    # ValueError too: b64decode raises it (not binascii.Error) for non-ASCII text.
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise MalformedResponse("Data base64 illisible") from exc


def posted_data(fields: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """(Data as posted, its parsed fields) from a Paypage POST (request or response)."""
    raw = fields.get("Data") or ""
    if not raw:
        raise MalformedResponse("Champ Data manquant")
    text = b64_decode(raw) if (fields.get("Encode") or "").lower() == "base64" else raw
    return raw, parse_data(text)


def paypage_seal(data: str, secret_key: str, algorithm: str = HMAC_SHA256) -> str:
    """HMAC-SHA256(key, Data) or, without SealAlgorithm, legacy SHA-256(Data + key). Lowercase hex."""
    if algorithm == HMAC_SHA256:
        return hmac.new(secret_key.encode(), data.encode(), hashlib.sha256).hexdigest()
    if algorithm in ("", None):
        return hashlib.sha256((data + secret_key).encode()).hexdigest()
    raise MalformedResponse(f"SealAlgorithm non supporté : {algorithm!r}")


def json_seal_input(payload: Any, excluded: frozenset[str] = frozenset()) -> str:
    """Values only, fields sorted by name (recursively), no separator."""
    if isinstance(payload, Mapping):
        return "".join(json_seal_input(payload[key]) for key in sorted(payload) if key not in excluded)
    if isinstance(payload, (list, tuple)):
        return "".join(json_seal_input(item) for item in payload)
    if isinstance(payload, bool):
        return "true" if payload else "false"
    if payload is None:
        return ""
    return str(payload)


def json_seal(
    payload: Mapping[str, Any], secret_key: str, excluded: frozenset[str] = JSON_REQUEST_SEAL_EXCLUDED
) -> str:
    message = json_seal_input(payload, excluded)
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def seals_match(expected: str, received: str | None) -> bool:
    return hmac.compare_digest(expected.lower().encode(), (received or "").strip().lower().encode())
