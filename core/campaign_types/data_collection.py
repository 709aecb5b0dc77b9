"""The `data_collection` type: a survey answered in the bot one question at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from aiogram import Bot
from pydantic import BaseModel

from core.campaign_types.base import NO_CONTEXT, DeliveryPolicy, RunContext, UpdateKind
from core.delivery.content import Content, SentMessage, content_for
from core.survey_figures import survey_figures
from core.survey_prompts import send_opening
from core.survey_settings import SurveySettings, survey_of

if TYPE_CHECKING:
    from core.uow import UnitOfWork
    from storage.models import Campaign


@dataclass(frozen=True)
class SurveyContent:
    """The intro message of one variation and the survey it opens."""

    intro: Content
    survey: SurveySettings

    @property
    def personalised(self) -> bool:
        """Whether the intro needs the recipient's data."""
        return self.intro.personalised


class DataCollectionPolicy(DeliveryPolicy[SurveyContent]):
    """Sends the intro with the first question; the bot asks the rest (core/surveys.py).

    Finishing the survey is the conversion (an answer to every question, skips included).
    """

    name: ClassVar[str] = "data_collection"
    listens_to: ClassVar[frozenset[UpdateKind]] = frozenset(
        {UpdateKind.CHAT_ANSWER, UpdateKind.POLL_ANSWER}
    )
    converts_on: ClassVar[frozenset[UpdateKind]] = frozenset(
        {UpdateKind.CHAT_ANSWER, UpdateKind.POLL_ANSWER}
    )
    settings_model: ClassVar[type[BaseModel] | None] = SurveySettings
    needs_message: ClassVar[bool] = False

    def prepare(
        self, messages: list[dict[str, Any]], variation: int, context: RunContext = NO_CONTEXT
    ) -> SurveyContent:
        """The variation's intro (may be empty) and the campaign's questions."""
        return SurveyContent(content_for(messages, variation), survey_of(dict(context.settings)))

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        content: SurveyContent,
        *,
        delivery_id: int,
        recipient: dict[str, Any] | None,
        paid: bool,
    ) -> SentMessage:
        """The intro and the first question (one message unless it has media or is a poll)."""
        return await send_opening(
            bot, chat_id, content.intro, content.survey, delivery_id, recipient, paid
        )

    async def figures(
        self, uow: UnitOfWork, campaign: Campaign, since: datetime | None
    ) -> BaseModel | None:
        """Per question answered/skipped counts, option counts and means; completion rate."""
        return await survey_figures(uow, campaign, since)
