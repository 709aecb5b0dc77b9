"""sendMessage, single-media sends and copyMessage."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.media import media_object
from emulator.methods.context import Call
from emulator.methods.delivery import admit, finish_outgoing, new_message, resolve_target
from emulator.validation import message_text, params_caption, reply_markup


def send_message(call: Call) -> dict[str, Any]:
    """sendMessage: text with optional entities/parse_mode and reply markup."""
    config = call.state.config
    target = resolve_target(call)
    text = message_text(call.params, config)
    markup = reply_markup(call.params, config)
    admit(call, target, paid=call.params.boolean("allow_paid_broadcast"))
    message = new_message(call, target)
    message["text"] = text.text
    if text.entities:
        message["entities"] = text.entities
    link_preview = call.params.json("link_preview_options", "link preview options")
    if isinstance(link_preview, dict) and link_preview:
        message["link_preview_options"] = link_preview
    finish_outgoing(
        call,
        target,
        message,
        markup,
        text=text.text,
        entities=text.entities,
        parse_mode=text.parse_mode,
    )
    return message


def _send_media(call: Call, kind: str) -> dict[str, Any]:
    """Shared body of sendPhoto/sendDocument/sendVideo/sendAnimation."""
    state, params = call.state, call.params
    target = resolve_target(call)
    stored = state.files.resolve(
        kind, params.get(kind), params.files, kind, strict=state.config.strict_file_ids
    )
    caption = params_caption(params, state.config)
    markup = reply_markup(params, state.config)
    admit(call, target, paid=params.boolean("allow_paid_broadcast"))
    message = new_message(call, target)
    message[kind] = media_object(kind, stored, params.values)
    if caption.text:
        message["caption"] = caption.text
        if caption.entities:
            message["caption_entities"] = caption.entities
    if params.boolean("has_spoiler"):
        message["has_media_spoiler"] = True
    if params.boolean("show_caption_above_media"):
        message["show_caption_above_media"] = True
    finish_outgoing(
        call,
        target,
        message,
        markup,
        caption=caption.text,
        caption_entities=caption.entities,
        parse_mode=caption.parse_mode,
        media_kind=kind,
        media=stored.to_json(),
    )
    return message


def send_photo(call: Call) -> dict[str, Any]:
    """sendPhoto."""
    return _send_media(call, "photo")


def send_document(call: Call) -> dict[str, Any]:
    """sendDocument."""
    return _send_media(call, "document")


def send_video(call: Call) -> dict[str, Any]:
    """sendVideo."""
    return _send_media(call, "video")


def send_animation(call: Call) -> dict[str, Any]:
    """sendAnimation."""
    return _send_media(call, "animation")


def send_audio(call: Call) -> dict[str, Any]:
    """sendAudio."""
    return _send_media(call, "audio")


def copy_message(call: Call) -> dict[str, int]:
    """copyMessage: resend a stored message's content without a forward header."""
    state, params = call.state, call.params
    target = resolve_target(call)
    source_chat = state.world.find_chat_id(params.chat_ref("from_chat_id"))
    source_id = params.require_int("message_id")
    source = state.messages.get(source_chat, source_id)
    if source is None or source.deleted or "poll" in source.message:
        raise bad_request("message to copy not found")
    markup = reply_markup(params, state.config)
    caption = params_caption(params, state.config) if "caption" in params.values else None
    admit(call, target, paid=params.boolean("allow_paid_broadcast"))
    message = new_message(call, target)
    fields: dict[str, Any] = {"origin": {"chat_id": source_chat, "message_id": source_id}}
    if source.media_kind is not None:
        message[source.media_kind] = source.message[source.media_kind]
        text = caption.text if caption is not None else source.caption
        entities = caption.entities if caption is not None else source.caption_entities
        if text:
            message["caption"] = text
            if entities:
                message["caption_entities"] = entities
        fields.update(
            caption=text,
            caption_entities=entities,
            media_kind=source.media_kind,
            media=source.media,
        )
    else:
        message["text"] = source.text
        if source.entities:
            message["entities"] = source.entities
        fields.update(text=source.text, entities=source.entities)
    finish_outgoing(call, target, message, markup, **fields)
    return {"message_id": message["message_id"]}
