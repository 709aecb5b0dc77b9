"""Bot API objects (PhotoSize, Document, Video, …) describing stored files."""

from __future__ import annotations

from typing import Any

from emulator.files import StoredFile

MEDIA_KINDS = ("photo", "document", "video", "animation", "audio")
_PHOTO_SIZES = ((90, 60), (320, 213), (800, 533), (1280, 853))
_MIME = {"video": "video/mp4", "animation": "video/mp4", "audio": "audio/mpeg"}


def media_object(kind: str, stored: StoredFile, options: dict[str, Any] | None = None) -> Any:
    """The value Telegram puts under `kind` in a Message for this file."""
    options = options or {}
    base: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
    }
    if stored.size:
        base["file_size"] = stored.size
    if kind == "photo":
        return _photo_sizes(base)
    if kind in ("video", "animation"):
        base["width"] = _int_option(options, "width", 1280)
        base["height"] = _int_option(options, "height", 720)
        base["duration"] = _int_option(options, "duration", 10)
    if kind == "audio":
        base["duration"] = _int_option(options, "duration", 180)
    if kind != "photo":
        if stored.file_name:
            base["file_name"] = stored.file_name
        base["mime_type"] = _MIME.get(kind) or stored.mime_type or "application/octet-stream"
    return base


def _photo_sizes(base: dict[str, Any]) -> list[dict[str, Any]]:
    """Telegram sends several thumbnails; the largest carries the original file_id."""
    sizes = []
    last = len(_PHOTO_SIZES) - 1
    for index, (width, height) in enumerate(_PHOTO_SIZES):
        size = dict(base, width=width, height=height)
        if index != last:
            size["file_id"] = f"{base['file_id']}_{width}"
            size["file_unique_id"] = f"{base['file_unique_id']}{index}"
        sizes.append(size)
    return sizes


def _int_option(options: dict[str, Any], name: str, default: int) -> int:
    """An integer option from params or an InputMedia object, falling back to a default."""
    value = options.get(name)
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default
