"""The `engagement` type: a quiz of native quiz polls, or a "press to enter" challenge.

Quiz: a campaign message is sent with a start button; pressing it sends the first quiz poll,
each answer the next (from the bot, core/contests.py). Without message content the delivery
is the first poll itself. One Bot API send per delivery either way, so the engine's per-chat
pacing holds. Challenge: the message with an entry button. docs/campaign-types/engagement.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import SendPoll
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, InputPollOption
from pydantic import BaseModel, Field, model_validator

from core.campaign_types.base import NO_CONTEXT, DeliveryPolicy, RunContext, UpdateKind
from core.delivery.content import (
    LEAN_METHODS,
    MEDIA_METHODS,
    Content,
    SentMessage,
    content_for,
    keyboard,
)
from core.models import CamelModel
from core.templating import render, values_for
from core.validation import Line
from core.validation_time import Instant

if TYPE_CHECKING:
    from core.uow import UnitOfWork
    from storage.models import Campaign

# The answers row of a challenge entry; question keys cannot start with "_".
ENTRY_KEY = "_entry"
DEFAULT_CHALLENGE_TEXT = "Press the button to enter."
NEXT_QUESTION_TEXT = "Next question"


class EngagementMode(StrEnum):
    """Quiz polls, or one entry button."""

    QUIZ = "quiz"
    CHALLENGE = "challenge"


class ContestAction(StrEnum):
    """What a contest button asks for."""

    START = "s"  # start the quiz: send its first question
    ENTER = "e"  # enter the challenge


class ContestButton(CallbackData, prefix="ct"):
    """Callback data of a contest message's button: which delivery, which action."""

    delivery_id: int
    action: ContestAction


class QuizQuestion(CamelModel):
    """One quiz question, sent as a native quiz poll (is_anonymous false)."""

    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    question: Annotated[Line, Field(min_length=1, max_length=300)]
    options: list[Annotated[Line, Field(min_length=1, max_length=100)]] = Field(
        min_length=2, max_length=10
    )
    correct_option: int = Field(ge=0, le=9, description="Index of the correct option (0-based).")
    explanation: Annotated[Line, Field(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _correct_is_an_option(self) -> Self:
        if self.correct_option >= len(self.options):
            raise ValueError(
                f"correctOption must be an index of options (0-{len(self.options) - 1})"
            )
        return self


class EngagementSettings(CamelModel):
    """`settings` of an engagement campaign."""

    # An engagement campaign without settings is the simplest contest: press to enter.
    mode: EngagementMode = EngagementMode.CHALLENGE
    questions: list[QuizQuestion] | None = Field(default=None, min_length=1, max_length=10)
    entry_button_text: Annotated[Line, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description='The button\'s label: "Enter" (challenge), "Start the quiz".'
    )
    entry_deadline: Instant | None = Field(
        default=None, description="After it, entries, quiz starts and answers are refused."
    )

    @model_validator(mode="after")
    def _questions_fit_the_mode(self) -> Self:
        if self.mode is EngagementMode.QUIZ:
            if not self.questions:
                raise ValueError("a quiz needs questions (1 to 10)")
            keys = [q.key for q in self.questions]
            if len(set(keys)) != len(keys):
                raise ValueError("question keys must be unique")
        elif self.questions:
            raise ValueError("a challenge takes no questions")
        return self

    @property
    def button_text(self) -> str:
        """The entry (challenge) or start (quiz) button's label."""
        default = "Enter" if self.mode is EngagementMode.CHALLENGE else "Start the quiz"
        return self.entry_button_text or default

    def question_list(self) -> list[QuizQuestion]:
        """The quiz's questions in order (none for a challenge)."""
        return list(self.questions or [])

    def closed(self, now: datetime) -> bool:
        """Whether the entry deadline has passed."""
        return self.entry_deadline is not None and now > self.entry_deadline


def parse_settings(raw: Any) -> EngagementSettings:
    """The stored (camelCase) settings of an engagement campaign."""
    return EngagementSettings.model_validate(dict(raw or {}))


@dataclass(frozen=True)
class Contest:
    """One prepared variation: the message (if any) and the contest settings."""

    content: Content
    settings: EngagementSettings

    @property
    def personalised(self) -> bool:
        """Whether sending needs the recipient's data."""
        return self.content.personalised

    @property
    def has_message(self) -> bool:
        """Whether the campaign's message has anything to show."""
        return bool(self.content.text or self.content.media)


def contest_keyboard(content: Content, delivery_id: int, action: ContestAction, label: str) -> Any:
    """The message's own buttons (if any) with the contest button as the last row."""
    own = keyboard(content, delivery_id)
    rows = list(own.inline_keyboard) if own else []
    data = ContestButton(delivery_id=delivery_id, action=action).pack()
    rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def next_question_keyboard(delivery_id: int) -> InlineKeyboardMarkup:
    """The button under every quiz poll: (re)sends the delivery's current question, so a quiz
    whose next question was lost can go on, even one without a message and its start button."""
    data = ContestButton(delivery_id=delivery_id, action=ContestAction.START).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=NEXT_QUESTION_TEXT, callback_data=data)]]
    )


