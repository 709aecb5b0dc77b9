"""Telegram's MarkdownV2 parse mode (a faithful-enough approximation)."""

from __future__ import annotations

import re
from typing import Any

from emulator.formatting.builder import EntityBuilder, ParseEntitiesError, byte_offset

RESERVED = "_*[]()~`>#+-=|{}.!"
_SPECIAL = re.compile(r"[_*\[\]()~`>#+\-=|{}.!\\\n]")
_MARKERS = (
    ("||", "spoiler"),
    ("__", "underline"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
)
_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "Blockquote",
}


class _Parser:
    """Single-pass scanner holding the open-entity stack."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.out = EntityBuilder()
        # (kind, start position in UTF-16, character index of the opening marker)
        self.stack: list[tuple[str, int, int]] = []
        self.quote_start: int | None = None

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        text, index = self.text, 0
        if text.startswith(">"):
            index = self._open_quote(0)
        while index < len(text):
            match = _SPECIAL.search(text, index)
            if match is None:
                self.out.emit(text[index:])
                break
            self.out.emit(text[index : match.start()])
            index = self._special(match.start())
        self._close_quote()
        if self.stack:
            kind, _, opened_at = self.stack[-1]
            raise ParseEntitiesError(
                f"Can't find end of {_NAMES[kind]} entity at byte offset "
                f"{byte_offset(text, opened_at)}"
            )
        return self.out.result()

    def _special(self, index: int) -> int:
        """Handle the special character at `index`; return the next index."""
        text, char = self.text, self.text[index]
        if char == "\\":
            if index + 1 < len(text) and 0 < ord(text[index + 1]) < 127:
                self.out.emit(text[index + 1])
                return index + 2
            self.out.emit("\\")
            return index + 1
        if char == "\n":
            if self.quote_start is not None and not text.startswith(">", index + 1):
                self._close_quote()
            self.out.emit("\n")
            if text.startswith(">", index + 1):
                return self._open_quote(index + 1)
            return index + 1
        if char == "`":
            return self._code(index)
        if text.startswith("![", index):
            self.stack.append(("custom_emoji", self.out.position, index))
            return index + 2
        if char == "[":
            self.stack.append(("text_link", self.out.position, index))
            return index + 1
        if char == "]" and self.stack and self.stack[-1][0] in ("text_link", "custom_emoji"):
            return self._link_end(index)
        for marker, kind in _MARKERS:
            if text.startswith(marker, index):
                self._toggle(kind, index)
                return index + len(marker)
        raise ParseEntitiesError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def _toggle(self, kind: str, index: int) -> None:
        """Close the innermost open entity of `kind`, or open a new one at `index`."""
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == kind:
                _, start, _ = self.stack.pop(depth)
                self.out.add(kind, start)
                return
        self.stack.append((kind, self.out.position, index))

    def _code(self, index: int) -> int:
        """Parse `code` or ```pre``` starting at `index`."""
        text = self.text
        fence = "```" if text.startswith("```", index) else "`"
        body_start = index + len(fence)
        end = _find_unescaped(text, fence, body_start)
        if end == -1:
            name = "Pre" if fence == "```" else "Code"
            raise ParseEntitiesError(
                f"Can't find end of {name} entity at byte offset {byte_offset(text, index)}"
            )
        body = text[body_start:end]
        extra: dict[str, Any] = {}
        if fence == "```":
            first_line, newline, rest = body.partition("\n")
            if newline and first_line and " " not in first_line:
                extra["language"] = first_line
                body = rest
        start = self.out.position
        self.out.emit(re.sub(r"\\(.)", r"\1", body))
        self.out.add("pre" if fence == "```" else "code", start, **extra)
        return end + len(fence)

    def _link_end(self, index: int) -> int:
        """Finish [text](url) or ![emoji](tg://emoji?id=…) at the closing bracket."""
        text = self.text
        kind, start, _ = self.stack.pop()
        if not text.startswith("(", index + 1):
            if kind == "custom_emoji":
                raise ParseEntitiesError("Custom emoji entity must contain a tg://emoji URL")
            # "[text]" without a URL is plain text in Telegram.
            return index + 1
        end = _find_unescaped(text, ")", index + 2)
        if end == -1:
            raise ParseEntitiesError(
                f"Can't find end of a URL at byte offset {byte_offset(text, index + 1)}"
            )
        url = re.sub(r"\\(.)", r"\1", text[index + 2 : end])
        if kind == "custom_emoji":
            emoji_id = url.partition("id=")[2]
            if not url.startswith("tg://emoji?") or not emoji_id:
                raise ParseEntitiesError("Custom emoji URL must have an emoji identifier")
            self.out.add(kind, start, custom_emoji_id=emoji_id)
        else:
            self.out.add(kind, start, url=url)
        return end + 1

    def _open_quote(self, index: int) -> int:
        """Start (or continue) a blockquote at a line beginning with '>'."""
        if self.quote_start is None:
            self.quote_start = self.out.position
        return index + 1

    def _close_quote(self) -> None:
        """End the running blockquote, if any."""
        if self.quote_start is not None:
            self.out.add("blockquote", self.quote_start)
            self.quote_start = None


def _find_unescaped(text: str, needle: str, start: int) -> int:
    """Index of the next `needle` not preceded by an escaping backslash, or -1."""
    index = start
    while True:
        found = text.find(needle, index)
        if found == -1:
            return -1
        backslashes = 0
        probe = found - 1
        while probe >= start and text[probe] == "\\":
            backslashes += 1
            probe -= 1
        if backslashes % 2 == 0:
            return found
        index = found + 1


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Convert MarkdownV2 into plain text and entities, or raise ParseEntitiesError."""
    return _Parser(text).run()
