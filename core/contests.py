"""Quizzes and challenges as recipients play them: answers, entries, conversions, figures.

Where a quiz is: `deliveries.ref` holds the poll id of the question a recipient was sent last
(the engine writes the first when the delivery is the poll itself, `question_sent` the rest),
so a poll_answer finds its delivery through that indexed column; the question answered is the
first of the campaign's questions (in order) that the delivery has no answers row for, since
each is sent only after the previous one was answered. Each answer is an `answers` row:
question = the question's key, value = {"option": i, "pollId": id}, correct = whether i is
the correct option. A challenge entry is an answers row with question ENTRY_KEY.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from core.campaign_types.engagement import (
    ENTRY_KEY,
    EngagementMode,
    EngagementSettings,
    QuizQuestion,
    parse_settings,
)
from core.conversions import ConvertedDelivery, record_conversion
from core.delivery.content import SentMessage
from core.event_names import INTERACTION_EVENTS
from core.events import DomainEvent
from core.lifecycle import Status
from core.models import CampaignType, InteractionType
from core.uow import UnitOfWork
from storage.models import Interaction
from storage.repositories.contests import (
    ContestDelivery,
    ContestRepository,
    claimed_at,
    starting_ref,
)
from storage.repositories.interactions import InteractionRepository

# A question claimed for sending longer ago than this is taken to be lost (its process died
# between the commit and question_sent): the start button may claim it again.
CLAIM_TIMEOUT = timedelta(seconds=30)


class Verdict(StrEnum):
    """What became of a press or an answer."""

    COUNTED = "counted"  # stored: an answer, an entry, a (re)started quiz
    ALREADY = "already"  # entered or finished before, or a question is being sent right now
    CLOSED = "closed"  # cancelled, or after the campaign's end date or the entry deadline
    WAIT = "wait"  # pressed before the ledger recorded the send: press again
    TEST = "test"  # a test send's message: nothing is counted
    IGNORED = "ignored"  # not a contest delivery of this person


@dataclass(frozen=True)
class Ask:
    """A question to send to a recipient next."""

    delivery_id: int
    chat_id: int
    question: QuizQuestion
    number: int  # 1-based
    total: int


@dataclass(frozen=True)
class Progress:
    """The outcome of a press or an answer, and what the bot should do next."""

    verdict: Verdict
    ask: Ask | None = None
    chat_id: int | None = None  # where to tell the recipient (their delivery's chat)
    finished: bool = False
    correct: int = 0
    total: int = 0
    deadline: datetime | None = None  # with CLOSED: the deadline or end date that passed


def _closed(found: ContestDelivery, settings: EngagementSettings, now: datetime) -> Progress | None:
    """A CLOSED progress if the contest no longer takes plays, else None."""
    if found.campaign_status == Status.CANCELLED:
        return Progress(Verdict.CLOSED, chat_id=found.chat_id)
    if settings.closed(now):
        return Progress(Verdict.CLOSED, chat_id=found.chat_id, deadline=settings.entry_deadline)
    if found.end_date is not None and now > found.end_date:
        return Progress(Verdict.CLOSED, chat_id=found.chat_id, deadline=found.end_date)
    return None


def _claim_pending(ref: str | None, now: datetime) -> bool:
    """Whether `ref` is a claim to send a question that is recent enough to be honoured."""
    at = claimed_at(ref)
    return at is not None and now.timestamp() - at < CLAIM_TIMEOUT.total_seconds()


def _contest(
    found: ContestDelivery | None, telegram_id: int, mode: EngagementMode
) -> tuple[ContestDelivery, EngagementSettings] | Verdict:
    """The delivery and its settings if `telegram_id` may play it in `mode`, else a verdict."""
    if found is None or found.campaign_type != CampaignType.ENGAGEMENT:
        return Verdict.IGNORED
    if found.telegram_id != telegram_id:  # callback data can be forged, the sender cannot
        return Verdict.IGNORED
    try:
        settings = parse_settings(found.settings)
    except ValidationError:
        return Verdict.IGNORED
    if settings.mode is not mode:
        return Verdict.IGNORED
    return Verdict.TEST if found.test_mode else (found, settings)


def _ask(
    found: ContestDelivery, questions: list[QuizQuestion], answered: dict[str, Any]
) -> Ask | None:
    for number, question in enumerate(questions, start=1):
        if question.key not in answered:
            return Ask(found.delivery_id, found.chat_id, question, number, len(questions))
    return None


def _score(questions: list[QuizQuestion], answered: dict[str, bool | None]) -> int:
    return sum(1 for q in questions if answered.get(q.key) is True)


async def start_quiz(uow: UnitOfWork, delivery_id: int, telegram_id: int) -> Progress:
    """A press of the quiz's start button: the first unanswered question to send (again, if
    the recipient lost it: a poll sent before is then no longer counted)."""
    repo = ContestRepository(uow.session)
    checked = _contest(await repo.delivery(delivery_id), telegram_id, EngagementMode.QUIZ)
    if isinstance(checked, Verdict):
        return Progress(checked)
    found, settings = checked
    questions = settings.question_list()
    answered = await repo.answered(delivery_id)
    ask = _ask(found, questions, answered)
    score = _score(questions, answered)
    if ask is None:
        return Progress(Verdict.ALREADY, finished=True, correct=score, total=len(questions))
    now = uow.clock()
    if (closed := _closed(found, settings, now)) is not None:
        return closed
    if _claim_pending(found.ref, now):
        return Progress(Verdict.ALREADY, total=len(questions))
    if not await repo.claim_start(delivery_id, found.ref, starting_ref(int(now.timestamp()))):
        return Progress(Verdict.WAIT)
    return Progress(Verdict.COUNTED, ask=ask, correct=score, total=len(questions))


async def question_sent(uow: UnitOfWork, ask: Ask, sent: SentMessage | None) -> None:
    """Remember the poll a question went out as (None: sending failed, the start button may
    be pressed again)."""
    await ContestRepository(uow.session).set_ref(ask.delivery_id, sent.ref if sent else None)


async def is_quiz_poll(uow: UnitOfWork, poll_id: str) -> bool:
    """Whether `poll_id` is the current question of an engagement delivery."""
    repo = ContestRepository(uow.session)
    return await repo.delivery_of_poll(poll_id, CampaignType.ENGAGEMENT) is not None


async def record_answer(
    uow: UnitOfWork, poll_id: str, telegram_id: int, option_ids: list[int]
) -> Progress:
    """A poll_answer: the answers row of its question, the next question to send, and on the
    last one a CONVERTED interaction (once per delivery)."""
    repo = ContestRepository(uow.session)
    found = await repo.delivery_of_poll(poll_id, CampaignType.ENGAGEMENT)
    checked = _contest(found, telegram_id, EngagementMode.QUIZ)
    if isinstance(checked, Verdict) or not option_ids:  # [] retracts; quizzes cannot
        return Progress(checked if isinstance(checked, Verdict) else Verdict.IGNORED)
    found, settings = checked
    questions = settings.question_list()
    answered = await repo.answered(found.delivery_id)
    ask = _ask(found, questions, answered)
    if ask is None:
        return Progress(Verdict.ALREADY, finished=True, total=len(questions))
    now = uow.clock()
    if (closed := _closed(found, settings, now)) is not None:
        return closed
    option = option_ids[0]
    correct = option == ask.question.correct_option
    stored = await repo.add_answer(
        _answer_row(found, ask.question.key, {"option": option, "pollId": poll_id}, correct, now)
    )
    if not stored:
        return Progress(Verdict.ALREADY, total=len(questions))
    answered[ask.question.key] = correct
    following = _ask(found, questions, answered)
    score = _score(questions, answered)
    if following is None:
        details = {"correct": score, "questions": len(questions)}
        await _convert(uow, found, details, telegram_id, clicked=False, via="quiz")
    else:
        # The start button waits for the claim (or retakes it once it is stale).
        await repo.set_ref(found.delivery_id, starting_ref(int(now.timestamp())))
    return Progress(
        Verdict.COUNTED,
        ask=following,
        chat_id=found.chat_id,
        finished=following is None,
        correct=score,
        total=len(questions),
    )


async def enter(uow: UnitOfWork, delivery_id: int, telegram_id: int) -> Progress:
    """A press of a challenge's entry button: an entry and a CONVERTED interaction, once."""
    repo = ContestRepository(uow.session)
    found = await repo.delivery(delivery_id)
    checked = _contest(found, telegram_id, EngagementMode.CHALLENGE)
    if isinstance(checked, Verdict):
        return Progress(checked)
    found, settings = checked
    now = uow.clock()
    if (closed := _closed(found, settings, now)) is not None:
        return closed
    if not await repo.add_answer(_answer_row(found, ENTRY_KEY, {"entered": True}, None, now)):
        return Progress(Verdict.ALREADY)
    # The press is a click too, counted once per delivery with the message's other buttons.
    clicked = await InteractionRepository(uow.session).mark_clicked(delivery_id, now)
    await _convert(uow, found, {"entry": True}, telegram_id, clicked=clicked, via="entry")
    return Progress(Verdict.COUNTED, finished=True)


