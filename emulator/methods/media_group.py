"""sendMediaGroup: albums of photos/videos, documents or audios."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.files import StoredFile
from emulator.media import media_object
from emulator.methods.context import Call
from emulator.methods.delivery import admit, finish_outgoing, new_message, resolve_target
from emulator.validation import FormattedText, caption

MAX_ALBUM = 10
_ALBUM_KINDS = frozenset({"photo", "video", "document", "audio"})
_VISUAL = frozenset({"photo", "video"})


def _album_items(call: Call) -> list[tuple[dict[str, Any], StoredFile, FormattedText]]:
    """Validate every InputMedia and resolve its file."""
    state, params = call.state, call.params
    media = params.json("media", "media")
    if not media:
        raise bad_request("media to send are not specified")
    if not isinstance(media, list) or not all(isinstance(item, dict) for item in media):
        raise bad_request("can't parse media JSON object")
    if len(media) > MAX_ALBUM:
        raise bad_request("too much messages to send as an album")
    kinds = {item.get("type") for item in media}
    if not kinds <= _ALBUM_KINDS:
        raise bad_request("can't parse InputMedia: unsupported media type")
    if len(kinds) > 1 and not kinds <= _VISUAL:
        raise bad_request(f"{sorted(kinds - _VISUAL)[0]} can't be mixed with other media types")
    items = []
    for item in media:
        stored = state.files.resolve(
            item["type"],
            item.get("media"),
            params.files,
            "media",
            strict=state.config.strict_file_ids,
        )
        text = caption(
            item.get("caption"), item.get("parse_mode"), item.get("caption_entities"), state.config
        )
        items.append((item, stored, text))
    return items


def send_media_group(call: Call) -> list[dict[str, Any]]:
    """sendMediaGroup: one message per item sharing a media_group_id.

    Each item takes one slot of the bot-wide budget; the album takes one per-chat slot.
    """
    target = resolve_target(call)
    items = _album_items(call)
    admit(call, target, paid=call.params.boolean("allow_paid_broadcast"), count=len(items))
    group_id = None
    messages = []
    for item, stored, text in items:
        kind = item["type"]
        message = new_message(call, target)
        group_id = group_id or f"{target.chat_id & 0xFFFFFFFF}{message['message_id']:08d}"
        message["media_group_id"] = group_id
        message[kind] = media_object(kind, stored, item)
        if text.text:
            message["caption"] = text.text
            if text.entities:
                message["caption_entities"] = text.entities
        finish_outgoing(
            call,
            target,
            message,
            None,
            caption=text.text,
            caption_entities=text.entities,
            parse_mode=text.parse_mode,
            media_kind=kind,
            media=stored.to_json(),
            media_group_id=group_id,
        )
        messages.append(message)
    return messages
