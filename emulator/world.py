"""The virtual world: users, group-like chats and their relations to bots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.errors import ApiError, bad_request, chat_not_found, forbidden

GROUP_TYPES = frozenset({"group", "supergroup", "channel"})


@dataclass(slots=True, eq=False)
class VirtualUser:
    """A Telegram user who may talk to any emulated bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool = False
    phone_number: str | None = None
    deactivated: bool = False
    # Default for every bot; per-bot choices made later live in `block_overrides`.
    blocked: bool = False
    # False for a user a person drives through the control API (the demo's admin): the
    # simulated behaviour (greeting, clicking) leaves that chat alone.
    autonomous: bool = True
    block_overrides: dict[int, bool] = field(default_factory=dict)
    started_bots: set[int] = field(default_factory=set)
    chat_api: dict[str, Any] = field(default_factory=dict)
    user_api: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.user_api = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        self.chat_api = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            value = getattr(self, key)
            if value:
                self.user_api[key] = value
                self.chat_api[key] = value
        if self.language_code:
            self.user_api["language_code"] = self.language_code
        if self.is_premium:
            self.user_api["is_premium"] = True
        if self.phone_number is None:
            self.phone_number = f"+1555{self.id % 10_000_000:07d}"

    def is_blocked(self, bot_id: int) -> bool:
        """Whether this user has blocked the given bot."""
        return self.block_overrides.get(bot_id, self.blocked)

    def status(self) -> str:
        """Summary status: active, blocked (for all bots by default) or deactivated."""
        if self.deactivated:
            return "deactivated"
        return "blocked" if self.blocked else "active"

    def to_json(self) -> dict[str, Any]:
        """Describe the user for the control API."""
        return {
            **self.user_api,
            "status": self.status(),
            "blocked": self.blocked,
            "deactivated": self.deactivated,
            "blocked_bots": sorted(b for b, v in self.block_overrides.items() if v),
            "unblocked_bots": sorted(b for b, v in self.block_overrides.items() if not v),
            "started_bots": sorted(self.started_bots),
        }


@dataclass(slots=True, eq=False)
class VirtualChat:
    """A group, supergroup or channel; bots are assumed to be members."""

    id: int
    type: str
    title: str
    username: str | None = None
    members: set[int] = field(default_factory=set)
    migrated_to: int | None = None
    migrated_from: int | None = None
    # Administrator rights of bots: per bot id (None = demoted to plain member), and
    # `any_bot_rights` for every bot not listed (the default world promotes every bot).
    bot_rights: dict[int, dict[str, bool] | None] = field(default_factory=dict)
    any_bot_rights: dict[str, bool] | None = None
    chat_api: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.chat_api = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            self.chat_api["username"] = self.username

    def rights_of(self, bot_id: int) -> dict[str, bool] | None:
        """The administrator rights of a bot here, or None when it is a plain member."""
        if bot_id in self.bot_rights:
            return self.bot_rights[bot_id]
        return self.any_bot_rights

    def to_json(self) -> dict[str, Any]:
        """Describe the chat for the control API."""
        return {
            **self.chat_api,
            "members": sorted(self.members),
            "migrated_to": self.migrated_to,
            "migrated_from": self.migrated_from,
            "admins": {str(bot): rights for bot, rights in self.bot_rights.items() if rights},
            "demoted_bots": sorted(b for b, r in self.bot_rights.items() if r is None),
            "any_bot_rights": self.any_bot_rights,
        }


@dataclass(slots=True)
class Target:
    """Where a bot is sending: a private chat (with `user`) or a group-like `chat`."""

    chat_id: int
    chat_api: dict[str, Any]
    is_private: bool
    user: VirtualUser | None = None
    chat: VirtualChat | None = None
    reply_to: dict[str, Any] | None = None


