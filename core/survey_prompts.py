"""Survey questions as Bot API calls: buttons (callback data), keyboards, polls, the opening."""

from __future__ import annotations

from enum import StrEnum
from html import escape
from typing import Any

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import SendPoll, TelegramMethod
from aiogram.types import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputPollOption,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.text_decorations import markdown_decoration

from core.delivery.content import LEAN_METHODS, Content, SentMessage, send_content
from core.survey_settings import RATING, Question, QuestionType, SurveySettings
from core.templating import render, values_for

SKIP = "Skip"
BACK = "« Back"
DONE = "Done"
SHARE_PHONE = "Share my phone number"
CHECKED = "✅ "


class SurveyAction(StrEnum):
    """What a survey button does (one letter: callback data is at most 64 bytes)."""

    ANSWER = "a"  # a single choice option, or a rating
    TOGGLE = "t"  # a multiple choice option on or off
    DONE = "d"  # the multiple choice selection is final
    SKIP = "s"
    BACK = "b"


class SurveyButton(CallbackData, prefix="sv"):
    """A survey button: the delivery, the question it belongs to, the option or rating, and
    (multiple choice) the selection as a bit mask, so no selection is kept anywhere else."""

    delivery_id: int
    action: SurveyAction
    question: int
    option: int = 0
    mask: int = 0


def _button(text: str, delivery_id: int, action: SurveyAction, question: int, **more: int) -> Any:
    data = SurveyButton(delivery_id=delivery_id, action=action, question=question, **more)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _navigation(question: Question, index: int, delivery_id: int) -> list[Any]:
    row = []
    if index > 0:
        row.append(_button(BACK, delivery_id, SurveyAction.BACK, index))
    if not question.required:
        row.append(_button(SKIP, delivery_id, SurveyAction.SKIP, index))
    return row


def selected(mask: int, options: list[str]) -> list[str]:
    """The options a multiple choice mask selects, in their order."""
    return [option for i, option in enumerate(options) if mask >> i & 1]


