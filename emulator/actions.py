"""What virtual users do in chats: write to bots and press inline buttons.

Shared by the HTTP control API, EmulatorServer's convenience methods and simulated behaviour.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.bots import BotState
from emulator.callbacks import CallbackQueryRecord
from emulator.errors import ControlError
from emulator.formatting import utf16_len
from emulator.invites import open_link
from emulator.media import media_object
from emulator.records import INCOMING, OUTGOING, MessageRecord
from emulator.state import EmulatorState
from emulator.world import VirtualUser

_BOT_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def get_user(state: EmulatorState, user_id: int) -> VirtualUser:
    """The user with this id or a 404 ControlError."""
    user = state.world.users.get(user_id)
    if user is None:
        raise ControlError(404, f"user {user_id} not found")
    return user


def active_user(state: EmulatorState, user_id: int) -> VirtualUser:
    """A user able to act (deactivated accounts cannot)."""
    user = get_user(state, user_id)
    if user.deactivated:
        raise ControlError(409, f"user {user_id} is deactivated")
    return user


def chat_for(state: EmulatorState, user: VirtualUser, chat_id: int | None) -> dict[str, Any]:
    """The Chat object a user writes into: their private chat or a live group."""
    if chat_id is None or chat_id == user.id:
        return user.chat_api
    chat = state.world.chats.get(chat_id)
    if chat is None:
        raise ControlError(404, f"chat {chat_id} not found")
    if chat.migrated_to is not None:
        raise ControlError(409, f"chat {chat_id} was migrated to {chat.migrated_to}")
    return chat.chat_api


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities for every /command in the text, like Telegram clients create."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _BOT_COMMAND.finditer(text)
    ]


def record_incoming(
    state: EmulatorState,
    bot: BotState,
    user: VirtualUser,
    chat_api: dict[str, Any],
    content: dict[str, Any],
    **fields: Any,
) -> dict[str, Any] | None:
    """Store a user's message and enqueue the `message` update for the bot."""
    chat_id = chat_api["id"]
    message = {
        "message_id": state.messages.log(chat_id).next_id(),
        "from": user.user_api,
        "chat": chat_api,
        "date": state.unix_time(),
        **content,
    }
    state.messages.add(
        MessageRecord(
            chat_id=chat_id,
            message_id=message["message_id"],
            date=message["date"],
            direction=INCOMING,
            bot_id=bot.bot_id,
            method="user_message",
            message=message,
            sender_id=user.id,
            **fields,
        )
    )
    return bot.updates.push("message", message)


def quoted_message(state: EmulatorState, chat_id: int, message_id: int | None) -> dict[str, Any]:
    """The reply_to_message of a user's reply (one level deep, like Telegram); {} for none."""
    if message_id is None:
        return {}
    record = state.messages.get(chat_id, message_id)
    if record is None or record.deleted:
        raise ControlError(404, f"message {message_id} not found in chat {chat_id}")
    quoted = dict(record.message)
    quoted.pop("reply_to_message", None)
    return {"reply_to_message": quoted}


def user_sends_text(
    state: EmulatorState,
    bot: BotState,
    user_id: int,
    text: str,
    chat_id: int | None = None,
    reply_to_message_id: int | None = None,
) -> dict[str, Any] | None:
    """A user writes `text` (commands get bot_command entities), maybe as a reply."""
    if not text:
        raise ControlError(400, "text must not be empty")
    user = active_user(state, user_id)
    chat_api = chat_for(state, user, chat_id)
    content: dict[str, Any] = {"text": text}
    content.update(quoted_message(state, chat_api["id"], reply_to_message_id))
    entities = command_entities(text)
    if entities:
        content["entities"] = entities
    if chat_api["type"] == "private" and text.split(maxsplit=1)[0].split("@")[0] == "/start":
        user.started_bots.add(bot.bot_id)
    return record_incoming(
        state, bot, user, chat_api, content, text=text, entities=entities or None
    )