def question_poll(chat_id: int, question: QuizQuestion, delivery_id: int, paid: bool) -> SendPoll:
    """The sendPoll of one question, as plain text: the bot's default parse mode must not
    apply (a "<" or "&" in a question would make Telegram refuse it)."""
    return SendPoll(
        chat_id=chat_id,
        question=question.question,
        question_parse_mode=None,
        options=[InputPollOption(text=text, text_parse_mode=None) for text in question.options],
        type="quiz",
        is_anonymous=False,
        correct_option_id=question.correct_option,
        explanation=question.explanation,
        explanation_parse_mode=None,
        description_parse_mode=None,
        reply_markup=next_question_keyboard(delivery_id),
        allow_paid_broadcast=True if paid else None,
    )


async def send_question(
    bot: Bot, chat_id: int, question: QuizQuestion, *, delivery_id: int, paid: bool = False
) -> SentMessage:
    """Send one question as a non-anonymous quiz poll; `ref` is the poll's id."""
    message = await bot(question_poll(chat_id, question, delivery_id, paid))
    return SentMessage(message_id=message.message_id, ref=message.poll.id if message.poll else None)


class EngagementPolicy(DeliveryPolicy[Contest]):
    """Quizzes (answers from poll_answer) and challenges (an entry button); see the module."""

    name: ClassVar[str] = "engagement"
    # Entry and start presses are contest buttons (bot/routers/contests.py); the message's own
    # callback buttons are counted as clicks like any campaign's.
    listens_to: ClassVar[frozenset[UpdateKind]] = frozenset(
        {UpdateKind.POLL_ANSWER, UpdateKind.BUTTON_CLICK}
    )
    # Finishing the quiz converts; a challenge entry converts too, recorded by core/contests.py
    # (a plain campaign button press does not).
    converts_on: ClassVar[frozenset[UpdateKind]] = frozenset({UpdateKind.POLL_ANSWER})
    settings_model: ClassVar[type[BaseModel] | None] = EngagementSettings
    needs_message: ClassVar[bool] = False  # a quiz may be its polls alone

    def prepare(
        self, messages: list[dict[str, Any]], variation: int, context: RunContext = NO_CONTEXT
    ) -> Contest:
        """The message variant and the campaign's contest settings."""
        return Contest(
            content=content_for(messages, variation), settings=parse_settings(context.settings)
        )

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        content: Contest,
        *,
        delivery_id: int,
        recipient: dict[str, Any] | None,
        paid: bool,
    ) -> SentMessage:
        """The message with its start/entry button, or (a quiz with no message) the first poll."""
        settings = content.settings
        if settings.mode is EngagementMode.QUIZ and not content.has_message:
            first = settings.question_list()[0]
            return await send_question(bot, chat_id, first, delivery_id=delivery_id, paid=paid)
        message = content.content
        text = message.text
        if settings.mode is EngagementMode.CHALLENGE and not content.has_message:
            text = DEFAULT_CHALLENGE_TEXT
        if text and message.personalised:
            text = render(text, values_for(recipient or {}), message.parse_mode)
        action = ContestAction.ENTER
        if settings.mode is EngagementMode.QUIZ:
            action = ContestAction.START
        common: dict[str, Any] = {
            "chat_id": chat_id,
            "parse_mode": message.parse_mode,
            "reply_markup": contest_keyboard(message, delivery_id, action, settings.button_text),
        }
        if paid:
            common["allow_paid_broadcast"] = True
        media = MEDIA_METHODS.get(message.media_type or "")
        if media is not None:
            method, field_name = media
            answer = await bot(method(**common, **{field_name: message.media or ""}, caption=text))
        else:
            send_message: Any = LEAN_METHODS["sendMessage"]  # typed as a bare TelegramMethod
            answer = await bot(send_message(**common, text=text or ""))
        assert isinstance(answer, SentMessage)  # the lean methods answer SentMessage
        return answer

    async def figures(
        self, uow: UnitOfWork, campaign: Campaign, since: datetime | None
    ) -> BaseModel | None:
        """Participants, answers per question, all-correct, entries and draws."""
        from core.contest_figures import contest_figures  # it imports this module

        return await contest_figures(uow, campaign, since)
