"""The survey builder of a data_collection campaign: one question at a time, 1 to 20."""

from __future__ import annotations

import re
from typing import Any

from aiogram.fsm.state import State

from bot.routers.wizard.step import Step, Turn
from bot.states import NewCampaign as N
from core import drafts
from core.models import CampaignType
from core.survey_settings import CHOICES, MAX_QUESTIONS, QuestionType

KIND_LABELS = {
    QuestionType.SINGLE_CHOICE: "One choice",
    QuestionType.MULTIPLE_CHOICE: "Several choices",
    QuestionType.TEXT: "Free text",
    QuestionType.NUMBER: "Number",
    QuestionType.RATING: "Rating 1–5",
    QuestionType.PHONE: "Phone number",
    QuestionType.POLL: "Native poll",
}
NUMBER = r"-?\d+(?:[.,]\d+)?"
BOUNDS = re.compile(rf"^({NUMBER})\s*(?:\.\.|…|\s|to)\s*({NUMBER})$")
YES_NO = (("yes", "Yes"), ("no", "No"))
MORE = (("add", "➕ Add another question"), ("done", "✅ Done"))


def questions(draft: drafts.Draft) -> list[dict[str, Any]]:
    """The questions filed so far."""
    return list(draft.settings.get("questions") or [])


def _check_pending(turn: Turn, pending: dict[str, Any]) -> None:
    """The survey with the question being built, as the survey's own rules see it."""
    candidate = {**turn.draft.settings, "questions": [*questions(turn.draft), pending]}
    drafts.check_settings(CampaignType.DATA_COLLECTION, candidate)
    turn.draft.pending = pending


def _number(text: str) -> int | float:
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


async def _text(turn: Turn, text: str) -> State:
    pending = {"key": f"q{len(questions(turn.draft)) + 1}", "text": text.strip()}
    # Checked as a free-text question: only the text can be wrong yet.
    _check_pending(turn, {**pending, "type": QuestionType.TEXT.value})
    turn.draft.pending = pending
    return N.question_type


async def _kind(turn: Turn, value: str) -> State:
    kind = QuestionType(value)
    pending = {k: v for k, v in (turn.draft.pending or {}).items() if k in ("key", "text")}
    pending["type"] = kind.value
    turn.draft.pending = pending
    if kind in CHOICES:
        return N.question_options
    if kind is QuestionType.NUMBER:
        return N.question_bounds
    _check_pending(turn, pending)
    return N.question_required


async def _options(turn: Turn, text: str) -> State:
    options = [line.strip() for line in text.splitlines() if line.strip()]
    _check_pending(turn, {**(turn.draft.pending or {}), "options": options})
    return N.question_required


async def _bounds(turn: Turn, text: str) -> State:
    pending = {k: v for k, v in (turn.draft.pending or {}).items() if k not in ("min", "max")}
    answer = text.strip().lower()
    if answer not in ("-", "skip", "none"):
        match = BOUNDS.match(answer)
        if not match:
            raise ValueError("Send the lowest and highest number, like 1 100, or - for any number.")
        pending["min"], pending["max"] = _number(match[1]), _number(match[2])
    _check_pending(turn, pending)
    return N.question_required


async def _required(turn: Turn, value: str) -> State:
    _check_pending(turn, {**(turn.draft.pending or {}), "required": value == "yes"})
    return N.question_more


async def _more(turn: Turn, value: str) -> State:
    draft = turn.draft
    filed = questions(draft) + ([draft.pending] if draft.pending else [])
    draft.settings = drafts.check_settings(CampaignType.DATA_COLLECTION, {**draft.settings,
                                           "questions": filed})  # fmt: skip
    if value == "add":
        if len(filed) >= MAX_QUESTIONS:
            raise ValueError(f"A survey has at most {MAX_QUESTIONS} questions: press Done.")
        draft.pending = None
        return N.question_text
    draft.pending = None
    return N.content


def _text_prompt(draft: drafts.Draft) -> str:
    number = len(questions(draft)) + 1
    return f"Survey question {number}: send its text."


def _kind_prompt(draft: drafts.Draft) -> str:
    return f"How is «{(draft.pending or {}).get('text', '')}» answered?"


def _back_from_required(draft: drafts.Draft) -> State:
    kind = (draft.pending or {}).get("type")
    if kind in CHOICES:
        return N.question_options
    return N.question_bounds if kind == QuestionType.NUMBER else N.question_type


def _back_from_more(draft: drafts.Draft) -> State:
    # Once filed (Back from the message step), a question is not reopened: Back leaves the
    # questions (question_text would lead straight back here).
    return N.question_required if draft.pending else N.type


def _back_from_text(draft: drafts.Draft) -> State:
    # After "Add another", Back returns to the question count, not past the filed questions.
    return N.question_more if questions(draft) else N.type


def _more_prompt(draft: drafts.Draft) -> str:
    count = len(questions(draft)) + (1 if draft.pending else 0)
    return f"The survey has {count} question(s). Add another, or done?"


SURVEY_STEPS = (
    Step(N.question_text, _text_prompt, back=_back_from_text, typed=_text),
    Step(N.question_type, _kind_prompt, back=N.question_text, pressed=_kind, columns=2,
         choices=lambda _: [(kind.value, label) for kind, label in KIND_LABELS.items()]),
    Step(N.question_options, "Send the options, one per line (2 to 10).",
         back=N.question_type, typed=_options),
    Step(N.question_bounds, (
        "Send the lowest and highest number allowed, like 1 100, or - for any number."
    ), back=N.question_type, typed=_bounds),
    Step(N.question_required, "Must it be answered? (No lets people skip it.)",
         back=_back_from_required, choices=lambda _: YES_NO, columns=2, pressed=_required),
    Step(N.question_more, _more_prompt, back=_back_from_more,
         choices=lambda _: MORE, pressed=_more),
)  # fmt: skip
