"""answerCallbackQuery."""

from __future__ import annotations

from emulator.errors import bad_request
from emulator.methods.context import Call


def answer_callback_query(call: Call) -> bool:
    """Record the bot's answer to a callback query (each query can be answered once)."""
    params = call.params
    query = call.state.callbacks.queries.get(params.text("callback_query_id") or "")
    if query is None or query.answered or query.bot_id != call.bot.bot_id:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    query.answered = True
    query.answered_at = call.state.config.wall_clock()
    query.answer_text = params.text("text")
    query.show_alert = params.boolean("show_alert")
    query.url = params.text("url")
    query.cache_time = params.integer("cache_time")
    return True
