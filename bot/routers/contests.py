"""Quizzes and challenges in the bot: start and entry buttons, quiz poll answers."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, PollAnswer

from core import contests
from core.campaign_types.engagement import ContestAction, ContestButton, send_question
from core.contests import Ask, Progress, Verdict
from core.uow import UnitOfWork

log = logging.getLogger(__name__)


def _closed(progress: Progress, what: str) -> str:
    """Why a contest takes no more plays: its deadline (or end date) passed, or it ended."""
    when = progress.deadline
    if when is None:  # cancelled
        return "This contest is closed."
    return f"Sorry, this {what} closed at {when:%Y-%m-%d %H:%M} UTC."


def _score(progress: Progress) -> str:
    return f"You answered {progress.correct} of {progress.total} correctly."


def _press_reply(action: ContestAction, progress: Progress) -> str | None:
    """The toast a contest button press is answered with (None: a silent acknowledgement)."""
    verdict = progress.verdict
    if verdict is Verdict.CLOSED:
        return _closed(progress, "contest")
    if verdict is Verdict.TEST:
        return "This was a test send: nothing is counted."
    if verdict is Verdict.WAIT:
        return "One moment, please press again."
    if action is ContestAction.ENTER:
        return {
            Verdict.COUNTED: "You're in! Good luck.",
            Verdict.ALREADY: "You have entered already.",
        }.get(verdict)
    if verdict is Verdict.ALREADY:
        return (
            f"You have finished the quiz. {_score(progress)}"
            if progress.finished
            else ("Your question is on its way.")
        )
    return None


async def _send(uow: UnitOfWork, bot: Bot, ask: Ask) -> None:
    """Send the next question and remember its poll (or that it failed)."""
    try:
        sent = await send_question(bot, ask.chat_id, ask.question, delivery_id=ask.delivery_id)
    except TelegramAPIError as exc:
        log.warning(
            "quiz question %s not sent to delivery %s: %s", ask.number, ask.delivery_id, exc
        )
        sent = None
    await contests.question_sent(uow, ask, sent)
    await uow.commit()


async def contest_button(
    query: CallbackQuery, callback_data: ContestButton, uow: UnitOfWork, bot: Bot
) -> None:
    """Enter the challenge, or start (resume) the quiz with its next question."""
    user_id = query.from_user.id
    if callback_data.action is ContestAction.ENTER:
        progress = await contests.enter(uow, callback_data.delivery_id, user_id)
    else:
        progress = await contests.start_quiz(uow, callback_data.delivery_id, user_id)
    await uow.commit()
    await query.answer(_press_reply(callback_data.action, progress))
    if progress.ask is not None:
        await _send(uow, bot, progress.ask)


async def poll_answer(answer: PollAnswer, uow: UnitOfWork, bot: Bot) -> None:
    """Score a quiz answer, then send the next question or the result."""
    if answer.user is None:  # a vote on behalf of a chat: no recipient of ours
        return
    progress = await contests.record_answer(
        uow, answer.poll_id, answer.user.id, list(answer.option_ids)
    )
    await uow.commit()
    if progress.chat_id is None:
        return
    if progress.verdict is Verdict.CLOSED:
        await bot.send_message(progress.chat_id, _closed(progress, "quiz"), parse_mode=None)
    elif progress.ask is not None:
        await _send(uow, bot, progress.ask)
    elif progress.finished and progress.verdict is Verdict.COUNTED:
        await bot.send_message(progress.chat_id, f"{_score(progress)} Thanks for playing!")


class IsQuizPoll(Filter):
    """Only answers to a quiz question of ours (other routers take other polls)."""

    async def __call__(self, poll_answer: PollAnswer, uow: UnitOfWork) -> bool:
        return await contests.is_quiz_poll(uow, poll_answer.poll_id)


def build_router() -> Router:
    """A fresh router for contest buttons and quiz answers."""
    router = Router(name="contests")
    router.callback_query.register(contest_button, ContestButton.filter())
    router.poll_answer.register(poll_answer, IsQuizPoll())
    return router
