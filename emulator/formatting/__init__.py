"""Parse modes (HTML, MarkdownV2, Markdown) turning formatted text into text + entities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.errors import bad_request
from emulator.formatting.builder import ParseEntitiesError, utf16_len
from emulator.formatting.html import parse_html
from emulator.formatting.markdown import parse_markdown
from emulator.formatting.markdown_v2 import parse_markdown_v2

__all__ = ["apply_parse_mode", "utf16_len"]

_PARSERS: dict[str, Callable[[str], tuple[str, list[dict[str, Any]]]]] = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
    "markdown": parse_markdown,
}


def apply_parse_mode(
    text: str, parse_mode: str | None, entities: Any
) -> tuple[str, list[dict[str, Any]] | None]:
    """Return (plain text, entities); explicit entities win over parse_mode like in Telegram."""
    if entities:
        if not isinstance(entities, list) or not all(
            isinstance(e, dict) and "type" in e and "offset" in e and "length" in e
            for e in entities
        ):
            raise bad_request("can't parse entities JSON object")
        return text, entities
    if not parse_mode:
        return text, None
    parser = _PARSERS.get(parse_mode.lower())
    if parser is None:
        raise bad_request("unsupported parse_mode")
    try:
        plain, parsed = parser(text)
    except ParseEntitiesError as error:
        raise bad_request(f"can't parse entities: {error}") from None
    return plain, parsed or None
