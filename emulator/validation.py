"""Validation of message text, captions and reply markup against Telegram's rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.config import EmulatorConfig
from emulator.errors import bad_request
from emulator.formatting import apply_parse_mode, utf16_len
from emulator.params import Params

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = ("http://", "https://", "tg://")


@dataclass(slots=True)
class FormattedText:
    """Text (or caption) after parse-mode processing."""

    text: str | None
    entities: list[dict[str, Any]] | None
    parse_mode: str | None


def message_text(params: Params, config: EmulatorConfig, name: str = "text") -> FormattedText:
    """Validate and parse the text of sendMessage/editMessageText."""
    raw = params.text(name)
    parse_mode = params.text("parse_mode")
    if not raw:
        raise bad_request("message text is empty")
    text, entities = apply_parse_mode(raw, parse_mode, params.json("entities", "entities"))
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > config.max_text_length:
        raise bad_request("message is too long")
    return FormattedText(text, entities, parse_mode)


def caption(raw: Any, parse_mode: Any, entities: Any, config: EmulatorConfig) -> FormattedText:
    """Validate and parse a media caption (absent captions are allowed)."""
    if raw is None or raw == "":
        return FormattedText(None, None, None)
    if not isinstance(raw, str):
        raw = str(raw)
    mode = parse_mode if isinstance(parse_mode, str) else None
    text, parsed = apply_parse_mode(raw, mode, entities)
    if utf16_len(text) > config.max_caption_length:
        raise bad_request("message caption is too long")
    return FormattedText(text or None, parsed, mode)


def params_caption(params: Params, config: EmulatorConfig) -> FormattedText:
    """The caption parameters of a send*/copy/edit call."""
    return caption(
        params.text("caption"),
        params.text("parse_mode"),
        params.json("caption_entities", "caption entities"),
        config,
    )


def reply_markup(params: Params, config: EmulatorConfig) -> dict[str, Any] | None:
    """Decode and validate reply_markup; returns None when absent."""
    markup = params.json("reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"], config)
    elif not any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _check_inline_keyboard(rows: Any, config: EmulatorConfig) -> None:
    """Apply Telegram's inline keyboard rules (button shape, data size, URLs)."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'can\'t parse inline keyboard button: field "inline_keyboard" '
            "must be an Array of Arrays"
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
            actions = [key for key in _BUTTON_ACTIONS if key in button]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(data.encode()) if isinstance(data, str) else 0
                if not 1 <= size <= config.max_callback_data_bytes:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.startswith(_URL_SCHEMES):
                    raise bad_request("BUTTON_URL_INVALID")


def inline_keyboard(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of reply_markup Telegram echoes back in Message objects."""
    if markup is not None and "inline_keyboard" in markup:
        return markup
    return None
