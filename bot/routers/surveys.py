"""Surveys (data_collection campaigns) answered in the chat: buttons, typed answers, shared
contacts and poll votes go to core/surveys.py; the next question is sent as the reply."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import BaseFilter
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    PollAnswer,
    ReplyKeyboardRemove,
)

from bot.filters import NOT_A_COMMAND
from core.survey_prompts import SurveyButton, question_markup, question_method
from core.survey_settings import QuestionType
from core.survey_validation import Reply
from core.surveys import (
    OpenSurvey,
    Step,
    StepKind,
    poll_delivery,
    poll_vote,
    press,
    remember_question,
    reply_to_open,
    survey_for_message,
)
from core.uow import UnitOfWork


class HasOpenSurvey(BaseFilter):
    """Passes (with `opened`) when the message answers an open survey: it replies to one of its
    questions, or the current question takes it (a contact: a phone question; text: a text or
    number question, an option's text…). Every other message goes on to the later handlers."""

    async def __call__(
        self, message: Message, uow: UnitOfWork, tenant_id: int
    ) -> bool | dict[str, Any]:
        if message.from_user is None:
            return False
        quoted = message.reply_to_message
        opened = await survey_for_message(
            uow,
            tenant_id,
            message.from_user.id,
            message.chat.id,
            text=message.text,
            contact=message.contact is not None,
            reply_to=quoted.message_id if quoted is not None else None,
        )
        return False if opened is None else {"opened": opened}


class IsSurveyPoll(BaseFilter):
    """Passes for a vote in a poll a survey sent (a quiz's polls are another router's)."""

    async def __call__(self, poll_answer: PollAnswer, uow: UnitOfWork) -> bool:
        return await poll_delivery(uow, poll_answer.poll_id)


async def _say(step: Step, bot: Bot, chat_id: int, uow: UnitOfWork) -> None:
    """Render the step: ask the next question, re-prompt, or thank."""
    if step.kind == StepKind.ASK and step.survey is not None:
        sent = await bot(question_method(chat_id, step.survey, step.index, step.delivery_id))
        # A poll comes back as a Message, a lean sendMessage as a SentMessage: both have an id.
        poll = getattr(sent, "poll", None)
        await remember_question(uow, step.delivery_id, sent.message_id, getattr(poll, "id", None))
        await uow.commit()
    elif step.kind == StepKind.RETRY and step.message:
        markup = None
        if step.survey is not None:
            question = step.survey.questions[step.index]
            if question.type == QuestionType.PHONE:
                markup = question_markup(question, step.index, step.delivery_id)
        await bot.send_message(chat_id, step.message, parse_mode=None, reply_markup=markup)
    elif step.kind == StepKind.DONE and step.message:
        await bot.send_message(
            chat_id, step.message, parse_mode=None, reply_markup=ReplyKeyboardRemove()
        )


async def answer_message(
    message: Message, opened: OpenSurvey, uow: UnitOfWork, tenant_id: int, bot: Bot
) -> None:
    """A typed answer or a shared contact for the sender's open survey."""
    user = message.from_user
    assert user is not None  # HasOpenSurvey passed
    contact = message.contact
    if contact is not None:
        reply = Reply(contact_phone=contact.phone_number, contact_is_own=contact.user_id == user.id)
    else:
        reply = Reply(text=message.text)
    step = await reply_to_open(uow, tenant_id, opened, reply)
    await uow.commit()
    await _say(step, bot, message.chat.id, uow)


async def survey_button(
    query: CallbackQuery, callback_data: SurveyButton, uow: UnitOfWork, tenant_id: int, bot: Bot
) -> None:
    """A survey button; the pressed message loses its buttons once the question moves on."""
    step = await press(uow, tenant_id, query.from_user.id, callback_data)
    await uow.commit()
    message = query.message
    if step.kind == StepKind.TOGGLED and step.survey is not None:
        await query.answer()
        if isinstance(message, Message):
            question = step.survey.questions[step.index]
            markup = question_markup(question, step.index, step.delivery_id, step.mask)
            assert isinstance(markup, InlineKeyboardMarkup)  # a multiple choice's buttons
            await message.edit_reply_markup(reply_markup=markup)
        return
    await query.answer(step.message if step.kind in (StepKind.STALE, StepKind.RETRY) else None)
    if step.kind in (StepKind.ASK, StepKind.DONE) and isinstance(message, Message):
        await message.edit_reply_markup(reply_markup=None)
    chat_id = message.chat.id if message is not None else query.from_user.id
    if step.kind != StepKind.RETRY:
        await _say(step, bot, chat_id, uow)


async def survey_poll(poll_answer: PollAnswer, uow: UnitOfWork, tenant_id: int, bot: Bot) -> None:
    """A vote in a survey's poll question."""
    user = poll_answer.user
    if user is None:
        return
    step = await poll_vote(uow, tenant_id, user.id, poll_answer.poll_id, poll_answer.option_ids)
    await uow.commit()
    await _say(step, bot, user.id, uow)


def build_router() -> Router:
    """A fresh router for survey answers (before the subscriber handlers: it takes a contact
    or text only from someone with an open survey, and never a command)."""
    router = Router(name="surveys")
    router.message.filter(F.chat.type == "private")
    router.callback_query.register(survey_button, SurveyButton.filter())
    router.message.register(answer_message, F.text | F.contact, NOT_A_COMMAND, HasOpenSurvey())
    router.poll_answer.register(survey_poll, IsSurveyPoll())
    return router
