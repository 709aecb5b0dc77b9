"""How the v2 face says an error: `{"error": "<message>"}`, as the Go service did."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from api.dialects import Dialect
from api.envelope import json_response

# The v2 document knows 400, 401, 404, 502 and 500: a move the lifecycle refuses is a 400.
STATUS = {409: 400}


class V2ErrorResponse(BaseModel):
    """Every v2 error: the message text, exactly as the rules of v2-campaign-api.md word it."""

    error: str


def render_error(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> web.Response:
    """`{"error": message}` with the status (details are left out: the message says it)."""
    return json_response({"error": message}, STATUS.get(status, status))


V2 = Dialect("v2", ("/v2/",), render_error, V2ErrorResponse)
