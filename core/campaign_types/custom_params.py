"""The `custom` type's allow-list of Bot API methods, and its parameter templates: checked
when the campaign is saved, filled for each recipient when it is sent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiogram.methods import TelegramMethod
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.campaign_types.methods import NO_REPLIES, RESERVED, markup_problem, parameter_names
from core.delivery.content import LEAN_METHODS, CampaignButton
from core.templating import BUILT_IN, render, unknown_variables, uses_variables

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Allowed:
    """A method a custom campaign may call: its lean class and its formatted text, if any."""

    cls: type[TelegramMethod[Any]]
    text_field: str | None = None
    max_text: int = 1024


def _caption(name: str) -> Allowed:
    return Allowed(LEAN_METHODS[name], "caption")


ALLOWED: dict[str, Allowed] = {
    "sendMessage": Allowed(LEAN_METHODS["sendMessage"], "text", 4096),
    **{name: _caption(name) for name in ("sendPhoto", "sendVideo", "sendDocument")},
    **{name: _caption(name) for name in ("sendAnimation", "sendAudio", "copyMessage")},
    **{name: Allowed(LEAN_METHODS[name]) for name in ("sendDice", "sendLocation", "sendVenue")},
    "sendContact": Allowed(LEAN_METHODS["sendContact"]),
}
PARSE_MODES = ("HTML", "MarkdownV2", "Markdown")
# The dice Telegram can throw.
DICE_EMOJI = ("🎲", "🎯", "🏀", "⚽", "🎳", "🎰")
# Besides replies: threads and topics do not exist in a private chat with the bot, and the
# suggested-post / ephemeral parameters answer other people's messages, not a broadcast.
NOT_FOR_BROADCAST = NO_REPLIES | {
    "allow_sending_without_reply",
    "message_thread_id",
    "direct_messages_topic_id",
    "suggested_post_parameters",
    "ephemeral_message_parameters",
    "receiver_user_id",
    "callback_query_id",
}


class _Placeholders(dict[str, str]):
    """Stands for any recipient's values when a template is checked: a digit fits a text, a
    number and a URL alike."""

    def get(self, key: str, default: object = None) -> str:  # type: ignore[override]  # any key
        return "0"


PLACEHOLDERS = _Placeholders()


def strings(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every string inside a parameter value, with where it is."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, (*path, index))


def is_personalised(params: Mapping[str, Any]) -> bool:
    """Whether filling the parameters needs the recipient's data."""
    return any(uses_variables(text) for _, text in strings(dict(params)))


def fill(
    params: Mapping[str, Any], method: Allowed, values: Mapping[str, str], delivery_id: int
) -> dict[str, Any]:
    """The parameters for one recipient: variables filled (escaped for parse_mode in the
    text, percent-encoded in URLs), text-only buttons made clicks of this delivery."""
    mode = params.get("parse_mode")
    quoted: dict[str, str] | None = None

    def walk(value: Any, key: str | int | None, top: bool) -> Any:
        nonlocal quoted
        if isinstance(value, str):
            if key == "url" and uses_variables(value):
                quoted = quoted or {k: quote(v, safe="") for k, v in values.items()}
                return render(value, quoted, None)
            return render(value, values, mode if top and key == method.text_field else None)
        if isinstance(value, dict):
            return {k: walk(v, k, False) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(item, key, False) for item in value]
        return value

    filled = {key: walk(value, key, True) for key, value in params.items()}
    if "reply_markup" in filled:
        filled["reply_markup"] = with_clicks(filled["reply_markup"], delivery_id)
    return filled


def with_clicks(markup: dict[str, Any], delivery_id: int) -> dict[str, Any]:
    """The keyboard with each text-only button given the delivery's callback data (its index
    counts every button, as the `message` type's keyboards do)."""
    rows, index = [], 0
    for row in markup["inline_keyboard"]:
        buttons = []
        for button in row:
            if "url" not in button:
                data = CampaignButton(delivery_id=delivery_id, index=index).pack()
                button = {**button, "callback_data": data}
            buttons.append(button)
            index += 1
        rows.append(buttons)
    return {"inline_keyboard": rows}


def has_clicks(params: Mapping[str, Any]) -> bool:
    """Whether the keyboard has a button whose presses are counted."""
    markup = params.get("reply_markup") or {}
    return any("url" not in b for row in markup.get("inline_keyboard", []) for b in row)


