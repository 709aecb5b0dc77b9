"""What a survey answer is worth, per question type; a friendly refusal when it is not one."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from core.recipients import normalise_phone
from core.survey_prompts import BACK, SKIP, selected
from core.survey_settings import RATING, Question, QuestionType

# A text answer is one Telegram message at most.
TEXT_LIMIT = 4096


@dataclass(frozen=True)
class Reply:
    """What the recipient did in answer to a question."""

    text: str | None = None
    option: int | None = None  # a pressed option (its index) or rating
    mask: int | None = None  # a multiple choice selection (Done)
    contact_phone: str | None = None
    contact_is_own: bool = False
    poll_options: tuple[int, ...] | None = None


class NotAnAnswer(Exception):
    """The reply does not answer the question; the message says what would."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _option(question: Question, reply: Reply) -> str:
    options = question.options or []
    if reply.option is not None and 0 <= reply.option < len(options):
        return options[reply.option]
    typed = (reply.text or "").strip().casefold()
    for option in options:
        if option.casefold() == typed:
            return option
    raise NotAnAnswer("Please choose one of the buttons.")


def _many(question: Question, reply: Reply) -> list[str]:
    options = question.options or []
    mask = reply.mask
    if mask is None:
        raise NotAnAnswer("Please choose with the buttons, then press Done.")
    if mask < 0 or mask >= 1 << len(options):
        raise NotAnAnswer("Please choose one of the buttons.")
    chosen = selected(mask, options)
    if not chosen:
        tail = "" if question.required else ", or press Skip"
        raise NotAnAnswer(f"Choose at least one option, then press Done{tail}.")
    return chosen


def _rating(reply: Reply) -> int:
    value = reply.option
    if value is None and (reply.text or "").strip().isdigit():
        value = int((reply.text or "").strip())
    if value is None or value not in RATING:
        raise NotAnAnswer(f"Please rate from {RATING.start} to {RATING.stop - 1}.")
    return value


# A comma that can only be a decimal one: a single comma not followed by exactly 3 digits.
DECIMAL_COMMA = re.compile(r"^[+-]?\d*,(\d{1,2}|\d{4,})$")


def _parsed(text: str) -> float:
    raw = text.strip().replace(" ", "")
    if "," in raw:
        if "." in raw or not DECIMAL_COMMA.match(raw):
            # "1,500" may be fifteen hundred or one and a half: ask rather than guess.
            raise NotAnAnswer("Please send the number without a thousands separator: 1500 or 1.5.")
        raw = raw.replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        raise NotAnAnswer("Please send a number, e.g. 42.") from None
    if not math.isfinite(value):
        raise NotAnAnswer("Please send a number, e.g. 42.")
    return value


def _number(question: Question, reply: Reply) -> int | float:
    value = _parsed(reply.text or "")
    low, high = question.min, question.max
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = _bounds(low, high)
        raise NotAnAnswer(f"Please send a number {bounds}.")
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _bounds(low: float | None, high: float | None) -> str:
    def show(v: float) -> str:
        return str(int(v)) if float(v).is_integer() else str(v)

    if low is not None and high is not None:
        return f"from {show(low)} to {show(high)}"
    if low is not None:
        return f"of at least {show(low)}"
    return f"of at most {show(high or 0)}"


def _text(question: Question, reply: Reply) -> str:
    text = (reply.text or "").strip()
    if not text:
        raise NotAnAnswer("Please type your answer.")
    limit = question.max_length or TEXT_LIMIT
    if len(text) > limit:
        raise NotAnAnswer(f"Please keep it to {limit} characters (yours has {len(text)}).")
    return text


def _phone(reply: Reply) -> str:
    if reply.contact_phone is None:
        raise NotAnAnswer("Please press the button to share your phone number.")
    phone = normalise_phone(reply.contact_phone) if reply.contact_is_own else None
    if phone is None:
        raise NotAnAnswer("Please share your own number with the button.")
    return phone


def _poll(question: Question, reply: Reply) -> str:
    options = question.options or []
    if not reply.poll_options:
        raise NotAnAnswer("Please answer the poll above.")
    index = reply.poll_options[0]
    if not 0 <= index < len(options):
        raise NotAnAnswer("Please answer the poll above.")
    return options[index]


def takes_text(question: Question, index: int, text: str) -> bool:
    """Whether typed `text` (not a reply to the question's message) is meant for `question`:
    any text for text and number questions, an option's text or a rating's digit, the phone
    keyboard's Skip / Back keys or a typed phone number (re-prompted for the button)."""
    kind = question.type
    typed = text.strip()
    if kind in (QuestionType.TEXT, QuestionType.NUMBER):
        return True
    if kind == QuestionType.SINGLE_CHOICE:
        return any(o.casefold() == typed.casefold() for o in question.options or [])
    if kind == QuestionType.RATING:
        return typed.isdigit() and int(typed) in RATING
    if kind == QuestionType.PHONE:
        if (typed == SKIP and not question.required) or (typed == BACK and index > 0):
            return True
        return normalise_phone(typed) is not None
    return False


def answer_value(question: Question, reply: Reply) -> Any:
    """The value stored for `reply` to `question`; NotAnAnswer when it is not an answer."""
    kind = question.type
    if kind == QuestionType.SINGLE_CHOICE:
        return _option(question, reply)
    if kind == QuestionType.MULTIPLE_CHOICE:
        return _many(question, reply)
    if kind == QuestionType.RATING:
        return _rating(reply)
    if kind == QuestionType.NUMBER:
        return _number(question, reply)
    if kind == QuestionType.TEXT:
        return _text(question, reply)
    if kind == QuestionType.PHONE:
        return _phone(reply)
    return _poll(question, reply)
