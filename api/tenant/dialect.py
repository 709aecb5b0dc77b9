"""Errors as the NestJS service this API came from said them.

`{"statusCode": 400, "message": "..." | ["field: problem", ...], "error": "Bad Request"}`,
plus this service's machine-readable `code`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiohttp import web

from api.dialects import Dialect
from api.envelope import json_response
from api.schemas import Out


class NestError(Out):
    """An error answer of the tenant API."""

    status_code: int
    message: str | list[str]
    error: str
    code: str


def _line(detail: dict[str, Any]) -> str:
    field, message = detail.get("field"), str(detail.get("message", ""))
    return f"{field}: {message}" if field else message


def render_error(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> web.Response:
    """A NestJS error body; field problems of a 400 are listed, one string each."""
    lines = [_line(d) for d in details or [] if d.get("message")] if status == 400 else []
    body = NestError(
        status_code=status,
        message=lines or message,
        error=HTTPStatus(status).phrase,
        code=code,
    )
    return json_response(body.model_dump(by_alias=True), status)


TENANT = Dialect("tenant", ("/campaigns",), render_error, NestError)
