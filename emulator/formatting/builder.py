"""Incremental construction of plain text plus UTF-16-offset entities."""

from __future__ import annotations

from typing import Any


class ParseEntitiesError(Exception):
    """A formatting error, reported as "Bad Request: can't parse entities: <reason>"."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for limits and offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of a character index, as quoted in Telegram's error messages."""
    return len(text[:index].encode())


class EntityBuilder:
    """Accumulates output text and entities whose offsets are in UTF-16 units."""

    __slots__ = ("entities", "pieces", "position")

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.entities: list[dict[str, Any]] = []
        self.position = 0

    def emit(self, piece: str) -> None:
        """Append visible text."""
        if piece:
            self.pieces.append(piece)
            self.position += utf16_len(piece)

    def add(self, kind: str, start: int, **extra: Any) -> None:
        """Add an entity from `start` to the current position; empty ones are dropped."""
        length = self.position - start
        if length > 0:
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        """The plain text and the entities sorted like Telegram (outer entity first)."""
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.pieces), self.entities
