"""typeStatistics of an engagement campaign: participants, answers per question, draws."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from core.campaign_types.engagement import ENTRY_KEY, EngagementMode, parse_settings
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.repositories.contest_draws import ContestDrawRepository
from storage.repositories.contests import ContestRepository


class _Figures(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class QuestionFigures(_Figures):
    """Answers to one quiz question."""

    key: str
    question: str
    answers: int
    correct: int
    correct_rate: float  # percent of its answers


class EngagementFigures(_Figures):
    """typeStatistics of an engagement campaign."""

    mode: EngagementMode
    participants: int  # recipients with at least one answer (quiz) or an entry (challenge)
    entries: int  # challenge entries
    completed: int  # quiz: answered every question
    all_correct: int  # quiz: answered every question correctly
    questions: list[QuestionFigures]
    draws: int
    winners: int


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


async def contest_figures(
    uow: UnitOfWork, campaign: Campaign, since: datetime | None
) -> EngagementFigures | None:
    """The campaign's participants, answers per question, all-correct count, entries and draws
    (answers and draws since `since`); None if its settings are not an engagement's."""
    try:
        settings = parse_settings(campaign.settings)
    except ValidationError:
        return None
    repo = ContestRepository(uow.session)
    counts = {row.question: row for row in await repo.per_question(campaign.id, since)}
    questions = settings.question_list()
    keys = [q.key for q in questions]
    completed, all_correct = (0, 0)
    if keys:
        completed, all_correct = await repo.finishers(campaign.id, keys, since)
    drawn = await ContestDrawRepository(uow.session).draws(campaign.id)
    draws = [d for d in drawn if since is None or d.drawn_at >= since]
    entry = counts.get(ENTRY_KEY)
    return EngagementFigures(
        mode=settings.mode,
        participants=await repo.participant_count(campaign.id, since),
        entries=entry.answers if entry else 0,
        completed=completed,
        all_correct=all_correct,
        questions=[
            QuestionFigures(
                key=q.key,
                question=q.question,
                answers=counts[q.key].answers if q.key in counts else 0,
                correct=counts[q.key].correct if q.key in counts else 0,
                correct_rate=_rate(counts[q.key].correct, counts[q.key].answers)
                if q.key in counts
                else 0.0,
            )
            for q in questions
        ],
        draws=len(draws),
        winners=sum(len(d.winners or []) for d in draws),
    )
