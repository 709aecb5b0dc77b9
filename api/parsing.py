"""Request parsing into pydantic models, with errors that name every bad field."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)
MAX_BODY = 1024 * 1024


class PayloadTooLarge(Exception):
    """The request body exceeds the route's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body exceeds {limit // 1024} KiB.")
        self.limit = limit


FRIENDLY = {
    "timezone_aware": "must include a time zone, e.g. 2024-11-24T10:00:00Z",
    "extra_forbidden": "is not a known field",
    "missing": "is required",
}


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """One {field, message, type} per pydantic error, with friendlier wording."""
    details = []
    for item in error.errors(include_url=False):
        message = FRIENDLY.get(item["type"], item["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        details.append(
            {"field": _field_path(item["loc"]), "message": message, "type": item["type"]}
        )
    return details


def validate_model(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc)
        fields = ", ".join(sorted({d["field"] for d in details}))
        raise ValidationFailed(f"Invalid {what}: {fields}.", details=details) from None


async def read_json(request: web.Request, *, limit: int = MAX_BODY) -> Any:
    """The JSON body (None when empty); 413 past `limit`, 400 when malformed."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    # read(n) returns what has arrived so far; keep reading until the body ends.
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(
            "The body is not valid JSON.",
            details=[{"field": "body", "message": str(exc)}],
            code="MALFORMED_JSON",
        ) from None


async def parse_body(
    request: web.Request, model: type[M], *, optional: bool = False, limit: int = MAX_BODY
) -> M:
    """The body validated as `model`; an empty body is allowed only when `optional`."""
    data = await read_json(request, limit=limit)
    if data is None:
        if optional:
            return model()
        raise ValidationFailed(
            "A JSON body is required.", details=[{"field": "body", "message": "is required"}]
        )
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The body must be a JSON object.",
            details=[{"field": "body", "message": "not an object"}],
        )
    return validate_model(model, data, "request body")


def parse_query(request: web.Request, model: type[M]) -> M:
    """Query parameters validated as `model` (repeated keys keep their last value)."""
    return validate_model(model, dict(request.query), "query parameters")
