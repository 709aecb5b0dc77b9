"""Answering a survey in the bot: one question at a time, the position derived from the stored
answers (nothing in memory, so a restart loses nothing), Skip, Back, completion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from core.conversions import ConvertedDelivery, record_conversion
from core.lifecycle.campaigns import Status
from core.models import CampaignType
from core.recipients import store_shared_phone
from core.survey_prompts import BACK, SKIP, SurveyAction, SurveyButton
from core.survey_settings import QuestionType, SurveySettings, survey_of
from core.survey_validation import NotAnAnswer, Reply, answer_value, takes_text
from core.uow import UnitOfWork
from storage.repositories.answers import SurveyAnswerRepository, SurveyDelivery, question_ref

# How long after its send an open survey takes typed answers and contacts that do not reply
# to one of its questions (buttons and polls keep working until the survey is closed).
CAPTURE_FOR = timedelta(days=7)
THANKS = "Thank you! Your answers are saved."
CLOSED = "This survey is closed."
ANSWERED = "That question is already answered."


class StepKind(StrEnum):
    """What the bot does after a reply to a survey."""

    ASK = "ask"  # ask question `index` (the next one, or the previous after Back)
    RETRY = "retry"  # say `message`; the question stays open
    TOGGLED = "toggled"  # a multiple choice selection changed to `mask`: redraw its buttons
    DONE = "done"  # the survey is complete: say `message` (the thanks)
    STALE = "stale"  # nothing changed: say `message` (a button of another question)


@dataclass(frozen=True)
class Step:
    """The outcome of one reply."""

    kind: StepKind
    delivery_id: int = 0
    survey: SurveySettings | None = None
    index: int = 0
    mask: int = 0
    message: str | None = None


@dataclass(frozen=True)
class OpenSurvey:
    """A recipient's unfinished survey and how far they got."""

    found: SurveyDelivery
    survey: SurveySettings
    answers: dict[str, Any]

    @property
    def position(self) -> int:
        """The first question without an answer (len(questions) when every one has one)."""
        return position_of(self.survey, self.answers)


def position_of(survey: SurveySettings, answers: dict[str, Any]) -> int:
    """The first question in order that has no stored answer."""
    for index, question in enumerate(survey.questions):
        if question.key not in answers:
            return index
    return len(survey.questions)


def _survey(found: SurveyDelivery) -> SurveySettings | None:
    if found.campaign_type != CampaignType.DATA_COLLECTION:
        return None
    try:
        return survey_of(found.settings)
    except ValidationError:
        return None  # settings stored before they were checked: nothing to ask


def is_closed(found: SurveyDelivery, now: datetime) -> bool:
    """A cancelled campaign's survey, or one past the campaign's endDate, takes no answers."""
    if found.campaign_status == Status.CANCELLED:
        return True
    return found.ends_at is not None and found.ends_at <= now


def _fits(opened: OpenSurvey, text: str | None, contact: bool) -> bool:
    """Whether the current question takes this message when it is not a reply to it."""
    question = opened.survey.questions[opened.position]
    if contact:
        return question.type == QuestionType.PHONE
    return text is not None and takes_text(question, opened.position, text)


async def survey_for_message(
    uow: UnitOfWork,
    tenant_id: int,
    telegram_id: int,
    chat_id: int,
    *,
    text: str | None = None,
    contact: bool = False,
    reply_to: int | None = None,
) -> OpenSurvey | None:
    """The open survey a message answers: the one whose question it replies to, else the most
    recent whose current question takes it (None: the message is not a survey's)."""
    repo = SurveyAnswerRepository(uow.session)
    if reply_to is not None:
        found = await repo.by_message(tenant_id, telegram_id, chat_id, reply_to)
        opened = await _opened(uow, tenant_id, telegram_id, found)
        if opened is not None and (not contact or _fits(opened, text, contact)):
            return opened
    now = uow.clock()
    for found in await repo.unfinished_for(tenant_id, telegram_id, now, now - CAPTURE_FOR):
        survey = _survey(found)
        if survey is None:
            continue
        candidate = OpenSurvey(found, survey, await repo.answers(found.delivery_id))
        if candidate.position < len(survey.questions) and _fits(candidate, text, contact):
            return candidate
    return None


async def _opened(
    uow: UnitOfWork, tenant_id: int, telegram_id: int, found: SurveyDelivery | None
) -> OpenSurvey | None:
    """The survey of `found` if it is this user's, open and not completed yet."""
    if found is None or found.tenant_id != tenant_id or found.telegram_id != telegram_id:
        return None
    survey = _survey(found)
    if survey is None or is_closed(found, uow.clock()):
        return None
    repo = SurveyAnswerRepository(uow.session)
    if await repo.is_completed(found.delivery_id):
        return None
    opened = OpenSurvey(found, survey, await repo.answers(found.delivery_id))
    return opened if opened.position < len(survey.questions) else None


async def reply_to_open(uow: UnitOfWork, tenant_id: int, opened: OpenSurvey, reply: Reply) -> Step:
    """A typed text or a shared contact, answering the current question of `opened`."""
    index = opened.position
    question = opened.survey.questions[index]
    if question.type == QuestionType.PHONE and reply.text is not None:
        # The phone question's reply keyboard sends its Skip / Back as text.
        if reply.text == SKIP and not question.required:
            return await _store(uow, opened, index, None)
        if reply.text == BACK and index > 0:
            return await _back(uow, opened, index)
    return await _answer(uow, tenant_id, opened, index, reply)


