"""Control API: users and chats of the virtual world, and what each chat received."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator.control.common import bool_arg, control_route, int_arg, path_int
from emulator.errors import ControlError
from emulator.membership import migrate_group
from emulator.records import INCOMING, OUTGOING
from emulator.state import EmulatorState
from emulator.world_admin import create_chat, create_user, create_users, list_users, update_user

_USER_FIELDS = ("first_name", "last_name", "username", "language_code")
_DIRECTIONS = {"out": OUTGOING, "in": INCOMING, "all": None}


@control_route
async def get_users(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/users[?status=active|blocked|deactivated]."""
    users = list_users(state, body.get("status"))
    return {"count": len(users), "users": [user.to_json() for user in users]}


@control_route
async def post_users(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users: bulk {count, blocked, deactivated, id_start} or one explicit user."""
    if "count" in body:
        users = create_users(
            state,
            int_arg(body, "count") or 0,
            blocked=int_arg(body, "blocked", 0) or 0,
            deactivated=int_arg(body, "deactivated", 0) or 0,
            id_start=int_arg(body, "id_start"),
        )
    else:
        profile = {name: body[name] for name in _USER_FIELDS if name in body}
        users = [
            create_user(
                state,
                id=int_arg(body, "id"),
                is_premium=bool_arg(body, "is_premium"),
                blocked=bool_arg(body, "blocked"),
                deactivated=bool_arg(body, "deactivated"),
                **profile,
            )
        ]
    return {"users": [user.to_json() for user in users]}


@control_route
async def get_user(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/users/{user_id}."""
    user_id = path_int(request, "user_id")
    user = state.world.users.get(user_id)
    if user is None:
        raise ControlError(404, f"user {user_id} not found")
    return user.to_json()


@control_route
async def patch_user(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """PATCH /_emulator/users/{user_id} {blocked?, deactivated?}: silent status change."""
    user = update_user(
        state,
        path_int(request, "user_id"),
        blocked=bool_arg(body, "blocked") if "blocked" in body else None,
        deactivated=bool_arg(body, "deactivated") if "deactivated" in body else None,
    )
    return user.to_json()


@control_route
async def get_chats(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/chats: groups, supergroups and channels."""
    return {"chats": [chat.to_json() for chat in state.world.chats.values()]}


@control_route
async def post_chats(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/chats {type, title?, id?, username?, members?, admins?, bot_admin?, …}."""
    members = body.get("members")
    if members is not None and not isinstance(members, list):
        raise ControlError(400, "members must be a list of user ids")
    chat = create_chat(
        state,
        type=body.get("type", "group"),
        title=body.get("title"),
        id=int_arg(body, "id"),
        username=body.get("username"),
        members=[int(m) for m in members or []],
        admins=body.get("admins"),
        bot_admin=body.get("bot_admin"),
        all_bots_admin=body.get("all_bots_admin"),
    )
    return {"chat": chat.to_json()}


@control_route
async def post_migrate(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/chats/{chat_id}/migrate {supergroup_id?}."""
    return migrate_group(state, path_int(request, "chat_id"), int_arg(body, "supergroup_id"))


@control_route
async def get_messages(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/chats/{chat_id}/messages[?direction=out|in|all][&bot_id=]."""
    direction = body.get("direction", "out")
    if direction not in _DIRECTIONS:
        raise ControlError(400, "direction must be out, in or all")
    chat_id = path_int(request, "chat_id")
    records = state.messages.messages(chat_id, _DIRECTIONS[direction], int_arg(body, "bot_id"))
    return {"chat_id": chat_id, "messages": [record.to_json() for record in records]}


def add_routes(app: web.Application, prefix: str) -> None:
    """Register the world routes."""
    router = app.router
    router.add_get(f"{prefix}/users", get_users)
    router.add_post(f"{prefix}/users", post_users)
    router.add_get(f"{prefix}/users/{{user_id}}", get_user)
    router.add_patch(f"{prefix}/users/{{user_id}}", patch_user)
    router.add_get(f"{prefix}/chats", get_chats)
    router.add_post(f"{prefix}/chats", post_chats)
    router.add_post(f"{prefix}/chats/{{chat_id}}/migrate", post_migrate)
    router.add_get(f"{prefix}/chats/{{chat_id}}/messages", get_messages)
