"""getChat, getChatMember and createChatInviteLink."""

from __future__ import annotations

import secrets
from typing import Any

from emulator.errors import bad_request
from emulator.methods.context import Call

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
        return {"status": "member", "user": bot.user_api}
    user = world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    if chat_id > 0:
        if chat_id != user_id:
            raise bad_request("user not found")
        return {"status": "member", "user": user.user_api}
    status = "member" if user_id in world.chats[chat_id].members else "left"
    return {"status": status, "user": user.user_api}


def create_chat_invite_link(call: Call) -> dict[str, Any]:
    """createChatInviteLink for groups, supergroups and channels."""
    world, params = call.state.world, call.params
    chat_id = world.find_chat_id(params.chat_ref())
    world.chat_api(chat_id)
    if chat_id > 0:
        raise bad_request("can't invite members to a private chat")
    link: dict[str, Any] = {
        "invite_link": f"https://t.me/+{secrets.token_urlsafe(12)}",
        "creator": call.bot.user_api,
        "creates_join_request": params.boolean("creates_join_request"),
        "is_primary": False,
        "is_revoked": False,
    }
    for name in ("name",):
        if params.text(name):
            link[name] = params.text(name)
    for name in ("expire_date", "member_limit"):
        value = params.integer(name)
        if value:
            link[name] = value
    return link
