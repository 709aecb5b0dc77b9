"""getChat, getChatMember and getChatAdministrators."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.methods.context import Call
from emulator.rights import administrators, bot_member

_GIFT_TYPES = {
    "unlimited_gifts": True,
    "limited_gifts": True,
    "unique_gifts": True,
    "premium_subscription": True,
    "gifts_from_channels": True,
}


def get_chat(call: Call) -> dict[str, Any]:
    """getChat: a ChatFullInfo built from the virtual world."""
    world = call.state.world
    chat_id = world.find_chat_id(call.params.chat_ref())
    info: dict[str, Any] = {
        **world.chat_api(chat_id),
        "accent_color_id": abs(chat_id) % 7,
        "max_reaction_count": 11,
        "accepted_gift_types": _GIFT_TYPES,
    }
    chat = world.chats.get(chat_id)
    if chat is not None and chat.migrated_from is not None:
        info["migrated_from_chat_id"] = chat.migrated_from
    return info


def get_chat_member(call: Call) -> dict[str, Any]:
    """getChatMember: users are members of their private chat and of groups they joined."""
    world, bot = call.state.world, call.bot
    chat_id = world.find_chat_id(call.params.chat_ref())
    world.chat_api(chat_id)
    user_id = call.params.require_int("user_id")
    if user_id == bot.bot_id:
        if chat_id > 0:
            return {"status": "member", "user": bot.user_api}
        return bot_member(world.chats[chat_id], bot)
    user = world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    if chat_id > 0:
        if chat_id != user_id:
            raise bad_request("user not found")
        return {"status": "member", "user": user.user_api}
    status = "member" if user_id in world.chats[chat_id].members else "left"
    return {"status": status, "user": user.user_api}


def get_chat_administrators(call: Call) -> list[dict[str, Any]]:
    """getChatAdministrators: the bots with administrator rights (people are not modelled)."""
    world = call.state.world
    chat_id = world.find_chat_id(call.params.chat_ref())
    world.chat_api(chat_id)
    if chat_id > 0:
        raise bad_request("there are no administrators in the private chat")
    return administrators(call.state, world.chats[chat_id])


def get_chat_member_count(call: Call) -> int:
    """getChatMemberCount: the users of a group or channel (bots are not counted)."""
    world = call.state.world
    chat_id = world.find_chat_id(call.params.chat_ref())
    world.chat_api(chat_id)
    if chat_id > 0:
        return 2  # a private chat: the user and the bot
    return len(world.chats[chat_id].members)