class World:
    """Registry of users and chats with Telegram's lookup and delivery rules."""

    def __init__(self) -> None:
        self.users: dict[int, VirtualUser] = {}
        self.chats: dict[int, VirtualChat] = {}
        self._usernames: dict[str, int] = {}

    def add_user(self, user: VirtualUser) -> VirtualUser:
        """Register a user, refusing id clashes."""
        if user.id <= 0:
            raise ValueError("user ids must be positive")
        if user.id in self.users:
            raise ValueError(f"user {user.id} already exists")
        self.users[user.id] = user
        return user

    def add_chat(self, chat: VirtualChat) -> VirtualChat:
        """Register a group-like chat, refusing id clashes."""
        if chat.type not in GROUP_TYPES:
            raise ValueError(f"chat type must be one of {sorted(GROUP_TYPES)}")
        if chat.id >= 0:
            raise ValueError("group chat ids must be negative")
        if chat.id in self.chats:
            raise ValueError(f"chat {chat.id} already exists")
        if chat.username:
            key = chat.username.lower()
            if key in self._usernames:
                raise ValueError(f"username @{chat.username} is taken")
            self._usernames[key] = chat.id
        self.chats[chat.id] = chat
        return chat

    def migrate(self, group_id: int, supergroup_id: int) -> VirtualChat:
        """Upgrade a basic group to a new supergroup and link both ids."""
        group = self.chats.get(group_id)
        if group is None or group.type != "group":
            raise ValueError(f"chat {group_id} is not a basic group")
        if group.migrated_to is not None:
            raise ValueError(f"chat {group_id} was already migrated")
        supergroup = self.add_chat(
            VirtualChat(
                id=supergroup_id,
                type="supergroup",
                title=group.title,
                members=set(group.members),
                migrated_from=group_id,
                bot_rights=dict(group.bot_rights),
                any_bot_rights=group.any_bot_rights,
            )
        )
        group.migrated_to = supergroup_id
        return supergroup

    def next_supergroup_id(self) -> int:
        """A fresh id in Telegram's -100… supergroup range."""
        lowest = min((c for c in self.chats if c < -1_000_000_000_000), default=-1_001_000_000_000)
        return lowest - 1

    def next_group_id(self) -> int:
        """A fresh id in the basic-group range."""
        basic = [c for c in self.chats if -1_000_000_000_000 < c < 0]
        return min(basic, default=-400_000_000) - 1

    def find_chat_id(self, ref: int | str) -> int:
        """Resolve an id or @username to a chat id, or raise "chat not found"."""
        if isinstance(ref, int):
            return ref
        chat_id = self._usernames.get(ref[1:].lower())
        if chat_id is None:
            raise chat_not_found()
        return chat_id

    def target(self, ref: int | str, bot_id: int, *, require_start: bool = False) -> Target:
        """Resolve where a bot may send, applying block/deactivation/migration rules."""
        chat_id = self.find_chat_id(ref)
        if chat_id > 0:
            user = self.users.get(chat_id)
            if user is None:
                raise chat_not_found()
            if user.deactivated:
                raise forbidden("user is deactivated")
            if user.is_blocked(bot_id):
                raise forbidden("bot was blocked by the user")
            if require_start and bot_id not in user.started_bots:
                raise forbidden("bot can't initiate conversation with a user")
            return Target(chat_id, user.chat_api, True, user=user)
        chat = self.chats.get(chat_id)
        if chat is None:
            raise chat_not_found()
        if chat.migrated_to is not None:
            raise migrated_error(chat.migrated_to)
        return Target(chat_id, chat.chat_api, False, chat=chat)

    def chat_api(self, chat_id: int) -> dict[str, Any]:
        """The Chat object of any known chat, or raise "chat not found"."""
        if chat_id > 0:
            user = self.users.get(chat_id)
            if user is not None:
                return user.chat_api
        else:
            chat = self.chats.get(chat_id)
            if chat is not None:
                return chat.chat_api
        raise chat_not_found()


def migrated_error(new_chat_id: int) -> ApiError:
    """The 400 Telegram answers for sends to a group that became a supergroup."""
    return bad_request(
        "group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": new_chat_id}
    )
