"""Users sharing their own contact with a bot (as after a request_contact button)."""

from __future__ import annotations

from typing import Any

from emulator.actions import active_user, chat_for, quoted_message, record_incoming
from emulator.bots import BotState
from emulator.state import EmulatorState


def user_shares_contact(
    state: EmulatorState,
    bot: BotState,
    user_id: int,
    *,
    phone_number: str | None = None,
    chat_id: int | None = None,
    reply_to_message_id: int | None = None,
) -> dict[str, Any] | None:
    """A user sends their own contact card (user_id set); returns the message update."""
    user = active_user(state, user_id)
    chat_api = chat_for(state, user, chat_id)
    contact: dict[str, Any] = {
        "phone_number": phone_number or user.phone_number,
        "first_name": user.first_name,
        "user_id": user.id,
    }
    if user.last_name:
        contact["last_name"] = user.last_name
    content: dict[str, Any] = {"contact": contact}
    content.update(quoted_message(state, chat_api["id"], reply_to_message_id))
    return record_incoming(state, bot, user, chat_api, content, media_kind="contact", media=contact)
