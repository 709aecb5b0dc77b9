"""Invite links of groups and channels, join requests, and users following links."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.errors import ControlError
from emulator.rights import bots_with_rights
from emulator.world import VirtualChat, VirtualUser

if TYPE_CHECKING:
    from emulator.state import EmulatorState

# t.me/+HASH, t.me/joinchat/HASH and tg://join?invite=HASH all name the same link.
_LINK = re.compile(
    r"(?:https?://)?(?:t\.me|telegram\.me)/(?:\+|joinchat/)([A-Za-z0-9_-]+)"
    r"|tg://join\?invite=([A-Za-z0-9_-]+)"
)


@dataclass(slots=True, eq=False)
class InviteLink:
    """One additional invite link created by a bot."""

    hash: str
    chat_id: int
    creator: dict[str, Any]
    name: str | None = None
    expire_date: int | None = None
    member_limit: int | None = None
    creates_join_request: bool = False
    is_revoked: bool = False
    joined: int = 0
    pending: int = 0

    @property
    def url(self) -> str:
        """The link as Telegram prints it."""
        return f"https://t.me/+{self.hash}"

    def to_api(self, viewer_id: int | None = None) -> dict[str, Any]:
        """ChatInviteLink; other admins see the link with its second half replaced by '…'."""
        url = self.url
        if viewer_id is not None and viewer_id != self.creator["id"]:
            url = url[: len(url) - len(self.hash) // 2] + "…"
        link: dict[str, Any] = {
            "invite_link": url,
            "creator": self.creator,
            "creates_join_request": self.creates_join_request,
            "is_primary": False,
            "is_revoked": self.is_revoked,
        }
        for name in ("name", "expire_date", "member_limit"):
            value = getattr(self, name)
            if value is not None:
                link[name] = value
        if self.creates_join_request:
            link["pending_join_request_count"] = self.pending
        return link

    def to_json(self) -> dict[str, Any]:
        """Control-API view: the full link plus how many joined through it."""
        return {**self.to_api(), "chat_id": self.chat_id, "joined": self.joined}


@dataclass(slots=True)
class JoinRequest:
    """A user waiting for an administrator to approve their join request."""

    chat_id: int
    user_id: int
    link_hash: str
    date: int


class InviteRegistry:
    """Every invite link by hash, and the pending join requests."""

    def __init__(self) -> None:
        self.links: dict[str, InviteLink] = {}
        self.requests: dict[tuple[int, int], JoinRequest] = {}

    def new_link(self, chat_id: int, creator: dict[str, Any]) -> InviteLink:
        """A fresh link with an unguessable hash."""
        link = InviteLink(hash=secrets.token_urlsafe(12), chat_id=chat_id, creator=creator)
        self.links[link.hash] = link
        return link

    def find(self, url: str) -> InviteLink | None:
        """The link a URL names, if this emulator created it."""
        match = _LINK.fullmatch(url.strip())
        if match is None:
            return None
        return self.links.get(match[1] or match[2])

    def for_chat(self, chat_id: int) -> list[InviteLink]:
        """The links of one chat, oldest first."""
        return [link for link in self.links.values() if link.chat_id == chat_id]

    def clear(self) -> None:
        """Forget every link and request."""
        self.links.clear()
        self.requests.clear()


def find_invite_urls(text: str | None) -> list[str]:
    """Invite-link-looking URLs inside a text."""
    return [m[0] for m in _LINK.finditer(text or "")]


def _user(state: EmulatorState, user_id: int) -> VirtualUser:
    """An existing, active user or a ControlError."""
    user = state.world.users.get(user_id)
    if user is None:
        raise ControlError(404, f"user {user_id} not found")
    if user.deactivated:
        raise ControlError(409, f"user {user_id} is deactivated")
    return user


def _usable(state: EmulatorState, link: InviteLink) -> VirtualChat:
    """The chat of a link that still admits people, or why not (409)."""
    chat = state.world.chats.get(link.chat_id)
    if chat is None or chat.migrated_to is not None:
        raise ControlError(409, "the chat of this invite link is gone")
    if link.is_revoked:
        raise ControlError(409, "invite link was revoked")
    if link.expire_date is not None and link.expire_date <= state.unix_time():
        raise ControlError(409, "invite link expired")
    if link.member_limit is not None and link.joined >= link.member_limit:
        raise ControlError(409, "invite link member limit reached")
    return chat


def _push_joined(
    state: EmulatorState, chat: VirtualChat, user: VirtualUser, link: InviteLink, *, approved: bool
) -> list[dict[str, Any]]:
    """chat_member updates for every administrator bot that asked for them."""
    updates = []
    for bot in bots_with_rights(state, chat, None):
        payload: dict[str, Any] = {
            "chat": chat.chat_api,
            "from": user.user_api,
            "date": state.unix_time(),
            "old_chat_member": {"status": "left", "user": user.user_api},
            "new_chat_member": {"status": "member", "user": user.user_api},
            "invite_link": link.to_api(bot.bot_id),
        }
        if approved:
            payload["via_join_request"] = True
        update = bot.updates.push("chat_member", payload)
        if update is not None:
            updates.append(update)
    return updates


def open_link(state: EmulatorState, user_id: int, url: str) -> dict[str, Any]:
    """A user follows an invite link: joins the chat or files a join request."""
    user = _user(state, user_id)
    link = state.invites.find(url)
    if link is None:
        raise ControlError(404, "not an invite link of this emulator")
    chat = _usable(state, link)
    if user.id in chat.members:
        raise ControlError(409, f"user {user_id} is already a member of {chat.id}")
    result: dict[str, Any] = {"chat_id": chat.id, "invite_link": link.to_json()}
    if not link.creates_join_request:
        chat.members.add(user.id)
        link.joined += 1
        updates = _push_joined(state, chat, user, link, approved=False)
        return {**result, "kind": "joined", "updates": updates}
    if (chat.id, user.id) in state.invites.requests:
        raise ControlError(409, f"user {user_id} already asked to join {chat.id}")
    state.invites.requests[(chat.id, user.id)] = JoinRequest(
        chat.id, user.id, link.hash, state.unix_time()
    )
    link.pending += 1
    updates = []
    for bot in bots_with_rights(state, chat, "can_invite_users"):
        payload = {
            "chat": chat.chat_api,
            "from": user.user_api,
            "user_chat_id": user.id,
            "date": state.unix_time(),
            "invite_link": link.to_api(bot.bot_id),
        }
        update = bot.updates.push("chat_join_request", payload)
        if update is not None:
            updates.append(update)
    return {**result, "kind": "join_request", "updates": updates}


def resolve_request(
    state: EmulatorState, chat: VirtualChat, user_id: int, *, approve: bool
) -> bool:
    """approveChatJoinRequest / declineChatJoinRequest: False when there is no such request."""
    request = state.invites.requests.pop((chat.id, user_id), None)
    if request is None:
        return False
    link = state.invites.links.get(request.link_hash)
    if link is not None:
        link.pending = max(0, link.pending - 1)
    user = state.world.users.get(user_id)
    if approve and user is not None and user.id not in chat.members:
        chat.members.add(user.id)
        if link is not None:
            link.joined += 1
            _push_joined(state, chat, user, link, approved=True)
    return True
