"""Editing the virtual world on request: users, chats and their statuses."""

from __future__ import annotations

from typing import Any

from emulator.errors import ControlError
from emulator.population import make_user, populate_users
from emulator.rights import admins_from_body
from emulator.state import EmulatorState
from emulator.world import VirtualChat, VirtualUser


def create_users(
    state: EmulatorState,
    count: int,
    *,
    blocked: int = 0,
    deactivated: int = 0,
    id_start: int | None = None,
) -> list[VirtualUser]:
    """Bulk-create users with generated profiles; ids follow the highest existing one."""
    try:
        return populate_users(
            state.world,
            count,
            blocked=blocked,
            deactivated=deactivated,
            id_start=id_start,
            rng=state.rng,
        )
    except ValueError as error:
        raise ControlError(400, str(error)) from None


def create_user(
    state: EmulatorState,
    *,
    id: int | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
    is_premium: bool = False,
    blocked: bool = False,
    deactivated: bool = False,
) -> VirtualUser:
    """Create one user; profile fields left as None are generated ("" means absent)."""
    world = state.world
    user_id = id if id is not None else max(world.users, default=state.config.user_id_start - 1) + 1
    generated = make_user(user_id, len(world.users), state.rng)
    user = VirtualUser(
        id=user_id,
        first_name=first_name or generated.first_name,
        last_name=last_name if last_name is not None else generated.last_name,
        username=username if username is not None else generated.username,
        language_code=language_code if language_code is not None else generated.language_code,
        is_premium=is_premium,
        blocked=blocked,
        deactivated=deactivated,
    )
    try:
        return world.add_user(user)
    except ValueError as error:
        raise ControlError(409, str(error)) from None


def update_user(
    state: EmulatorState,
    user_id: int,
    *,
    blocked: bool | None = None,
    deactivated: bool | None = None,
) -> VirtualUser:
    """Change a user's default block flag (all bots) or deactivate/reactivate the account."""
    user = state.world.users.get(user_id)
    if user is None:
        raise ControlError(404, f"user {user_id} not found")
    if blocked is not None:
        user.blocked = blocked
        user.block_overrides.clear()
    if deactivated is not None:
        user.deactivated = deactivated
    return user


def list_users(state: EmulatorState, status: str | None = None) -> list[VirtualUser]:
    """All users, optionally only those with a given summary status."""
    users = state.world.users.values()
    if status is None:
        return list(users)
    return [user for user in users if user.status() == status]


def create_chat(
    state: EmulatorState,
    *,
    type: str = "group",
    title: str | None = None,
    id: int | None = None,
    username: str | None = None,
    members: list[int] | None = None,
    admins: dict[str, Any] | None = None,
    bot_admin: list[int] | None = None,
    all_bots_admin: bool | dict[str, bool] | None = None,
) -> VirtualChat:
    """Create a group, supergroup or channel; bots are members, admins when listed."""
    world = state.world
    if id is None:
        id = world.next_group_id() if type == "group" else world.next_supergroup_id()
    try:
        rights = admins_from_body(admins, bot_admin, all_bots_admin)
    except (TypeError, ValueError) as error:
        raise ControlError(400, str(error)) from None
    unknown = [uid for uid in members or [] if uid not in world.users]
    if unknown:
        raise ControlError(404, f"user {unknown[0]} not found")
    chat = VirtualChat(
        id=id,
        type=type,
        title=title or f"{type.title()} {abs(id)}",
        username=username,
        members=set(members or []),
        **rights,
    )
    try:
        return world.add_chat(chat)
    except ValueError as error:
        raise ControlError(409 if "exists" in str(error) else 400, str(error)) from None
