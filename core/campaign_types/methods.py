"""What a campaign may put in a Bot API call it describes (shared by `bot_api` and `custom`)."""

from __future__ import annotations

from typing import Any

from aiogram.methods import TelegramMethod

# Set by the service, never by a description.
RESERVED = frozenset({"chat_id", "allow_paid_broadcast", "business_connection_id"})
# A description may not quote a message (reply_parameters can name another chat's) and may
# carry only URL buttons: callback data would reach the bot's own handlers, reply keyboards
# could ask for contacts or open web apps on the service's behalf.
NO_REPLIES = frozenset({"reply_parameters", "reply_to_message_id"})
URL_SCHEMES = ("https://", "http://", "tg://")


def is_url(value: Any) -> bool:
    """Whether `value` is a URL a button may open."""
    return isinstance(value, str) and value.startswith(URL_SCHEMES)


def markup_problem(markup: Any, *, clicks: bool = False) -> str | None:
    """Why reply_markup is not an inline keyboard of URL buttons (None when it is); with
    `clicks`, a button with only a text is allowed too (the service makes it a counted click)."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if (
        not isinstance(markup, dict)
        or set(markup) != {"inline_keyboard"}
        or not isinstance(rows, list)
    ):
        return 'JSON: reply_markup may only be {"inline_keyboard": [[{"text", "url"}]]}'
    for row in rows:
        for button in row if isinstance(row, list) else [None]:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                return _button_problem(clicks)
            if clicks and set(button) == {"text"}:
                continue
            if set(button) != {"text", "url"} or not is_url(button["url"]):
                return _button_problem(clicks)
    return None


def _button_problem(clicks: bool) -> str:
    if clicks:
        return (
            'JSON: reply_markup buttons are {"text", "url"} with an http(s) or tg URL, or '
            '{"text"} alone for a button whose presses are counted'
        )
    return 'JSON: reply_markup buttons are {"text", "url"} with an http(s) or tg URL'


def parameter_names(cls: type[TelegramMethod[Any]]) -> set[str]:
    """The Bot API parameters of an aiogram method a description may set."""
    return {info.alias or name for name, info in cls.model_fields.items()} - RESERVED
