"""A survey's results: statistics per question, and the responses (JSON pages, CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from core.errors import ConflictError
from core.models import CampaignType
from core.survey_settings import RATING, QuestionType, SurveySettings, survey_of
from storage.repositories.answers import SurveyAnswerRepository
from storage.repositories.paging import Page

if TYPE_CHECKING:
    from core.uow import UnitOfWork
    from storage.models import Campaign

# Questions whose answers are counted per value.
COUNTED = frozenset(
    {
        QuestionType.SINGLE_CHOICE,
        QuestionType.MULTIPLE_CHOICE,
        QuestionType.POLL,
        QuestionType.RATING,
        QuestionType.NUMBER,
    }
)


class _Figures(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class QuestionFigures(_Figures):
    """One question's results."""

    key: str
    type: str
    answered: int
    skipped: int
    # Choices and ratings: how often each option (rating "1".."5") was chosen.
    options: dict[str, int] | None = None
    # Numbers and ratings.
    mean: float | None = None


class SurveyFigures(_Figures):
    """typeStatistics of a data_collection campaign."""

    sent: int
    started: int
    completed: int
    completion_rate: float  # completed per sent, in percent: the campaign's conversion rate
    questions: list[QuestionFigures]


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _question(
    key: str, kind: QuestionType, options: list[str], counts: tuple[int, int], values: list[Any]
) -> QuestionFigures:
    answered, skipped = counts
    figures = QuestionFigures(key=key, type=kind.value, answered=answered, skipped=skipped)
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.POLL):
        tally = dict.fromkeys(options, 0)
        for value, count in values:
            for option in value if isinstance(value, list) else [value]:
                tally[str(option)] = tally.get(str(option), 0) + count
        figures.options = tally
    if kind == QuestionType.RATING:
        figures.options = {str(n): 0 for n in RATING}
        for value, count in values:
            figures.options[str(value)] = figures.options.get(str(value), 0) + count
    if kind in (QuestionType.RATING, QuestionType.NUMBER):
        numbers = [(v, c) for v, c in values if isinstance(v, int | float)]
        total = sum(c for _, c in numbers)
        if total:
            figures.mean = round(sum(v * c for v, c in numbers) / total, 2)
    return figures


def _survey(campaign: Campaign) -> SurveySettings | None:
    """The campaign's survey; None when its stored settings are not one (e.g. NULL settings
    of a campaign created before migration 0018)."""
    try:
        return survey_of(campaign.settings)
    except ValidationError:
        return None


async def survey_figures(
    uow: UnitOfWork, campaign: Campaign, since: datetime | None
) -> SurveyFigures | None:
    """Answered / skipped per question, counts per option, means; started and completed
    (None without a valid survey)."""
    survey = _survey(campaign)
    if survey is None:
        return None
    repo = SurveyAnswerRepository(uow.session)
    grouped = [q.key for q in survey.questions if q.type in COUNTED]
    counts, values = await repo.tallies(campaign.id, since, grouped)
    completed = await repo.completed(campaign.id, since)
    return SurveyFigures(
        sent=campaign.sent_count,
        started=await repo.started(campaign.id, since),
        completed=completed,
        completion_rate=_pct(completed, campaign.sent_count),
        questions=[
            _question(
                q.key, q.type, q.options or [], counts.get(q.key, (0, 0)), values.get(q.key, [])
            )
            for q in survey.questions
        ],
    )


@dataclass(frozen=True)
class Response:
    """One recipient's answers to a survey."""

    delivery_id: int
    subscriber_id: int
    answers: dict[str, Any]
    completed: bool
    started_at: datetime
    last_answered_at: datetime
    completed_at: datetime | None


async def survey_responses(
    uow: UnitOfWork, campaign: Campaign, offset: int, limit: int
) -> tuple[SurveySettings, Page[Response]]:
    """A page of the responses (deliveries with at least one answer), oldest first;
    NOT_A_SURVEY (409) for a campaign of another type or without valid survey settings."""
    if campaign.type != CampaignType.DATA_COLLECTION:
        raise ConflictError(
            "NOT_A_SURVEY",
            f"Only data_collection campaigns have responses; this one is {campaign.type}.",
        )
    survey = _survey(campaign)
    if survey is None:
        raise ConflictError(
            "NOT_A_SURVEY", "This campaign has no valid survey questions in its settings."
        )
    repo = SurveyAnswerRepository(uow.session)
    respondents, total = await repo.respondents(campaign.id, offset, limit)
    ids = [r.delivery_id for r in respondents]
    answers = await repo.answers_of(ids)
    converted = await repo.converted(ids)
    items = [
        Response(
            delivery_id=r.delivery_id,
            subscriber_id=r.subscriber_id,
            answers=answers.get(r.delivery_id, {}),
            completed=r.delivery_id in converted,
            started_at=r.started_at,
            last_answered_at=r.last_answered_at,
            completed_at=converted.get(r.delivery_id),
        )
        for r in respondents
    ]
    return survey, Page(items, total)


# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A value as a CSV cell a spreadsheet shows as text (never runs it as a formula)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _at(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def responses_csv(
    survey: SurveySettings, rows: list[tuple[str, str, Response]], with_header: bool = True
) -> str:
    """CSV of responses: delivery id, subscriber id, completed, timestamps, one column per
    question key (`rows`: (delivery id, subscriber id, response) with public ids)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    keys = [q.key for q in survey.questions]
    if with_header:
        header = ["deliveryId", "subscriberId", "completed", "startedAt", "completedAt", *keys]
        writer.writerow([cell(name) for name in header])
    for delivery_id, subscriber_id, response in rows:
        writer.writerow(
            [
                delivery_id,
                subscriber_id,
                cell(response.completed),
                _at(response.started_at),
                _at(response.completed_at),
                *[cell(response.answers.get(key)) for key in keys],
            ]
        )
    return out.getvalue()