def user_sends_photo(
    state: EmulatorState,
    bot: BotState,
    user_id: int,
    caption: str | None = None,
    chat_id: int | None = None,
) -> dict[str, Any] | None:
    """A user sends a photo (with an optional caption); returns the update."""
    user = active_user(state, user_id)
    chat_api = chat_for(state, user, chat_id)
    number = len(state.messages.log(chat_api["id"]).records) + 1
    stored = state.files.resolve(
        "photo", f"https://emulator.invalid/users/{user.id}/photo{number}.jpg", {}, "photo"
    )
    content: dict[str, Any] = {"photo": media_object("photo", stored)}
    if caption:
        content["caption"] = caption
    return record_incoming(
        state,
        bot,
        user,
        chat_api,
        content,
        caption=caption,
        media_kind="photo",
        media=stored.to_json(),
    )


def _buttons(record: MessageRecord) -> list[dict[str, Any]]:
    """The inline keyboard buttons of a message, row by row."""
    markup = record.reply_markup or {}
    rows = markup.get("inline_keyboard") or []
    return [button for row in rows for button in row]


def _choose_button(
    record: MessageRecord, data: str | None, text: str | None, index: int | None
) -> dict[str, Any]:
    """Pick the button identified by callback data, caption text or flat index."""
    buttons = _buttons(record)
    if not buttons:
        raise ControlError(409, "message has no inline keyboard")
    if index is not None:
        if not 0 <= index < len(buttons):
            raise ControlError(404, f"no button with index {index}")
        return buttons[index]
    for button in buttons:
        if (data is not None and button.get("callback_data") == data) or (
            text is not None and button.get("text") == text
        ):
            return button
    if data is None and text is None and len(buttons) == 1:
        return buttons[0]
    raise ControlError(404, "no matching button (give data, text or index)")


def press_button(
    state: EmulatorState,
    bot: BotState,
    user_id: int,
    message_id: int,
    *,
    chat_id: int | None = None,
    data: str | None = None,
    text: str | None = None,
    index: int | None = None,
) -> dict[str, Any]:
    """A user presses an inline button: a callback_query update, or a recorded URL open."""
    user = active_user(state, user_id)
    chat_id = user.id if chat_id is None else chat_id
    record = state.messages.get(chat_id, message_id)
    if record is None or record.deleted or record.direction != OUTGOING:
        raise ControlError(404, f"message {message_id} not found in chat {chat_id}")
    if record.bot_id != bot.bot_id:
        raise ControlError(409, "message was sent by another bot")
    button = _choose_button(record, data, text, index)
    if "callback_data" in button:
        return _callback_query(state, bot, user, record, button["callback_data"])
    if "url" in button:
        url = button["url"]
        record.url_opens.append({"user_id": user.id, "url": url, "at": state.unix_time()})
        if state.invites.find(url) is None:
            return {"kind": "url", "url": url}
        try:
            invite = open_link(state, user.id, url)
        except ControlError as error:  # revoked, expired, full: the app shows an error
            invite = {"kind": "refused", "error": error.message}
        return {"kind": "url", "url": url, "invite": invite}
    raise ControlError(409, "button has neither callback_data nor url")


def _callback_query(
    state: EmulatorState, bot: BotState, user: VirtualUser, record: MessageRecord, data: str
) -> dict[str, Any]:
    """Register a callback query and enqueue its update."""
    query_id = state.callbacks.new_id(user.id)
    state.callbacks.add(
        CallbackQueryRecord(
            id=query_id,
            bot_id=bot.bot_id,
            user_id=user.id,
            chat_id=record.chat_id,
            message_id=record.message_id,
            data=data,
            created_at=state.config.wall_clock(),
        )
    )
    payload = {
        "id": query_id,
        "from": user.user_api,
        "message": dict(record.message),
        "chat_instance": str(abs(hash((bot.bot_id, record.chat_id))) % 10**18),
        "data": data,
    }
    update = bot.updates.push("callback_query", payload)
    return {"kind": "callback_query", "callback_query_id": query_id, "update": update}
