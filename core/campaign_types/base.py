"""What a campaign type decides about its deliveries, as the engine sees it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from aiogram import Bot
from pydantic import BaseModel

from core.delivery.content import SentMessage
from core.errors import DomainError

if TYPE_CHECKING:
    from core.uow import UnitOfWork
    from storage.models import Campaign


class UpdateKind(StrEnum):
    """A kind of subscriber update that a campaign type can react to."""

    # A press of an inline callback button of a campaign message (bot/routers/clicks.py).
    BUTTON_CLICK = "button_click"
    # A recipient joined a chat through the invite link made for their delivery.
    CHAT_MEMBER = "chat_member"
    # A recipient asked to join through their join-request link.
    JOIN_REQUEST = "chat_join_request"
    # A recipient answered a non-anonymous poll or quiz the campaign sent.
    POLL_ANSWER = "poll_answer"
    # A recipient answered a question in the chat with the bot (text, contact, a button).
    CHAT_ANSWER = "chat_answer"


@dataclass(frozen=True)
class RunContext:
    """What a policy may know of the run it prepares content for, beyond the messages."""

    campaign_id: int = 0
    # The campaign's validated `settings` (its type's settings_model, dumped by alias).
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # The campaign's endDate: invite links expire then.
    ends_at: datetime | None = None


NO_CONTEXT = RunContext()


class Prepared(Protocol):
    """One variation of a campaign's content, parsed once per run."""

    @property
    def personalised(self) -> bool:
        """Whether sending it needs the recipient's data."""


P = TypeVar("P", bound=Prepared)


class DeliveryPolicy(ABC, Generic[P]):
    """How one campaign type turns its stored messages into sends, and what it listens to.

    A policy is stateless and shared by every run of its types: `prepare` is called once per
    (run, variation) and cached by the engine, `send` once per recipient (the hot path).
    """

    name: ClassVar[str]
    # Subscriber updates routed to campaigns of this type.
    listens_to: ClassVar[frozenset[UpdateKind]]
    # Which of those updates count as a conversion (an Interaction of type CONVERTED).
    converts_on: ClassVar[frozenset[UpdateKind]]
    # The type's `settings` (camelCase JSON in the APIs); None: the type takes none.
    settings_model: ClassVar[type[BaseModel] | None] = None
    # Whether a run needs at least one message with content (a survey may carry its own).
    needs_message: ClassVar[bool] = True

    def has_content(self, messages: list[dict[str, Any]], settings: Mapping[str, Any]) -> bool:
        """Whether a run would have something to send: a message with content, unless the
        type carries its own (needs_message False; a type may look at its settings)."""
        if not self.needs_message:
            return True
        return any(m.get("content") or m.get("media") or m.get("templateId") for m in messages)

    @abstractmethod
    def prepare(
        self, messages: list[dict[str, Any]], variation: int, context: RunContext = NO_CONTEXT
    ) -> P:
        """The typed content of variation `variation` (0 = original) of the stored messages."""

    @abstractmethod
    async def send(
        self,
        bot: Bot,
        chat_id: int,
        content: P,
        *,
        delivery_id: int,
        recipient: dict[str, Any] | None,
        paid: bool,
    ) -> SentMessage:
        """Send `content` to one recipient; raises aiogram's exceptions on refusal.

        The answer's `ref` (an invite link, a poll id) is kept on the delivery row."""

    async def figures(
        self, uow: UnitOfWork, campaign: Campaign, since: datetime | None
    ) -> BaseModel | None:
        """The type's own statistics since `since` (e.g. invited, joined, join rate), shown as
        `typeStatistics` by GET statistics; None when the type has none."""
        return None


class UnknownCampaignType(DomainError):
    """A campaign type with no delivery policy registered."""

    code = "UNKNOWN_CAMPAIGN_TYPE"

    def __init__(self, type_: object, known: list[str]) -> None:
        super().__init__(
            f"No delivery policy for campaign type {str(type_)!r}; known types: "
            f"{', '.join(known)}.",
            details=[{"type": str(type_), "knownTypes": known}],
        )
        self.type = type_
