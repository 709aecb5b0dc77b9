"""Per-chat message history: everything sent to or from each chat, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OUTGOING = "out"  # sent by a bot into the chat
INCOMING = "in"  # sent by a virtual user to a bot


@dataclass(slots=True, eq=False)
class MessageRecord:
    """One message as stored by the emulator, with its edit history and fate."""

    chat_id: int
    message_id: int
    date: int
    direction: str
    bot_id: int
    method: str
    message: dict[str, Any]
    text: str | None = None
    entities: list[dict[str, Any]] | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] | None = None
    parse_mode: str | None = None
    media_kind: str | None = None
    media: dict[str, Any] | None = None
    reply_markup: dict[str, Any] | None = None
    allow_paid_broadcast: bool = False
    media_group_id: str | None = None
    sender_id: int | None = None
    origin: dict[str, int] | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    deleted_at: int | None = None
    url_opens: list[dict[str, Any]] = field(default_factory=list)

    def content(self) -> dict[str, Any]:
        """The editable part of the message, used for edit history snapshots."""
        return {
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "caption_entities": self.caption_entities,
            "reply_markup": self.reply_markup,
        }

    def to_json(self) -> dict[str, Any]:
        """Describe the record for the control API."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "date": self.date,
            "direction": self.direction,
            "bot_id": self.bot_id,
            "method": self.method,
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "caption_entities": self.caption_entities,
            "parse_mode": self.parse_mode,
            "media_kind": self.media_kind,
            "media": self.media,
            "reply_markup": self.reply_markup,
            "allow_paid_broadcast": self.allow_paid_broadcast,
            "media_group_id": self.media_group_id,
            "sender_id": self.sender_id,
            "origin": self.origin,
            "edits": self.edits,
            "deleted": self.deleted,
            "deleted_at": self.deleted_at,
            "url_opens": self.url_opens,
            "message": self.message,
        }


class ChatLog:
    """The ordered messages of one chat and its message_id counter."""

    __slots__ = ("_last_id", "by_id", "records")

    def __init__(self) -> None:
        self._last_id = 0
        self.records: list[MessageRecord] = []
        self.by_id: dict[int, MessageRecord] = {}

    def next_id(self) -> int:
        """Allocate the next message_id of this chat."""
        self._last_id += 1
        return self._last_id


class MessageStore:
    """All chat logs, keyed by chat id."""

    def __init__(self) -> None:
        self.logs: dict[int, ChatLog] = {}

    def log(self, chat_id: int) -> ChatLog:
        """The log of a chat, created on first use."""
        log = self.logs.get(chat_id)
        if log is None:
            log = self.logs[chat_id] = ChatLog()
        return log

    def add(self, record: MessageRecord) -> None:
        """Append a record whose message_id came from `log(chat_id).next_id()`."""
        log = self.log(record.chat_id)
        log.records.append(record)
        log.by_id[record.message_id] = record

    def get(self, chat_id: int, message_id: int) -> MessageRecord | None:
        """Find a message by chat and id."""
        log = self.logs.get(chat_id)
        return log.by_id.get(message_id) if log is not None else None

    def messages(
        self, chat_id: int, direction: str | None = OUTGOING, bot_id: int | None = None
    ) -> list[MessageRecord]:
        """Messages of a chat in order, optionally filtered by direction and bot."""
        log = self.logs.get(chat_id)
        if log is None:
            return []
        return [
            r
            for r in log.records
            if (direction is None or r.direction == direction)
            and (bot_id is None or r.bot_id == bot_id)
        ]

    def clear(self) -> None:
        """Forget every message (message_id counters restart too)."""
        self.logs.clear()
