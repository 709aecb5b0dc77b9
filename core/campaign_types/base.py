"""What a campaign type decides about its deliveries, as the engine sees it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from aiogram import Bot

from core.delivery.content import SentMessage
from core.errors import DomainError


class UpdateKind(StrEnum):
    """A kind of subscriber update that a campaign type can react to."""

    # A press of an inline callback button of a campaign message (bot/routers/clicks.py).
    BUTTON_CLICK = "button_click"


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

    @abstractmethod
    def prepare(self, messages: list[dict[str, Any]], variation: int) -> P:
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
        """Send `content` to one recipient; raises aiogram's exceptions on refusal."""


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
