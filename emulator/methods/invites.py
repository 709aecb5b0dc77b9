"""Invite link methods: create, edit, revoke, export, and join request decisions."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.invites import InviteLink, resolve_request
from emulator.methods.context import Call
from emulator.world import VirtualChat, migrated_error

NO_RIGHTS = "not enough rights to manage chat invite links"
MAX_MEMBER_LIMIT = 99_999


def _managed_chat(call: Call) -> VirtualChat:
    """The group or channel named by chat_id, where the bot may invite users."""
    world = call.state.world
    chat_id = world.find_chat_id(call.params.chat_ref())
    world.chat_api(chat_id)
    if chat_id > 0:
        raise bad_request("can't invite members to a private chat")
    chat = world.chats[chat_id]
    if chat.migrated_to is not None:
        raise migrated_error(chat.migrated_to)
    rights = chat.rights_of(call.bot.bot_id)
    if rights is None or not rights.get("can_invite_users"):
        raise bad_request(NO_RIGHTS)
    return chat


def _apply_fields(call: Call, link: InviteLink) -> None:
    """Set name, expire_date, member_limit and creates_join_request from the parameters."""
    params = call.params
    name = params.text("name")
    if name is not None and len(name) > 32:
        raise bad_request("invite link name is too long")
    member_limit = params.integer("member_limit") or None
    if member_limit is not None and not 1 <= member_limit <= MAX_MEMBER_LIMIT:
        raise bad_request("member limit must be between 1 and 99999")
    joins_by_request = params.boolean("creates_join_request")
    if joins_by_request and member_limit is not None:
        raise bad_request(
            "member limit can't be specified for links requiring administrator approval"
        )
    link.name = name or None
    link.expire_date = params.integer("expire_date") or None
    link.member_limit = member_limit
    link.creates_join_request = joins_by_request


def _existing_link(call: Call, chat: VirtualChat) -> InviteLink:
    """The link named by the invite_link parameter, which must belong to this chat."""
    url = call.params.text("invite_link") or ""
    link = call.state.invites.find(url)
    if link is None or link.chat_id != chat.id:
        raise bad_request("INVITE_HASH_EXPIRED")
    return link


def create_chat_invite_link(call: Call) -> dict[str, Any]:
    """createChatInviteLink: an additional link (needs can_invite_users)."""
    chat = _managed_chat(call)
    probe = InviteLink(hash="", chat_id=chat.id, creator=call.bot.user_api)
    _apply_fields(call, probe)  # validate before a link exists
    link = call.state.invites.new_link(chat.id, call.bot.user_api)
    _apply_fields(call, link)
    return link.to_api(call.bot.bot_id)


def edit_chat_invite_link(call: Call) -> dict[str, Any]:
    """editChatInviteLink: replace name, expiry, limit and join-request flag."""
    chat = _managed_chat(call)
    link = _existing_link(call, chat)
    if link.is_revoked:
        raise bad_request("INVITE_HASH_EXPIRED")
    _apply_fields(call, link)
    return link.to_api(call.bot.bot_id)


def revoke_chat_invite_link(call: Call) -> dict[str, Any]:
    """revokeChatInviteLink: the link stops admitting people; returns it with is_revoked."""
    chat = _managed_chat(call)
    link = _existing_link(call, chat)
    link.is_revoked = True
    return link.to_api(call.bot.bot_id)


def export_chat_invite_link(call: Call) -> str:
    """exportChatInviteLink: a new primary link (kept as a plain link here)."""
    chat = _managed_chat(call)
    link = call.state.invites.new_link(chat.id, call.bot.user_api)
    return link.url


def _decide(call: Call, approve: bool) -> bool:
    """Shared body of approve/declineChatJoinRequest."""
    chat = _managed_chat(call)
    user_id = call.params.require_int("user_id")
    if approve and user_id in chat.members:
        raise bad_request("USER_ALREADY_PARTICIPANT")
    if not resolve_request(call.state, chat, user_id, approve=approve):
        raise bad_request("HIDE_REQUESTER_MISSING")
    return True


def approve_chat_join_request(call: Call) -> bool:
    """approveChatJoinRequest: the user joins (chat_member update with the link)."""
    return _decide(call, True)


def decline_chat_join_request(call: Call) -> bool:
    """declineChatJoinRequest."""
    return _decide(call, False)
