"""Telegram's HTML parse mode: the supported tag subset, strict nesting."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from emulator.formatting.builder import EntityBuilder, ParseEntitiesError, byte_offset

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SPECIAL = re.compile(r"[<&]")
_ATTRIBUTE = re.compile(r"""([a-zA-Z_-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_CHAR_REFERENCE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'", "nbsp": "\xa0"}


@dataclass(slots=True)
class _OpenTag:
    """A start tag waiting for its end tag."""

    name: str
    kind: str | None
    start: int
    extra: dict[str, Any] = field(default_factory=dict)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Convert Telegram HTML into plain text and entities, or raise ParseEntitiesError."""
    out = EntityBuilder()
    stack: list[_OpenTag] = []
    index = 0
    length = len(text)
    while index < length:
        match = _SPECIAL.search(text, index)
        if match is None:
            out.emit(text[index:])
            break
        out.emit(text[index : match.start()])
        index = match.start()
        if text[index] == "&":
            index = _emit_reference(text, index, out)
            continue
        close = text.find(">", index)
        if close == -1:
            offset = byte_offset(text, index)
            raise ParseEntitiesError(f"Unclosed start tag at byte offset {offset}")
        inner = text[index + 1 : close]
        if inner.startswith("/"):
            _close_tag(text, index, inner[1:].strip().lower(), stack, out)
        else:
            stack.append(_open_tag(text, index, inner, stack, out.position))
        index = close + 1
    if stack:
        raise ParseEntitiesError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        )
    return out.result()


def _emit_reference(text: str, index: int, out: EntityBuilder) -> int:
    """Emit a character reference (or a literal '&') and return the next index."""
    match = _CHAR_REFERENCE.match(text, index)
    if match is None:
        out.emit("&")
        return index + 1
    body = match.group(1)
    if body.startswith("#"):
        out.emit(html.unescape(match.group(0)))
    elif body.lower() in _NAMED_REFERENCES:
        out.emit(_NAMED_REFERENCES[body.lower()])
    else:
        # Telegram leaves unknown named references as literal text.
        out.emit(match.group(0))
    return match.end()


def _open_tag(text: str, index: int, inner: str, stack: list[_OpenTag], position: int) -> _OpenTag:
    """Interpret a start tag and return the entity it opens."""
    name, _, rest = inner.strip().partition(" ")
    name = name.lower()
    attributes = {
        key.lower(): (value or "").strip("\"'") for key, value in _ATTRIBUTE.findall(rest)
    }
    if name in _SIMPLE_TAGS:
        tag = _OpenTag(name, _SIMPLE_TAGS[name], position)
        language = attributes.get("class", "")
        if name == "code" and stack and stack[-1].name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            if language.startswith("language-"):
                stack[-1].extra["language"] = language[len("language-") :]
            tag.kind = None
        return tag
    if name == "span":
        if attributes.get("class") != "tg-spoiler":
            raise ParseEntitiesError('Tag "span" must have class "tg-spoiler"')
        return _OpenTag(name, "spoiler", position)
    if name == "a":
        href = attributes.get("href", "")
        return _OpenTag(name, "text_link" if href else None, position, {"url": href})
    if name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attributes else "blockquote"
        return _OpenTag(name, kind, position)
    if name == "tg-emoji":
        emoji_id = attributes.get("emoji-id")
        if not emoji_id:
            raise ParseEntitiesError('Tag "tg-emoji" must have attribute "emoji-id"')
        return _OpenTag(name, "custom_emoji", position, {"custom_emoji_id": emoji_id})
    raise ParseEntitiesError(
        f'Unsupported start tag "{name}" at byte offset {byte_offset(text, index)}'
    )


def _close_tag(text: str, index: int, name: str, stack: list[_OpenTag], out: EntityBuilder) -> None:
    """Match an end tag against the innermost open tag and emit its entity."""
    if not stack:
        raise ParseEntitiesError(f"Unexpected end tag at byte offset {byte_offset(text, index)}")
    tag = stack[-1]
    if name and name != tag.name:
        raise ParseEntitiesError(
            f"Unmatched end tag at byte offset {byte_offset(text, index)}, "
            f'expected "</{tag.name}>", found "</{name}>"'
        )
    stack.pop()
    if tag.kind is not None:
        out.add(tag.kind, tag.start, **tag.extra)