def _problem(kind: str, path: Path, message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError(kind, "{reason}", {"reason": message}),
        loc=("params", *path),
        input=value,
    )


def _unknown_variables(params: Mapping[str, Any]) -> Iterator[InitErrorDetails]:
    for path, text in strings(dict(params)):
        unknown = sorted(set(unknown_variables(text)))
        if unknown:
            names = ", ".join("{" + n + "}" for n in unknown)
            known = ", ".join("{" + n + "}" for n in sorted(BUILT_IN))
            message = f"unknown variables {names}; use {known} or {{attributes.<name>}}"
            yield _problem("unknown_variable", path, message, text)


def _names(name: str, method: Allowed, params: Mapping[str, Any]) -> Iterator[InitErrorDetails]:
    allowed = parameter_names(method.cls) - NOT_FOR_BROADCAST
    for key, value in params.items():
        if key in RESERVED:
            yield _problem("reserved_parameter", (key,), "is set by the service", value)
        elif key in NOT_FOR_BROADCAST:
            yield _problem("refused_parameter", (key,), "may not be used by a campaign", value)
        elif key not in allowed:
            yield _problem("unknown_parameter", (key,), f"is not a parameter of {name}", value)


def _shape(method: Allowed, params: Mapping[str, Any]) -> Iterator[InitErrorDetails]:
    mode = params.get("parse_mode")
    if mode is not None and mode not in PARSE_MODES:
        yield _problem("parse_mode", ("parse_mode",), f"is one of {', '.join(PARSE_MODES)}", mode)
    emoji = params.get("emoji")
    if method is ALLOWED["sendDice"] and emoji is not None and emoji not in DICE_EMOJI:
        yield _problem("dice_emoji", ("emoji",), f"is one of {' '.join(DICE_EMOJI)}", emoji)
    markup = params.get("reply_markup")
    if markup is not None and (problem := markup_problem(markup, clicks=True)):
        yield _problem("reply_markup", ("reply_markup",), problem.removeprefix("JSON: "), markup)
    text = params.get(method.text_field or "")
    if isinstance(text, str) and len(text) > method.max_text:
        message = f"is at most {method.max_text} characters"
        yield _problem("string_too_long", (str(method.text_field),), message, text)
    for entities in ("entities", "caption_entities"):
        if entities in params and uses_variables(text):
            message = "cannot be used with a personalised text: use parse_mode"
            yield _problem("personalised_entities", (entities,), message, params[entities])


def _within(params: Any, loc: Path) -> Path:
    """The longest part of an error's location that exists in the parameters (aiogram's
    unions add the names of the types tried)."""
    found: list[str | int] = []
    for part in loc:
        inside_list = isinstance(params, list) and isinstance(part, int) and part < len(params)
        if not (isinstance(params, dict) and part in params) and not inside_list:
            break
        params = params[part]
        found.append(part)
    return tuple(found)


def _built(method: Allowed, params: Mapping[str, Any]) -> Iterator[InitErrorDetails]:
    sample = fill(params, method, PLACEHOLDERS, delivery_id=1)
    try:
        method.cls.model_validate({**sample, "chat_id": 1})
    except ValidationError as exc:
        seen: set[Path] = set()
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            missing = error["type"] == "missing"
            path = loc[:1] if missing else _within(sample, loc) or loc[:1]
            if path not in seen:
                seen.add(path)
                message = "is required" if missing else error["msg"]
                yield _problem(error["type"], path, message, error.get("input"))


def check(name: str, params: Mapping[str, Any]) -> None:
    """Raise a ValidationError naming each bad `params.<name>` of a call of method `name`."""
    method = ALLOWED[name]
    problems = [
        *_names(name, method, params),
        *_shape(method, params),
        *_unknown_variables(params),
    ]
    # The call is built from the rest, so its own errors (a missing or mistyped parameter)
    # are reported alongside, but not again for a parameter already found wrong.
    reported = {problem["loc"][1] for problem in problems}
    rest = {key: value for key, value in params.items() if key not in reported}
    problems += [p for p in _built(method, rest) if p["loc"][1] not in reported]
    if problems:
        raise ValidationError.from_exception_data("params", problems)
