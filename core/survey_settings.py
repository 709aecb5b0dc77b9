"""The settings of a data_collection campaign: its questions, validated per type."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from core.models import CamelModel

MAX_QUESTIONS = 20
MAX_OPTIONS = 10
RATING = range(1, 6)
OptionText = Annotated[str, Field(min_length=1, max_length=64)]


class QuestionType(StrEnum):
    """How a survey question is asked and answered."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    TEXT = "text"
    NUMBER = "number"
    RATING = "rating"
    PHONE = "phone"
    POLL = "poll"  # a native non-anonymous poll, answered with poll_answer


CHOICES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.POLL})


class Question(CamelModel):
    """One question of a survey."""

    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    text: str = Field(min_length=1, max_length=300)
    type: QuestionType
    options: list[OptionText] | None = Field(default=None, max_length=MAX_OPTIONS)
    min: float | None = None
    max: float | None = None
    required: bool = True
    max_length: int | None = Field(default=None, ge=1, le=4000)

    @model_validator(mode="after")
    def _fits_its_type(self) -> Question:
        kind = self.type
        if kind in CHOICES:
            if not self.options or len(self.options) < 2:
                raise ValueError(f"a {kind} question needs 2 to {MAX_OPTIONS} options")
            if len(set(self.options)) != len(self.options):
                raise ValueError("options must be distinct")
        elif self.options is not None:
            raise ValueError(f"a {kind} question takes no options")
        if kind != QuestionType.NUMBER and (self.min is not None or self.max is not None):
            raise ValueError("min and max are for number questions")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("min must be less than max")
        if kind != QuestionType.TEXT and self.max_length is not None:
            raise ValueError("maxLength is for text questions")
        if kind == QuestionType.POLL and not self.required:
            # A poll has no Skip button: an unanswered poll would block the survey.
            raise ValueError("a poll question is always required")
        return self


class SurveySettings(CamelModel):
    """`settings` of a data_collection campaign."""

    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)
    thanks: str | None = Field(default=None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _unique_keys(self) -> SurveySettings:
        keys = [q.key for q in self.questions]
        if len(set(keys)) != len(keys):
            raise ValueError("question keys must be unique")
        return self


def survey_of(settings: dict[str, Any] | None) -> SurveySettings:
    """A stored campaign's survey settings, parsed."""
    return SurveySettings.model_validate(settings or {})
