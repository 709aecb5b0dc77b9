"""The response envelope of campaigns-api.md and JSON encoding."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, e.g. 2024-06-01T10:00:00Z."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat of a UTC time ends in "+00:00"
    return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")[:-6] + "Z"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(payload: Any) -> bytes:
    """Fast JSON encoding that understands datetimes and pydantic models."""
    return orjson.dumps(payload, default=_default)


def json_response(payload: Any, status: int = 200) -> web.Response:
    """A JSON response with the given body."""
    return web.Response(body=dumps(payload), status=status, content_type="application/json")


def ok(data: Any, status: int = 200, **extra: Any) -> web.Response:
    """`{"success": true, "data": ...}`."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", by_alias=True)
    return json_response({"success": True, "data": data, **extra}, status)


def fail(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> web.Response:
    """`{"success": false, "error": {code, message, details}}`."""
    body = {"success": False, "error": {"code": code, "message": message, "details": details or []}}
    return json_response(body, status)
