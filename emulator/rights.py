"""Administrator rights of bots in groups and channels, as ChatMember objects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.bots import BotState
from emulator.world import VirtualChat

if TYPE_CHECKING:
    from emulator.state import EmulatorState

# Rights every ChatMemberAdministrator carries, then those only supergroups or channels have.
COMMON_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)
GROUP_RIGHTS = ("can_pin_messages", "can_manage_topics")
CHANNEL_RIGHTS = ("can_post_messages", "can_edit_messages", "can_manage_direct_messages")
ALL_RIGHTS = frozenset(COMMON_RIGHTS + GROUP_RIGHTS + CHANNEL_RIGHTS)

# What a bot gets when promoted without explicit rights (and in the default world).
DEFAULT_BOT_RIGHTS: dict[str, bool] = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_restrict_members": True,
    "can_invite_users": True,
    "can_pin_messages": True,
    "can_post_messages": True,
    "can_edit_messages": True,
}


def admins_from_body(admins: Any, bot_admin: Any, all_bots: Any) -> dict[str, Any]:
    """Decode the control API's admins / bot_admin / all_bots_admin fields of a new chat."""
    rights: dict[int, dict[str, bool] | None] = {}
    if admins is not None:
        if not isinstance(admins, dict):
            raise ValueError('admins must be an object {"<bot_id>": {rights} | true | null}')
        for key, value in admins.items():
            rights[int(key)] = None if value is None or value is False else normalize_rights(value)
    if bot_admin is not None:
        if not isinstance(bot_admin, list):
            raise ValueError("bot_admin must be a list of bot ids")
        for bot_id in bot_admin:
            rights[int(bot_id)] = dict(DEFAULT_BOT_RIGHTS)
    any_rights = None if all_bots in (None, False) else normalize_rights(all_bots)
    return {"bot_rights": rights, "any_bot_rights": any_rights}


def normalize_rights(raw: Any) -> dict[str, bool]:
    """Validate a {right: bool} mapping from the control API (True means default rights)."""
    if raw is True:
        return dict(DEFAULT_BOT_RIGHTS)
    if not isinstance(raw, dict):
        raise ValueError("rights must be an object of can_* booleans (or true)")
    unknown = sorted(set(raw) - ALL_RIGHTS)
    if unknown:
        raise ValueError(f"unknown administrator right: {unknown[0]}")
    if not all(isinstance(value, bool) for value in raw.values()):
        raise ValueError("administrator rights must be booleans")
    rights = {name: value for name, value in raw.items() if value}
    rights["can_manage_chat"] = True  # implied by any other administrator privilege
    return rights


def member_object(
    chat: VirtualChat, user_api: dict[str, Any], rights: dict[str, bool] | None
) -> dict[str, Any]:
    """ChatMemberAdministrator for `rights`, ChatMemberMember otherwise."""
    if rights is None:
        return {"status": "member", "user": user_api}
    names = COMMON_RIGHTS + (CHANNEL_RIGHTS if chat.type == "channel" else GROUP_RIGHTS)
    member: dict[str, Any] = {
        "status": "administrator",
        "user": user_api,
        "can_be_edited": False,
        "is_anonymous": False,
    }
    member.update({name: bool(rights.get(name)) for name in names})
    return member


def bot_user_api(state: EmulatorState, bot_id: int) -> dict[str, Any]:
    """The User object of a bot, known or not (unknown bots get the emulator's naming)."""
    for bot in state.bots.values():
        if bot.bot_id == bot_id:
            return bot.user_api
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": f"Emulated Bot {bot_id}",
        "username": f"emu{bot_id}_bot",
    }


def bot_member(chat: VirtualChat, bot: BotState) -> dict[str, Any]:
    """The bot's own ChatMember in a group or channel."""
    return member_object(chat, bot.user_api, chat.rights_of(bot.bot_id))


def administrators(state: EmulatorState, chat: VirtualChat) -> list[dict[str, Any]]:
    """getChatAdministrators: every bot (known or explicitly listed) with rights here."""
    ids = {bot.bot_id for bot in state.bots.values()} | set(chat.bot_rights)
    admins = []
    for bot_id in sorted(ids):
        rights = chat.rights_of(bot_id)
        if rights is not None:
            admins.append(member_object(chat, bot_user_api(state, bot_id), rights))
    return admins


def set_bot_rights(
    state: EmulatorState, chat: VirtualChat, bot_id: int, rights: dict[str, bool] | None
) -> dict[str, Any] | None:
    """Promote (rights) or demote (None) a bot; a known bot gets my_chat_member."""
    before = chat.rights_of(bot_id)
    chat.bot_rights[bot_id] = rights
    bot = next((b for b in state.bots.values() if b.bot_id == bot_id), None)
    if bot is None or before == rights:
        return None
    user_api = bot.user_api
    payload = {
        "chat": chat.chat_api,
        "from": user_api,
        "date": state.unix_time(),
        "old_chat_member": member_object(chat, user_api, before),
        "new_chat_member": member_object(chat, user_api, rights),
    }
    return bot.updates.push("my_chat_member", payload)


def bots_with_rights(state: EmulatorState, chat: VirtualChat, right: str | None) -> list[BotState]:
    """Known bots that administer the chat (with `right`, when given)."""
    found = []
    for bot in state.bots.values():
        rights = chat.rights_of(bot.bot_id)
        if rights is not None and (right is None or rights.get(right)):
            found.append(bot)
    return found
