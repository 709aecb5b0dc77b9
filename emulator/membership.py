"""Membership changes: users blocking bots or joining groups, groups becoming supergroups.

Shared by the HTTP control API and EmulatorServer's convenience methods.
"""

from __future__ import annotations

from typing import Any

from emulator.actions import active_user, chat_for, get_user
from emulator.bots import BotState
from emulator.errors import ControlError
from emulator.rights import bots_with_rights
from emulator.state import EmulatorState


def _bot_member(bot: BotState, blocked: bool) -> dict[str, Any]:
    """The bot's ChatMember in a private chat: kicked when blocked, member otherwise."""
    if blocked:
        return {"status": "kicked", "user": bot.user_api, "until_date": 0}
    return {"status": "member", "user": bot.user_api}


def set_blocked(
    state: EmulatorState, bot: BotState, user_id: int, blocked: bool
) -> dict[str, Any] | None:
    """A user blocks or unblocks the bot; returns the my_chat_member update (None if no change)."""
    user = get_user(state, user_id)
    before = user.is_blocked(bot.bot_id)
    user.block_overrides[bot.bot_id] = blocked
    if before == blocked:
        return None
    payload = {
        "chat": user.chat_api,
        "from": user.user_api,
        "date": state.unix_time(),
        "old_chat_member": _bot_member(bot, before),
        "new_chat_member": _bot_member(bot, blocked),
    }
    return bot.updates.push("my_chat_member", payload)


def join_chat(
    state: EmulatorState, bot: BotState, user_id: int, chat_id: int
) -> dict[str, Any] | None:
    """A user joins a group; the bot gets chat_member if it asked for that update type."""
    user = active_user(state, user_id)
    chat_for(state, user, chat_id)
    chat = state.world.chats[chat_id]
    if user.id in chat.members:
        raise ControlError(409, f"user {user_id} is already a member of {chat_id}")
    chat.members.add(user.id)
    payload = {
        "chat": chat.chat_api,
        "from": user.user_api,
        "date": state.unix_time(),
        "old_chat_member": {"status": "left", "user": user.user_api},
        "new_chat_member": {"status": "member", "user": user.user_api},
    }
    return bot.updates.push("chat_member", payload)


def migrate_group(
    state: EmulatorState, chat_id: int, supergroup_id: int | None = None
) -> dict[str, Any]:
    """Upgrade a group to a supergroup and tell every known bot with service messages."""
    world = state.world
    new_id = supergroup_id if supergroup_id is not None else world.next_supergroup_id()
    try:
        supergroup = world.migrate(chat_id, new_id)
    except ValueError as error:
        raise ControlError(409, str(error)) from None
    old_api = world.chats[chat_id].chat_api
    for bot in state.bots.values():
        for chat_api, field, value in (
            (old_api, "migrate_to_chat_id", supergroup.id),
            (supergroup.chat_api, "migrate_from_chat_id", chat_id),
        ):
            bot.updates.push(
                "message",
                {
                    "message_id": state.messages.log(chat_api["id"]).next_id(),
                    "date": state.unix_time(),
                    "chat": chat_api,
                    field: value,
                },
            )
    return {"old_chat_id": chat_id, "new_chat_id": supergroup.id, "chat": supergroup.to_json()}


def leave_chat(state: EmulatorState, user_id: int, chat_id: int) -> list[dict[str, Any]]:
    """A user leaves a group or channel; administrator bots that asked get chat_member."""
    user = active_user(state, user_id)
    chat = state.world.chats.get(chat_id)
    if chat is None:
        raise ControlError(404, f"chat {chat_id} not found")
    if user.id not in chat.members:
        raise ControlError(409, f"user {user_id} is not a member of {chat_id}")
    chat.members.discard(user.id)
    payload = {
        "chat": chat.chat_api,
        "from": user.user_api,
        "date": state.unix_time(),
        "old_chat_member": {"status": "member", "user": user.user_api},
        "new_chat_member": {"status": "left", "user": user.user_api},
    }
    updates = [
        bot.updates.push("chat_member", dict(payload))
        for bot in bots_with_rights(state, chat, None)
    ]
    return [update for update in updates if update is not None]
