"""Personalisation variables such as {first_name}: checked when saved, filled when sent."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

SNAKE_NAMES = ("first_name", "last_name", "full_name", "username", "language_code", "telegram_id")
# The specs' personalization fields are camelCase ({firstName}); both spellings work.
CAMEL_NAMES = {"firstName": "first_name", "lastName": "last_name", "fullName": "full_name",
               "languageCode": "language_code", "telegramId": "telegram_id"}  # fmt: skip
BUILT_IN = frozenset(SNAKE_NAMES) | frozenset(CAMEL_NAMES)
# {name}, {name|fallback}, {attributes.key}; {{ and }} stand for literal braces.
VARIABLE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.]*)(?:\|([^{}]*))?\}")
MARKDOWN_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")


def variables_in(text: str) -> list[str]:
    """The variable names used in `text`, in order."""
    return [m.group(1) for m in VARIABLE.finditer(text) if m.group(1)]


def unknown_variables(text: str) -> list[str]:
    """Names in `text` that are neither built in nor `attributes.<key>`."""
    return [
        name
        for name in variables_in(text)
        if name not in BUILT_IN and not re.fullmatch(r"attributes\.[A-Za-z_][A-Za-z0-9_]*", name)
    ]


def escape_for(value: str, parse_mode: str | None) -> str:
    """`value` made literal text under Telegram's `parse_mode` (HTML, MarkdownV2 or none)."""
    if parse_mode == "HTML":
        return html.escape(value, quote=False)
    if parse_mode == "MarkdownV2":
        return MARKDOWN_SPECIAL.sub(r"\\\1", value)
    return value


def values_for(subscriber: Mapping[str, Any]) -> dict[str, str]:
    """The variable values of one recipient (missing ones are empty)."""
    first = subscriber.get("first_name") or ""
    last = subscriber.get("last_name") or ""
    values = {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        "username": subscriber.get("username") or "",
        "language_code": subscriber.get("language_code") or "",
        "telegram_id": str(subscriber.get("telegram_id") or ""),
    }
    values.update({camel: values[snake] for camel, snake in CAMEL_NAMES.items()})
    for key, value in (subscriber.get("attributes") or {}).items():
        values[f"attributes.{key}"] = "" if value is None else str(value)
    return values


def render(text: str, values: Mapping[str, str], parse_mode: str | None) -> str:
    """Fill variables (escaped for the parse mode); an empty value uses the `|fallback`."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        value = values.get(match.group(1), "")
        # The fallback is written by the author inside the formatted text: it is used as is.
        return escape_for(value, parse_mode) if value else (match.group(2) or "")

    return VARIABLE.sub(replace, text)


def uses_variables(text: str | None) -> bool:
    """Whether rendering `text` needs recipient data."""
    return bool(text) and any(True for _ in variables_in(text or ""))
