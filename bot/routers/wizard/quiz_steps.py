"""The steps of an engagement campaign: a quiz's questions, or a challenge's entry button."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State

from bot.routers.wizard.step import Step, Turn
from bot.states import NewCampaign as N
from core import drafts
from core.campaign_types.engagement import EngagementMode
from core.models import CampaignType

MAX_QUIZ_QUESTIONS = 10  # EngagementSettings.questions' max_length
MODES = ((EngagementMode.QUIZ.value, "❓ Quiz"), (EngagementMode.CHALLENGE.value, "🏁 Challenge"))
MORE = (("add", "➕ Add another question"), ("done", "✅ Done"))
SKIP = ("-", "skip", "none")
# A stand-in for the options while only the question's text is known.
SOME_OPTIONS: dict[str, Any] = {"options": ["a", "b"], "correctOption": 0}


def quiz_questions(draft: drafts.Draft) -> list[dict[str, Any]]:
    """The quiz questions filed so far."""
    return list(draft.settings.get("questions") or [])


def _check_pending(turn: Turn, pending: dict[str, Any]) -> None:
    """The quiz with the question being built, as the engagement rules see it."""
    candidate = {**turn.draft.settings, "questions": [*quiz_questions(turn.draft), pending]}
    drafts.check_settings(CampaignType.ENGAGEMENT, candidate)
    turn.draft.pending = pending


def parse_quiz_options(text: str) -> tuple[list[str], int]:
    """Options one per line, the correct one marked with * -> (options, its index)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    marked = [i for i, line in enumerate(lines) if line.startswith("*") or line.endswith("*")]
    if len(marked) != 1:
        raise ValueError("Mark exactly one option, the correct one, with a * (like *Paris).")
    return [line.strip("*").strip() for line in lines], marked[0]


async def _mode(turn: Turn, value: str) -> State:
    mode = EngagementMode(value)
    draft = turn.draft
    if draft.settings.get("mode") != mode.value:
        draft.settings, draft.pending = {"mode": mode.value}, None
    return N.quiz_question if mode is EngagementMode.QUIZ else N.entry_button


async def _question(turn: Turn, text: str) -> State:
    pending = {"key": f"q{len(quiz_questions(turn.draft)) + 1}", "question": text.strip()}
    _check_pending(turn, {**pending, **SOME_OPTIONS})
    turn.draft.pending = pending
    return N.quiz_options


async def _options(turn: Turn, text: str) -> State:
    options, correct = parse_quiz_options(text)
    pending = {**(turn.draft.pending or {}), "options": options, "correctOption": correct}
    _check_pending(turn, pending)
    return N.quiz_explanation


async def _explanation(turn: Turn, text: str) -> State:
    pending = {k: v for k, v in (turn.draft.pending or {}).items() if k != "explanation"}
    if text.strip().lower() not in SKIP:
        pending["explanation"] = text.strip()
    _check_pending(turn, pending)
    return N.quiz_more


async def _more(turn: Turn, value: str) -> State:
    draft = turn.draft
    filed = quiz_questions(draft) + ([draft.pending] if draft.pending else [])
    draft.settings = drafts.check_settings(CampaignType.ENGAGEMENT, {**draft.settings,
                                           "questions": filed})  # fmt: skip
    if value == "add" and len(filed) >= MAX_QUIZ_QUESTIONS:
        raise ValueError(f"A quiz has at most {MAX_QUIZ_QUESTIONS} questions: press Done.")
    draft.pending = None
    return N.quiz_question if value == "add" else N.content


async def _entry(turn: Turn, text: str) -> State:
    settings: dict[str, Any] = {"mode": EngagementMode.CHALLENGE.value}
    if text.strip().lower() not in SKIP:
        settings["entryButtonText"] = text.strip()
    turn.draft.settings = drafts.check_settings(CampaignType.ENGAGEMENT, settings)
    return N.content


def _question_prompt(draft: drafts.Draft) -> str:
    return f"Quiz question {len(quiz_questions(draft)) + 1}: send the question."


def _more_prompt(draft: drafts.Draft) -> str:
    count = len(quiz_questions(draft)) + (1 if draft.pending else 0)
    return f"The quiz has {count} question(s). Add another, or done?"


def _back_from_more(draft: drafts.Draft) -> State:
    # Once filed (Back from the message step), a question is not reopened: Back leaves the
    # questions (quiz_question would lead straight back here).
    return N.quiz_explanation if draft.pending else N.contest_mode


def _back_from_question(draft: drafts.Draft) -> State:
    # After "Add another", Back returns to the question count, not past the filed questions.
    return N.quiz_more if quiz_questions(draft) else N.contest_mode


def before_message(draft: drafts.Draft) -> State:
    """The last engagement step, where Back from the message step leads."""
    return N.quiz_more if draft.settings.get("mode") == EngagementMode.QUIZ else N.entry_button


QUIZ_STEPS = (
    Step(N.contest_mode, (
        "A quiz (questions sent as quiz polls) or a challenge (press a button to enter)?"
    ), back=N.type, choices=lambda _: MODES, columns=2, pressed=_mode),
    Step(N.quiz_question, _question_prompt, back=_back_from_question, typed=_question),
    Step(N.quiz_options, (
        "Send the options, one per line (2 to 10), with the correct one marked *, like:\n"
        "Rome\n*Paris\nBerlin"
    ), back=N.quiz_question, typed=_options),
    Step(N.quiz_explanation, "Send the explanation shown after answering, or - for none.",
         back=N.quiz_options, typed=_explanation),
    Step(N.quiz_more, _more_prompt, back=_back_from_more, choices=lambda _: MORE,
         pressed=_more),
    Step(N.entry_button, 'Send the entry button\'s text, or - for "Enter".',
         back=N.contest_mode, typed=_entry),
)  # fmt: skip
