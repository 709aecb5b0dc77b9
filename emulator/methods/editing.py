"""editMessageText, editMessageCaption, editMessageReplyMarkup and deleteMessage."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.media import MEDIA_KINDS
from emulator.methods.context import Call
from emulator.records import OUTGOING, MessageRecord
from emulator.validation import inline_keyboard, message_text, params_caption, reply_markup

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _editable(call: Call) -> MessageRecord:
    """The bot's own message addressed by chat_id + message_id."""
    params = call.params
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat_id = call.state.world.find_chat_id(params.chat_ref())
    record = call.state.messages.get(chat_id, params.require_int("message_id"))
    if record is None or record.deleted:
        raise bad_request("message to edit not found")
    if record.direction != OUTGOING or record.bot_id != call.bot.bot_id:
        raise bad_request("message can't be edited")
    return record


def _apply_edit(call: Call, record: MessageRecord, changes: dict[str, Any]) -> dict[str, Any]:
    """Update the record and its Message, keep a before/after history entry."""
    before = record.content()
    after = {**before, **changes}
    if after == before:
        raise bad_request(_NOT_MODIFIED)
    date = call.state.unix_time()
    record.edits.append({"method": call.method, "date": date, "before": before, "after": after})
    message = record.message
    for name, value in changes.items():
        setattr(record, name, value)
        shown = inline_keyboard(value) if name == "reply_markup" else value
        if shown:
            message[name] = shown
        else:
            message.pop(name, None)
    message["edit_date"] = date
    return dict(message)


def edit_message_text(call: Call) -> dict[str, Any]:
    """editMessageText (omitting reply_markup removes the inline keyboard, as in Telegram)."""
    record = _editable(call)
    if record.text is None or record.media_kind is not None:
        raise bad_request("there is no text in the message to edit")
    text = message_text(call.params, call.state.config)
    markup = reply_markup(call.params, call.state.config)
    return _apply_edit(
        call,
        record,
        {"text": text.text, "entities": text.entities, "reply_markup": markup},
    )


def edit_message_caption(call: Call) -> dict[str, Any]:
    """editMessageCaption."""
    record = _editable(call)
    if record.media_kind not in MEDIA_KINDS:
        raise bad_request("there is no caption in the message to edit")
    caption = params_caption(call.params, call.state.config)
    markup = reply_markup(call.params, call.state.config)
    return _apply_edit(
        call,
        record,
        {"caption": caption.text, "caption_entities": caption.entities, "reply_markup": markup},
    )


def edit_message_reply_markup(call: Call) -> dict[str, Any]:
    """editMessageReplyMarkup (no markup removes the keyboard)."""
    record = _editable(call)
    markup = reply_markup(call.params, call.state.config)
    return _apply_edit(call, record, {"reply_markup": markup})


def delete_message(call: Call) -> bool:
    """deleteMessage: bots may delete their own messages and users' private messages."""
    params = call.params
    chat_id = call.state.world.find_chat_id(params.chat_ref())
    record = call.state.messages.get(chat_id, params.require_int("message_id"))
    if record is None or record.deleted:
        raise bad_request("message to delete not found")
    if record.direction == OUTGOING and record.bot_id != call.bot.bot_id:
        raise bad_request("message can't be deleted")
    record.deleted = True
    record.deleted_at = call.state.unix_time()
    return True
