"""The `custom` type: every recipient gets one Bot API call from an allow-list (sendDice,
sendVenue, copyMessage of a channel post, ...), its parameters a template personalised with
the same variables as messages ({first_name}, {attributes.x}).

Settings: `method` and `params` (the method's own parameters, snake_case as Telegram names
them; the chat is set by the ledger). A text-only inline button is a counted click, as in a
message. A custom campaign whose settings name no method sends its messages as `message`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import InlineKeyboardMarkup
from pydantic import Field, ValidationError, field_validator, model_validator

from core.campaign_types.base import NO_CONTEXT, DeliveryPolicy, RunContext, UpdateKind
from core.campaign_types.bot_api import UnsendableCall
from core.campaign_types.custom_params import (
    ALLOWED,
    Allowed,
    check,
    fill,
    has_clicks,
    is_personalised,
    with_clicks,
)
from core.delivery.content import Content, SentMessage, content_for, send_content
from core.models import CamelModel
from core.templating import values_for


class CustomSettings(CamelModel):
    """A custom campaign's call: the method and its parameter template."""

    method: str | None = Field(default=None, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("method")
    @classmethod
    def _allowed(cls, method: str | None) -> str | None:
        if method is not None and method not in ALLOWED:
            raise ValueError(f"'{method}' is not supported: use one of {', '.join(ALLOWED)}")
        return method

    @model_validator(mode="after")
    def _callable(self) -> CustomSettings:
        if self.method is None:
            if self.params:
                raise ValueError("params need a method")
        else:
            # A ValidationError raised here keeps its locations: settings.params.<name>.
            check(self.method, self.params)
        return self


@dataclass(frozen=True)
class CustomContent:
    """A run's call: its method and template, or the messages when no method is named."""

    method: Allowed | None
    params: Mapping[str, Any]
    personalised: bool
    clicks: bool
    # The call itself when it is the same for everyone (its chat set per recipient).
    fixed: TelegramMethod[Any] | None = None
    fallback: Content | None = None


def custom_content(
    settings: Mapping[str, Any], messages: list[dict[str, Any]], variation: int
) -> CustomContent:
    """The content of a run of a custom campaign with these (validated) settings."""
    name = settings.get("method")
    if not name:
        fallback = content_for(messages, variation)
        return CustomContent(None, {}, fallback.personalised, False, fallback=fallback)
    method = ALLOWED[name]
    params = dict(settings.get("params") or {})
    personalised = is_personalised(params)
    fixed = None
    if not personalised:
        fixed = method.cls.model_validate({**fill(params, method, {}, 0), "chat_id": 0})
    return CustomContent(method, params, personalised, has_clicks(params), fixed)


async def send_custom(
    bot: Bot,
    chat_id: int,
    content: CustomContent,
    *,
    delivery_id: int,
    recipient: dict[str, Any] | None,
    paid: bool,
) -> SentMessage:
    """Send the call to one recipient, filled with their values."""
    if content.method is None:
        assert content.fallback is not None
        return await send_content(
            bot, chat_id, content.fallback, delivery_id=delivery_id, recipient=recipient, paid=paid
        )
    updates: dict[str, Any] = {"chat_id": chat_id}
    if paid:
        updates["allow_paid_broadcast"] = True
    if content.fixed is not None:
        if content.clicks:
            markup = with_clicks(content.params["reply_markup"], delivery_id)
            updates["reply_markup"] = InlineKeyboardMarkup.model_validate(markup)
        call = content.fixed.model_copy(update=updates)
    else:
        values = fill(content.params, content.method, values_for(recipient or {}), delivery_id)
        try:
            call = content.method.cls.model_validate({**values, **updates})
        except ValidationError as exc:
            # A recipient's values may still make a bad call (a coordinate that is not a
            # number): this delivery alone is refused, before anything is sent.
            error = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in error["loc"])
            raise UnsendableCall(f"parameter '{where}': {error['msg']}") from None
    answer = await bot(call)
    assert isinstance(answer, SentMessage)
    return answer


class CustomPolicy(DeliveryPolicy[CustomContent]):
    """One allow-listed Bot API call per recipient; presses of its text-only buttons are
    counted as clicks (not conversions)."""

    name: ClassVar[str] = "custom"
    listens_to: ClassVar[frozenset[UpdateKind]] = frozenset({UpdateKind.BUTTON_CLICK})
    converts_on: ClassVar[frozenset[UpdateKind]] = frozenset()
    settings_model: ClassVar[type[CustomSettings]] = CustomSettings
    # The call carries its own content (has_content asks for a method or a message).
    needs_message: ClassVar[bool] = False

    def has_content(self, messages: list[dict[str, Any]], settings: Mapping[str, Any]) -> bool:
        """A method to call, or else a message with content to send as `message`."""
        if settings.get("method"):
            return True
        return any(m.get("content") or m.get("media") or m.get("templateId") for m in messages)

    def prepare(
        self, messages: list[dict[str, Any]], variation: int, context: RunContext = NO_CONTEXT
    ) -> CustomContent:
        """The call of the campaign's settings (no variations), or its messages without one."""
        return custom_content(context.settings, messages, variation)

    send = staticmethod(send_custom)