def _answer_row(
    found: ContestDelivery, key: str, value: dict[str, Any], correct: bool | None, now: datetime
) -> dict[str, Any]:
    return {
        "tenant_id": found.tenant_id,
        "campaign_id": found.campaign_id,
        "delivery_id": found.delivery_id,
        "subscriber_id": found.subscriber_id,
        "question": key,
        "value": value,
        "correct": correct,
        "answered_at": now,
    }


async def _convert(
    uow: UnitOfWork,
    found: ContestDelivery,
    details: dict[str, Any],
    telegram_id: int,
    *,
    clicked: bool,
    via: str,
) -> None:
    """CONVERTED (and CLICKED, when this is the delivery's first click): rows, events, counters;
    nothing if the delivery converted before (e.g. a quiz finished again after its questions
    were edited)."""
    repo = ContestRepository(uow.session)
    await repo.lock_delivery(found.delivery_id)  # serialises the check with concurrent answers
    if await repo.converted(found.delivery_id):
        return
    actor = f"telegram:{telegram_id}"
    if clicked:
        await _clicked(uow, found, actor, via, details)
    converted = ConvertedDelivery(
        found.tenant_id, found.campaign_id, found.delivery_id, found.subscriber_id
    )
    await record_conversion(uow, converted, actor=actor, via=via, details=details)


async def _clicked(
    uow: UnitOfWork, found: ContestDelivery, actor: str, via: str, details: dict[str, Any]
) -> None:
    """The entry press as the delivery's first click: its row, event and counter."""
    await InteractionRepository(uow.session).add(
        Interaction(
            tenant_id=found.tenant_id,
            campaign_id=found.campaign_id,
            delivery_id=found.delivery_id,
            subscriber_id=found.subscriber_id,
            type=InteractionType.CLICKED,
            occurred_at=uow.clock(),
            details=details,
        )
    )
    uow.emit(
        DomainEvent(
            name=INTERACTION_EVENTS[InteractionType.CLICKED],
            tenant_id=found.tenant_id,
            campaign_id=found.campaign_id,
            actor=actor,
            subscriber_id=found.subscriber_id,
            occurred_at=uow.clock(),
            data={"deliveryId": found.delivery_id, "first": True, "via": via, **details},
        )
    )
    await ContestRepository(uow.session).count_click(found.campaign_id)
