"""Bounded request bodies for the PSP routes (ours and the sandbox's)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_BODY = 64 * 1024


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise BadRequest("Requête trop volumineuse", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest("Requête trop volumineuse", 413)
        chunks.append(chunk)
    return b"".join(chunks)


FORM_TYPE = "application/x-www-form-urlencoded"


async def read_form(request: Request, limit: int = MAX_BODY) -> dict[str, str]:
    # Sips posts urlencoded forms only; reading another media type as one would accept a body
    # the sender did not mean as a form.
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise BadRequest("Formulaire attendu (application/x-www-form-urlencoded)", 415)
    body = await read_body(request, limit)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("Formulaire illisible") from exc
    return dict(pairs)


async def read_json(request: Request, limit: int = MAX_BODY) -> dict[str, Any]:
    body = await read_body(request, limit)
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise BadRequest("JSON illisible") from exc
    if not isinstance(data, dict):
        raise BadRequest("Un objet JSON est attendu")
    return data