def question_markup(
    question: Question, index: int, delivery_id: int, mask: int = 0
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ForceReply | None:
    """The keyboard a question is asked with (`mask`: a multiple choice's current selection)."""
    rows: list[list[Any]] = []
    options = question.options or []
    kind = question.type
    if kind == QuestionType.SINGLE_CHOICE:
        rows = [
            [_button(o, delivery_id, SurveyAction.ANSWER, index, option=i)]
            for i, o in enumerate(options)
        ]
    elif kind == QuestionType.MULTIPLE_CHOICE:
        for i, option in enumerate(options):
            label = CHECKED + option if mask >> i & 1 else option
            toggled = mask ^ (1 << i)
            rows.append(
                [_button(label, delivery_id, SurveyAction.TOGGLE, index, option=i, mask=toggled)]
            )
        rows.append([_button(DONE, delivery_id, SurveyAction.DONE, index, mask=mask)])
    elif kind == QuestionType.RATING:
        rows = [
            [_button(str(n), delivery_id, SurveyAction.ANSWER, index, option=n) for n in RATING]
        ]
    elif kind == QuestionType.PHONE:
        # A reply keyboard: only it can ask Telegram for the user's own contact.
        keys = [[KeyboardButton(text=SHARE_PHONE, request_contact=True)]]
        if not question.required:
            keys.append([KeyboardButton(text=SKIP)])
        if index > 0:
            keys.append([KeyboardButton(text=BACK)])
        return ReplyKeyboardMarkup(keyboard=keys, resize_keyboard=True, one_time_keyboard=True)
    navigation = _navigation(question, index, delivery_id)
    if navigation:
        rows.append(navigation)
    if rows:
        return InlineKeyboardMarkup(inline_keyboard=rows)
    if kind in (QuestionType.TEXT, QuestionType.NUMBER):
        return ForceReply(force_reply=True, input_field_placeholder=_placeholder(question))
    return None


def _placeholder(question: Question) -> str:
    if question.type == QuestionType.NUMBER:
        return "A number"
    return "Your answer"


def _hint(question: Question) -> str:
    kind = question.type
    if kind == QuestionType.MULTIPLE_CHOICE:
        return "Choose any, then press Done."
    if kind == QuestionType.RATING:
        return "From 1 (worst) to 5 (best)."
    if kind == QuestionType.NUMBER:
        if question.min is not None and question.max is not None:
            return f"A number from {_num(question.min)} to {_num(question.max)}."
        if question.min is not None:
            return f"A number of at least {_num(question.min)}."
        if question.max is not None:
            return f"A number of at most {_num(question.max)}."
        return "A number."
    if kind == QuestionType.PHONE:
        return "Press the button below to share your number."
    return ""


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def question_text(survey: SurveySettings, index: int) -> str:
    """The words of question `index` (plain text): its number, text and how to answer."""
    question = survey.questions[index]
    total = len(survey.questions)
    head = f"({index + 1}/{total}) {question.text}" if total > 1 else question.text
    hint = _hint(question)
    return f"{head}\n{hint}" if hint else head


def _quoted(text: str, parse_mode: str | None) -> str:
    """Plain text made safe to append to a message in `parse_mode`."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return escape(text, quote=False)
    if mode == "markdownv2":
        return markdown_decoration.quote(text)
    if mode == "markdown":
        for char in "_*`[":
            text = text.replace(char, "\\" + char)
    return text


def question_method(
    chat_id: int,
    survey: SurveySettings,
    index: int,
    delivery_id: int,
    *,
    mask: int = 0,
    intro: str | None = None,
    parse_mode: str | None = None,
    paid: bool = False,
) -> TelegramMethod[Any]:
    """The call that asks question `index` (after `intro`, already in `parse_mode`)."""
    question = survey.questions[index]
    extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
    if question.type == QuestionType.POLL:
        navigation = _navigation(question, index, delivery_id)
        return SendPoll(
            chat_id=chat_id,
            question=question.text,
            # Plain text: the bot's default parse mode must not read the question as HTML.
            question_parse_mode=None,
            options=[InputPollOption(text=o, text_parse_mode=None) for o in question.options or []],
            is_anonymous=False,
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[navigation]) if navigation else None,
            **extra,
        )
    text = question_text(survey, index)
    if intro:
        text = f"{intro}\n\n{_quoted(text, parse_mode)}"
    else:
        parse_mode = None
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": parse_mode,
        "reply_markup": question_markup(question, index, delivery_id, mask),
        **extra,
    }
    return LEAN_METHODS["sendMessage"](**params)


def sent_of(answer: object) -> SentMessage:
    """What the ledger keeps of a question's message: a poll's id as the delivery's ref."""
    if isinstance(answer, Message):
        return SentMessage(
            message_id=answer.message_id, ref=answer.poll.id if answer.poll else None
        )
    assert isinstance(answer, SentMessage)
    return answer


async def send_opening(
    bot: Bot,
    chat_id: int,
    intro: Content,
    survey: SurveySettings,
    delivery_id: int,
    recipient: dict[str, Any] | None,
    paid: bool,
) -> SentMessage:
    """The intro and the first question: one message, unless the intro has media or the first
    question is a poll (then the intro goes first, on its own)."""
    text = intro.text
    if text and intro.personalised:
        text = render(text, values_for(recipient or {}), intro.parse_mode)
    first_is_poll = survey.questions[0].type == QuestionType.POLL
    if intro.media_type or (text and first_is_poll):
        alone = Content(text, intro.parse_mode, intro.media_type, intro.media, ())
        await send_content(bot, chat_id, alone, delivery_id=delivery_id, recipient=None, paid=paid)
        text = None
    method = question_method(
        chat_id, survey, 0, delivery_id, intro=text, parse_mode=intro.parse_mode, paid=paid
    )
    return sent_of(await bot(method))
