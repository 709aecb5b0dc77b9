"""sendPoll (regular polls and quizzes) and stopPoll."""

from __future__ import annotations

import itertools
from typing import Any, TypeGuard

from emulator.errors import bad_request
from emulator.methods.context import Call
from emulator.methods.delivery import admit, finish_outgoing, new_message, resolve_target
from emulator.polls_state import PollState, stop
from emulator.validation import reply_markup

MAX_OPTIONS = 12
_poll_ids = itertools.count(5_000_000_000_000_000_001)


def _all_text(texts: list[Any]) -> TypeGuard[list[str]]:
    """Whether every option is a non-blank string."""
    return all(isinstance(text, str) and text.strip() for text in texts)


def _options(call: Call) -> list[str]:
    """Poll option texts from strings or InputPollOption objects."""
    raw = call.params.json("options", "poll options")
    if not isinstance(raw, list):
        raise bad_request("poll options must be an Array")
    texts = [item.get("text") if isinstance(item, dict) else item for item in raw]
    if len(texts) < 2:
        raise bad_request("poll must have at least 2 option")
    if len(texts) > MAX_OPTIONS:
        raise bad_request(f"poll can't have more than {MAX_OPTIONS} options")
    if not _all_text(texts):
        raise bad_request("poll options must be non-empty")
    if any(len(text) > 100 for text in texts):
        raise bad_request("poll options length must not exceed 100")
    return texts


def _poll_object(call: Call, question: str, options: list[str]) -> dict[str, Any]:
    """The Poll object stored in the message."""
    params = call.params
    poll_type = params.text("type") or "regular"
    if poll_type not in ("regular", "quiz"):
        raise bad_request("wrong poll type specified")
    poll: dict[str, Any] = {
        "id": str(next(_poll_ids)),
        "question": question,
        "options": [
            {"persistent_id": str(index), "text": text, "voter_count": 0}
            for index, text in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": params.boolean("is_closed"),
        "is_anonymous": params.boolean("is_anonymous", default=True),
        "type": poll_type,
        "allows_multiple_answers": params.boolean("allows_multiple_answers"),
        "allows_revoting": params.boolean("allows_revoting", default=poll_type == "regular"),
        "members_only": params.boolean("members_only"),
    }
    if poll_type == "quiz":
        correct = params.integer("correct_option_id")
        if correct is None or not 0 <= correct < len(options):
            raise bad_request("wrong correct option ID specified")
        poll["correct_option_id"] = correct
        explanation = params.text("explanation")
        if explanation:
            poll["explanation"] = explanation
    open_period = params.integer("open_period")
    if open_period:
        poll["open_period"] = open_period
    return poll


def send_poll(call: Call) -> dict[str, Any]:
    """sendPoll."""
    config = call.state.config
    target = resolve_target(call)
    question = call.params.text("question") or ""
    if not question.strip():
        raise bad_request("poll question must be non-empty")
    if len(question) > 300:
        raise bad_request("poll question length must not exceed 300")
    poll = _poll_object(call, question, _options(call))
    markup = reply_markup(call.params, config)
    admit(call, target, paid=call.params.boolean("allow_paid_broadcast"))
    message = new_message(call, target)
    message["poll"] = poll
    call.state.polls.register(
        PollState(poll, call.bot.bot_id, target.chat_id, message["message_id"], message["date"])
    )
    finish_outgoing(call, target, message, markup, text=question, media_kind="poll", media=poll)
    return message


def stop_poll(call: Call) -> dict[str, Any]:
    """stopPoll: close a poll the bot sent; returns the final Poll."""
    state, params = call.state, call.params
    chat_id = state.world.find_chat_id(params.chat_ref())
    state.world.chat_api(chat_id)
    poll = state.polls.by_message(chat_id, params.require_int("message_id"))
    record = state.messages.get(chat_id, params.require_int("message_id"))
    if poll is None or record is None or record.deleted or poll.bot_id != call.bot.bot_id:
        raise bad_request("message with poll to stop not found")
    if poll.closed(state.unix_time()):
        raise bad_request("poll has already been closed")
    return stop(state, call.bot, poll)
