"""Control API: make a virtual user act towards a bot."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator import actions, membership
from emulator.control.common import control_route, int_arg, path_int, required_int
from emulator.errors import ControlError
from emulator.state import EmulatorState


def _text(body: dict[str, Any], name: str) -> str | None:
    """An optional string field."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ControlError(400, f"{name} must be a string")
    return value


@control_route
async def post_send(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/send {token?, text, chat_id?, reply_to_message_id?}."""
    bot = state.known_bot(body.get("token"))
    update = actions.user_sends_text(
        state,
        bot,
        path_int(request, "user_id"),
        _text(body, "text") or "",
        int_arg(body, "chat_id"),
        int_arg(body, "reply_to_message_id"),
    )
    return {"update": update}


@control_route
async def post_photo(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/photo {token?, caption?, chat_id?}."""
    bot = state.known_bot(body.get("token"))
    update = actions.user_sends_photo(
        state, bot, path_int(request, "user_id"), _text(body, "caption"), int_arg(body, "chat_id")
    )
    return {"update": update}


@control_route
async def post_press(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/press {token?, message_id, chat_id?, data|text|index}."""
    bot = state.known_bot(body.get("token"))
    return actions.press_button(
        state,
        bot,
        path_int(request, "user_id"),
        required_int(body, "message_id"),
        chat_id=int_arg(body, "chat_id"),
        data=_text(body, "data"),
        text=_text(body, "text"),
        index=int_arg(body, "index"),
    )


@control_route
async def post_block(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/block {token?}."""
    bot = state.known_bot(body.get("token"))
    return {"update": membership.set_blocked(state, bot, path_int(request, "user_id"), True)}


@control_route
async def post_unblock(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/unblock {token?}."""
    bot = state.known_bot(body.get("token"))
    return {"update": membership.set_blocked(state, bot, path_int(request, "user_id"), False)}


@control_route
async def post_join(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/join {token?, chat_id}."""
    bot = state.known_bot(body.get("token"))
    update = membership.join_chat(
        state, bot, path_int(request, "user_id"), required_int(body, "chat_id")
    )
    return {"update": update}


def add_routes(app: web.Application, prefix: str) -> None:
    """Register the user action routes."""
    base = f"{prefix}/users/{{user_id}}"
    app.router.add_post(f"{base}/send", post_send)
    app.router.add_post(f"{base}/photo", post_photo)
    app.router.add_post(f"{base}/press", post_press)
    app.router.add_post(f"{base}/block", post_block)
    app.router.add_post(f"{base}/unblock", post_unblock)
    app.router.add_post(f"{base}/join", post_join)
