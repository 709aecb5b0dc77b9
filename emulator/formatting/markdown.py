"""Telegram's legacy Markdown parse mode: *bold*, _italic_, `code`, ```pre```, [text](url)."""

from __future__ import annotations

import re
from typing import Any

from emulator.formatting.builder import EntityBuilder, ParseEntitiesError, byte_offset

_SPECIAL = re.compile(r"[*_`\[\\]")
_SIMPLE = {"*": "bold", "_": "italic"}


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Convert legacy Markdown into plain text and entities, or raise ParseEntitiesError."""
    out = EntityBuilder()
    index = 0
    while index < len(text):
        match = _SPECIAL.search(text, index)
        if match is None:
            out.emit(text[index:])
            break
        out.emit(text[index : match.start()])
        index = match.start()
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in "*_`[":
            out.emit(text[index + 1])
            index += 2
            continue
        if char == "\\":
            out.emit(char)
            index += 1
            continue
        index = _entity(text, index, out)
    return out.result()


def _entity(text: str, index: int, out: EntityBuilder) -> int:
    """Parse one entity starting at `index`; entities do not nest in this mode."""
    char = text[index]
    if char == "[":
        close = text.find("]", index + 1)
        if close != -1 and text.startswith("(", close + 1):
            end = text.find(")", close + 2)
            if end != -1:
                start = out.position
                out.emit(text[index + 1 : close])
                out.add("text_link", start, url=text[close + 2 : end])
                return end + 1
        raise _unclosed(text, index)
    fence = "```" if text.startswith("```", index) else char
    end = text.find(fence, index + len(fence))
    if end == -1:
        raise _unclosed(text, index)
    body = text[index + len(fence) : end]
    start = out.position
    if fence == "```":
        first_line, newline, rest = body.partition("\n")
        extra = {"language": first_line} if newline and first_line.strip() else {}
        out.emit(rest if extra else body)
        out.add("pre", start, **extra)
    else:
        out.emit(body)
        out.add(_SIMPLE.get(char, "code"), start)
    return end + len(fence)


def _unclosed(text: str, index: int) -> ParseEntitiesError:
    """Telegram's error for an entity that is never closed."""
    return ParseEntitiesError(
        f"Can't find end of the entity starting at byte offset {byte_offset(text, index)}"
    )
