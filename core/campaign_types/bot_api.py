"""The `bot_api` type: each recipient gets one Bot API call described in JSON, with its own
positional params (`{{1}}`, `{{2}}`) — the content of the v2 Campaign API.

A stored message carries the description under `botApi` (`{"method": "sendPhoto", "photo":
"{{1}}", "caption": "…"}`: the method and its parameters, the chat set by the ledger), the
BODY under `body` (the text or caption when the call has none), and each recipient's params
under `params`, keyed by Telegram id. A
message without `botApi` (e.g. made by the wizard) is sent as the `message` type sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from aiogram import Bot
from aiogram.methods import TelegramMethod
from pydantic import ValidationError

from core.campaign_types.base import NO_CONTEXT, DeliveryPolicy, RunContext, UpdateKind
from core.campaign_types.methods import NO_REPLIES, markup_problem, parameter_names
from core.delivery.content import LEAN_METHODS, Content, SentMessage, content_for, send_content
from core.delivery.outcomes import Unsendable
from core.positional import fill, fill_values


@dataclass(frozen=True)
class Method:
    """A Bot API method a description may name: its class, its text field, its media field."""

    cls: type[TelegramMethod[Any]]
    text_field: str
    media_field: str | None = None


METHODS: dict[str, Method] = {
    "sendMessage": Method(LEAN_METHODS["sendMessage"], "text"),
    "sendPhoto": Method(LEAN_METHODS["sendPhoto"], "caption", "photo"),
    "sendVideo": Method(LEAN_METHODS["sendVideo"], "caption", "video"),
    "sendDocument": Method(LEAN_METHODS["sendDocument"], "caption", "document"),
    "sendAnimation": Method(LEAN_METHODS["sendAnimation"], "caption", "animation"),
}


def description_problem(description: Any, body: str | None) -> str | None:
    """Why `description` is not a sendable Bot API call (None when it is); `body` stands in
    for a missing text or caption. Variables are checked as placeholders."""
    if not isinstance(description, dict) or not isinstance(description.get("method"), str):
        return f"JSON must be an object naming a Telegram method: one of {', '.join(METHODS)}"
    name = description["method"]
    method = METHODS.get(name)
    if method is None:
        return f"JSON method '{name[:64]}' is not supported: use one of {', '.join(METHODS)}"
    params = {k: v for k, v in description.items() if k != "method"}
    refused = sorted(set(params) & NO_REPLIES)
    if refused:
        return f"JSON: {name} may not reply to a message ('{refused[0]}')"
    if "reply_markup" in params and (problem := markup_problem(params["reply_markup"])):
        return problem
    unknown = sorted(set(params) - parameter_names(method.cls))
    if unknown:
        return f"JSON: {name} has no parameter '{unknown[0][:64]}'"
    call = build_call(description, [], body, chat_id=1)
    if isinstance(call, str):
        return call
    return None


def build_call(
    description: Mapping[str, Any], params: list[str], body: str | None, *, chat_id: int
) -> TelegramMethod[Any] | str:
    """The Bot API call for one recipient, or why it cannot be built."""
    method = METHODS[description["method"]]
    parse_mode = description.get("parse_mode")
    values = {k: fill_values(v, params) for k, v in description.items() if k != "method"}
    text = description.get(method.text_field, body)
    if isinstance(text, str):
        values[method.text_field] = fill(text, params, parse_mode)
    elif text is None:
        values.pop(method.text_field, None)
    try:
        return method.cls.model_validate({**values, "chat_id": chat_id})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "parameters"
        if error["type"] == "missing":
            return f"JSON: {description['method']} needs the parameter '{where}'"
        return f"JSON: {description['method']} parameter '{where}': {error['msg']}"


@dataclass(frozen=True)
class BotApiContent:
    """A run's content: the described call (None: send as `message`) and everyone's params."""

    description: Mapping[str, Any] | None
    body: str | None
    params: Mapping[str, list[str]] = field(default_factory=dict)
    fallback: Content | None = None

    @cached_property
    def personalised(self) -> bool:
        """The engine loads the recipient's data: its Telegram id finds its params."""
        return self.description is not None or bool(self.fallback and self.fallback.personalised)


class UnsendableCall(Unsendable):
    """A recipient's filled call is not valid: failed like any refusal, with the reason."""


async def send_call(
    bot: Bot,
    chat_id: int,
    content: BotApiContent,
    *,
    delivery_id: int,
    recipient: dict[str, Any] | None,
    paid: bool,
) -> SentMessage:
    """Send the described call with this recipient's params."""
    if content.description is None:
        assert content.fallback is not None
        return await send_content(
            bot, chat_id, content.fallback, delivery_id=delivery_id, recipient=recipient, paid=paid
        )
    telegram_id = str((recipient or {}).get("telegram_id", ""))
    call = build_call(
        content.description, content.params.get(telegram_id, []), content.body, chat_id=chat_id
    )
    if isinstance(call, str):
        raise UnsendableCall(call)
    if paid:
        call = call.model_copy(update={"allow_paid_broadcast": True})
    answer = await bot(call)
    assert isinstance(answer, SentMessage)
    return answer


class BotApiPolicy(DeliveryPolicy[BotApiContent]):
    """One described Bot API call per recipient (its buttons are URL buttons: no clicks to
    count); a message without a description sends, and counts clicks, as `message` does."""

    name: ClassVar[str] = "bot_api"
    listens_to: ClassVar[frozenset[UpdateKind]] = frozenset({UpdateKind.BUTTON_CLICK})
    converts_on: ClassVar[frozenset[UpdateKind]] = frozenset()

    def prepare(
        self, messages: list[dict[str, Any]], variation: int, context: RunContext = NO_CONTEXT
    ) -> BotApiContent:
        """The first message's call and params (no variations: every recipient is named)."""
        first = messages[0] if messages else {}
        description = first.get("botApi")
        if not description:
            return BotApiContent(None, None, fallback=content_for(messages, variation))
        return BotApiContent(description, first.get("body"), first.get("params") or {})

    send = staticmethod(send_call)
