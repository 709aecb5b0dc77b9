"""Where a handler answers: the message that came in, or the one a pressed button sits on."""

from __future__ import annotations

from aiogram.types import CallbackQuery, InaccessibleMessage, Message

# Both can be answered in their chat; only a Message (younger than 48 h) can be edited.
ChatMessage = Message | InaccessibleMessage


class NotInAChat(LookupError):
    """A button of an inline-mode message: it has no chat to answer in."""


def reply_target(event: Message | CallbackQuery) -> ChatMessage:
    """The chat message to answer for this update (NotInAChat for inline-mode buttons)."""
    if isinstance(event, Message):
        return event
    if event.message is None:
        raise NotInAChat(f"callback query {event.id} carries no chat message")
    return event.message
