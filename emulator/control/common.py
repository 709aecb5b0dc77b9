"""Shared plumbing of the control API: JSON in/out and error mapping."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from emulator.errors import ControlError
from emulator.state import STATE_KEY, EmulatorState

ControlHandler = Callable[[web.Request, EmulatorState, dict[str, Any]], Awaitable[Any]]


def json_response(data: Any, status: int = 200) -> web.Response:
    """Serialize with orjson."""
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def control_route(handler: ControlHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Decode the JSON body (plus query string), run the handler and map errors to JSON."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.Response:
        try:
            body: dict[str, Any] = dict(request.query)
            raw = await request.read()
            if raw:
                decoded = orjson.loads(raw)
                if not isinstance(decoded, dict):
                    raise ControlError(400, "request body must be a JSON object")
                body.update(decoded)
            result = await handler(request, request.app[STATE_KEY], body)
        except ControlError as error:
            return json_response({"error": error.message}, error.status)
        except orjson.JSONDecodeError:
            return json_response({"error": "request body is not valid JSON"}, 400)
        except (ValueError, TypeError) as error:
            return json_response({"error": str(error)}, 400)
        if isinstance(result, web.Response):
            return result
        return json_response(result)

    return wrapper


def int_arg(body: dict[str, Any], name: str, default: int | None = None) -> int | None:
    """An optional integer field (query strings arrive as text)."""
    value = body.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ControlError(400, f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be an integer") from None


def required_int(body: dict[str, Any], name: str) -> int:
    """A mandatory integer field."""
    value = int_arg(body, name)
    if value is None:
        raise ControlError(400, f"{name} is required")
    return value


def bool_arg(body: dict[str, Any], name: str, default: bool = False) -> bool:
    """A boolean field; query strings may say 1/0/true/false."""
    value = body.get(name, default)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    return bool(value)


def path_int(request: web.Request, name: str) -> int:
    """An integer path segment."""
    try:
        return int(request.match_info[name])
    except ValueError:
        raise ControlError(400, f"{name} must be an integer") from None
