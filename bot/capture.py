"""A message the admin sent, as campaign content (HTML keeps their formatting)."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message


def message_content(message: Message) -> dict[str, Any] | None:
    """Text or media + caption as a campaign message dict; None for anything else."""
    media: dict[str, str] | None = None
    if message.photo:
        media = {"type": "photo", "fileId": message.photo[-1].file_id}
    elif message.video:
        media = {"type": "video", "fileId": message.video.file_id}
    elif message.animation:
        media = {"type": "animation", "fileId": message.animation.file_id}
    elif message.document:
        media = {"type": "document", "fileId": message.document.file_id}
    text = message.html_text if (message.text or message.caption) else None
    if media is None and not text:
        return None
    content: dict[str, Any] = {"parseMode": "HTML"}
    if text:
        content["content"] = text
    if media:
        content["media"] = media
    return content