async def press(uow: UnitOfWork, tenant_id: int, telegram_id: int, data: SurveyButton) -> Step:
    """A survey button: answer, toggle, Done, Skip or Back of question `data.question`."""
    repo = SurveyAnswerRepository(uow.session)
    opened = await _opened(uow, tenant_id, telegram_id, await repo.delivery(data.delivery_id))
    if opened is None:
        return Step(StepKind.STALE, message=CLOSED)
    index = opened.position
    if data.question != index:
        return Step(StepKind.STALE, message=ANSWERED)
    question = opened.survey.questions[index]
    action = data.action
    if action == SurveyAction.BACK:
        if index == 0:
            return Step(StepKind.STALE)
        return await _back(uow, opened, index)
    if action == SurveyAction.SKIP:
        if question.required:
            return Step(StepKind.RETRY, message="This question cannot be skipped.")
        return await _store(uow, opened, index, None)
    if action == SurveyAction.TOGGLE:
        if question.type != QuestionType.MULTIPLE_CHOICE:
            return Step(StepKind.STALE)
        mask = data.mask & ((1 << len(question.options or [])) - 1)
        return Step(StepKind.TOGGLED, opened.found.delivery_id, opened.survey, index, mask)
    reply = Reply(mask=data.mask) if action == SurveyAction.DONE else Reply(option=data.option)
    return await _answer(uow, tenant_id, opened, index, reply)


async def poll_vote(
    uow: UnitOfWork, tenant_id: int, telegram_id: int, poll_id: str, option_ids: list[int]
) -> Step:
    """An answer to a survey's poll question (a retracted vote changes nothing)."""
    repo = SurveyAnswerRepository(uow.session)
    opened = await _opened(uow, tenant_id, telegram_id, await repo.by_ref(poll_id))
    if opened is None or not option_ids:
        return Step(StepKind.STALE)
    index = opened.position
    if opened.survey.questions[index].type != QuestionType.POLL:
        return Step(StepKind.STALE)
    return await _answer(uow, tenant_id, opened, index, Reply(poll_options=tuple(option_ids)))


async def poll_delivery(uow: UnitOfWork, poll_id: str) -> bool:
    """Whether a poll belongs to a survey delivery (else another type may own it)."""
    return await SurveyAnswerRepository(uow.session).by_ref(poll_id) is not None


async def remember_question(
    uow: UnitOfWork, delivery_id: int, message_id: int, poll_id: str | None
) -> None:
    """Keep the poll id of a poll question just sent (its poll_answer finds the delivery), or
    the message id of another (a reply to it finds the delivery)."""
    ref = poll_id if poll_id is not None else question_ref(message_id)
    await SurveyAnswerRepository(uow.session).set_ref(delivery_id, ref)


async def _answer(
    uow: UnitOfWork, tenant_id: int, opened: OpenSurvey, index: int, reply: Reply
) -> Step:
    question = opened.survey.questions[index]
    try:
        value = answer_value(question, reply)
    except NotAnAnswer as refusal:
        return Step(
            StepKind.RETRY, opened.found.delivery_id, opened.survey, index, message=refusal.message
        )
    if question.type == QuestionType.PHONE:
        await store_shared_phone(uow, tenant_id, opened.found.telegram_id, value)
    return await _store(uow, opened, index, value)


async def _store(uow: UnitOfWork, opened: OpenSurvey, index: int, value: Any) -> Step:
    found, survey = opened.found, opened.survey
    key = survey.questions[index].key
    if not await SurveyAnswerRepository(uow.session).add(found, key, value, uow.clock()):
        return Step(StepKind.STALE, message=ANSWERED)
    answers = {**opened.answers, key: value}
    following = position_of(survey, answers)
    if following < len(survey.questions):
        return Step(StepKind.ASK, found.delivery_id, survey, following)
    await _complete(uow, found, survey, answers)
    return Step(StepKind.DONE, found.delivery_id, survey, message=survey.thanks or THANKS)


async def _back(uow: UnitOfWork, opened: OpenSurvey, index: int) -> Step:
    previous = index - 1
    key = opened.survey.questions[previous].key
    await SurveyAnswerRepository(uow.session).remove(opened.found.delivery_id, key)
    return Step(StepKind.ASK, opened.found.delivery_id, opened.survey, previous)


async def _complete(
    uow: UnitOfWork, found: SurveyDelivery, survey: SurveySettings, answers: dict[str, Any]
) -> None:
    """The completion marker and conversion of the delivery, once: the row lock (a write, so
    SQLite serialises too) is taken before the check."""
    repo = SurveyAnswerRepository(uow.session)
    await repo.lock(found.delivery_id)
    if await repo.is_completed(found.delivery_id):
        return
    skipped = sum(1 for value in answers.values() if value is None)
    details = {"survey": "completed", "answered": len(answers) - skipped, "skipped": skipped}
    # An API conversion (`POST /api/v1/events`) may have counted the recipient already.
    converted = ConvertedDelivery(
        found.tenant_id, found.campaign_id, found.delivery_id, found.subscriber_id
    )
    await record_conversion(
        uow, converted, actor=f"telegram:{found.telegram_id}", via="survey", details=details
    )
    await uow.flush()
