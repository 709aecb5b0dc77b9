"""Shared send pipeline: target resolution, flood limits, message construction, recording."""

from __future__ import annotations

from typing import Any

from emulator.answers import maybe_schedule_answers
from emulator.behaviour import maybe_schedule_click
from emulator.errors import RateLimited, bad_request
from emulator.methods.context import Call
from emulator.ratelimit import retry_after_seconds
from emulator.records import OUTGOING, MessageRecord
from emulator.validation import inline_keyboard
from emulator.world import Target


def resolve_target(call: Call) -> Target:
    """The chat a send goes to (and the message it replies to), with Telegram's rules applied."""
    target = call.state.world.target(
        call.params.chat_ref(), call.bot.bot_id, require_start=call.state.config.require_start
    )
    target.reply_to = _replied_message(call, target.chat_id)
    return target


def _replied_message(call: Call, chat_id: int) -> dict[str, Any] | None:
    """The message named by reply_parameters (or legacy reply_to_message_id), if any."""
    params = call.params
    reply = params.json("reply_parameters", "reply parameters")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        lenient = bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = params.integer("reply_to_message_id")
        lenient = params.boolean("allow_sending_without_reply")
    if not message_id:
        return None
    record = call.state.messages.get(chat_id, int(message_id))
    if record is None or record.deleted:
        if lenient:
            return None
        raise bad_request("message to be replied not found")
    quoted = dict(record.message)
    quoted.pop("reply_to_message", None)  # Telegram nests only one level
    return quoted


def admit(call: Call, target: Target, *, paid: bool, count: int = 1) -> float:
    """Charge the bot-wide and per-chat windows or raise 429; returns the limiter time.

    A media group charges `count` bot-wide slots but one per-chat slot, because Telegram
    delivers an album to a chat as a single notification.
    """
    state, bot, config = call.state, call.bot, call.state.config
    now = state.now()
    if paid:
        bot_window, bot_limit, bot_scope = bot.paid_window, config.paid_rate, "paid"
    else:
        bot_window, bot_limit, bot_scope = bot.global_window, config.global_rate, "global"
    if target.is_private:
        chat_limit, chat_period, chat_scope = (
            config.private_chat_rate,
            config.private_chat_window,
            "chat",
        )
    else:
        chat_limit, chat_period, chat_scope = (
            config.group_chat_rate,
            config.group_chat_window,
            "group",
        )
    chat_window = bot.chat_window(target.chat_id)
    bot_wait = bot_window.retry_after(now, bot_limit, config.rate_window, count)
    chat_wait = chat_window.retry_after(now, chat_limit, chat_period)
    if bot_wait or chat_wait:
        scope = bot_scope if bot_wait >= chat_wait else chat_scope
        raise RateLimited(retry_after_seconds(max(bot_wait, chat_wait)), scope)
    bot_window.admit(now, count)
    chat_window.admit(now)
    bot.stats.record_send(now, config.wall_clock(), call.method, paid, count)
    return now


def new_message(call: Call, target: Target) -> dict[str, Any]:
    """A Message skeleton with the next message_id of the target chat."""
    state = call.state
    message: dict[str, Any] = {
        "message_id": state.messages.log(target.chat_id).next_id(),
        "date": state.unix_time(),
        "chat": target.chat_api,
    }
    if target.chat is not None and target.chat.type == "channel":
        message["sender_chat"] = target.chat_api
    else:
        message["from"] = call.bot.user_api
    if target.reply_to is not None:
        message["reply_to_message"] = target.reply_to
    return message


def finish_outgoing(
    call: Call,
    target: Target,
    message: dict[str, Any],
    markup: dict[str, Any] | None,
    **fields: Any,
) -> MessageRecord:
    """Attach markup and common flags, store the record and trigger virtual-user reactions."""
    params = call.params
    echoed = inline_keyboard(markup)
    if echoed is not None:
        message["reply_markup"] = echoed
    if params.boolean("protect_content"):
        message["has_protected_content"] = True
    record = MessageRecord(
        chat_id=target.chat_id,
        message_id=message["message_id"],
        date=message["date"],
        direction=OUTGOING,
        bot_id=call.bot.bot_id,
        method=call.method,
        message=message,
        reply_markup=markup,
        allow_paid_broadcast=params.boolean("allow_paid_broadcast"),
        **fields,
    )
    call.state.messages.add(record)
    if target.user is not None:
        if echoed is not None:
            maybe_schedule_click(call.state, call.bot, target.user, record)
        maybe_schedule_answers(call.state, call.bot, target.user, record)
    return record
