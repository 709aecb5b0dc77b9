"""The steps each campaign type adds after the type step, and where they lead."""

from __future__ import annotations

import json
from typing import Any, cast

from aiogram import Bot
from aiogram.fsm.state import State

from bot.routers.wizard.quiz_steps import QUIZ_STEPS, before_message
from bot.routers.wizard.step import Facts, Step, Turn
from bot.routers.wizard.survey_steps import SURVEY_STEPS
from bot.states import NewCampaign as N
from core import drafts
from core.bot_chats import chat_label, invitable_chats
from core.campaign_types.custom_params import ALLOWED
from core.chat_access import ChatAccessDenied, ChatCheckUnavailable, check_invite_rights
from core.models import CampaignType

YES_NO = (("yes", "Yes"), ("no", "No"))
# The first step of each type's own; a type not listed goes straight to the message.
FIRST = {
    CampaignType.INVITATION: N.target_chat,
    CampaignType.DATA_COLLECTION: N.question_text,
    CampaignType.ENGAGEMENT: N.contest_mode,
    CampaignType.CUSTOM: N.method,
}


def after_type(draft: drafts.Draft) -> State:
    """Where the type step leads: the type's own steps, else the message."""
    return FIRST.get(draft.type, N.content)


def before_content(draft: drafts.Draft) -> State:
    """Where Back from the message step leads: the type's last step, else the type."""
    if draft.type is CampaignType.INVITATION:
        return N.approval
    if draft.type is CampaignType.DATA_COLLECTION:
        return N.question_more
    if draft.type is CampaignType.ENGAGEMENT:
        return before_message(draft)
    return N.params if draft.type is CampaignType.CUSTOM else N.type


def calls_a_method(draft: drafts.Draft) -> bool:
    """A custom campaign naming a method sends that call, not a message: no message step."""
    return draft.type is CampaignType.CUSTOM and bool(draft.settings.get("method"))


def before_audience(draft: drafts.Draft) -> State:
    """Where Back from the audience step leads."""
    if calls_a_method(draft):
        return N.params
    return N.buttons if draft.message is not None else N.content


# invitation ------------------------------------------------------------------------------


async def _chats(turn: Turn) -> Facts:
    chats = await invitable_chats(turn.uow, turn.tenant_id)
    return Facts(chats=[(str(chat.id), chat_label(chat)) for chat in chats])


async def _target(turn: Turn, ref: str) -> State:
    checked = drafts.check_settings(CampaignType.INVITATION, {"targetChat": ref.strip()})
    try:  # asked now, so a wrong chat is said at once (and again when the campaign is saved)
        chat = await check_invite_rights(cast(Bot, turn.message.bot), checked["targetChat"])
    except (ChatAccessDenied, ChatCheckUnavailable) as exc:
        raise ValueError(exc.message) from None
    settings = {**turn.draft.settings, "targetChat": chat.id}
    turn.draft.settings = drafts.check_settings(CampaignType.INVITATION, settings)
    await turn.message.answer(f"Invitations will lead to {chat_label(chat)}.")
    return N.approval


async def _approval(turn: Turn, value: str) -> State:
    settings = {**turn.draft.settings, "approval": value == "yes"}
    turn.draft.settings = drafts.check_settings(CampaignType.INVITATION, settings)
    return N.content


# custom ----------------------------------------------------------------------------------


def required_params(method: str) -> list[str]:
    """The parameters a method cannot go without (the chat is set per recipient)."""
    fields = ALLOWED[method].cls.model_fields
    return [name for name, field in fields.items() if field.is_required() and name != "chat_id"]


async def _method(turn: Turn, value: str) -> State:
    if value not in ALLOWED:
        raise ValueError("Pick one of the methods with the buttons.")
    if turn.draft.settings.get("method") != value:
        turn.draft.settings = {"method": value, "params": {}}
    return N.params


async def _params(turn: Turn, text: str) -> State:
    answer = text.strip()
    try:
        params: Any = {} if answer in ("-", "{}") else json.loads(answer)
    except json.JSONDecodeError as exc:
        raise ValueError(f"That is not JSON ({exc.msg}): send an object like {{...}}.") from None
    if not isinstance(params, dict):
        raise ValueError("Send the parameters as a JSON object, like {...}.")
    settings = {"method": turn.draft.settings.get("method"), "params": params}
    turn.draft.settings = drafts.check_settings(CampaignType.CUSTOM, settings)
    turn.draft.message, turn.draft.buttons, turn.draft.variant = None, [], None
    return N.audience


def _params_prompt(draft: drafts.Draft) -> str:
    method = str(draft.settings.get("method") or "")
    needed = ", ".join(required_params(method)) if method in ALLOWED else ""
    example = '{"latitude": 52.52, "longitude": 13.4}' if method == "sendLocation" else "{}"
    return (
        f"Send the parameters of {method} as JSON, snake_case as Telegram names them "
        f"(required: {needed or 'none'}), e.g. <code>{example}</code>, or - for none. "
        "Text may use {first_name}."
    )


TYPE_STEPS = (
    Step(N.target_chat, (
        "Which group or channel are recipients invited to? Pick one the bot administers, "
        "or send its @username or numeric id (the bot must be an admin allowed to invite)."
    ), back=N.type, prepare=_chats, choices=lambda facts: facts.chats, pressed=_target,
         typed=_target),
    Step(N.approval, "Should the bot approve join requests (instead of single-use links)?",
         back=N.target_chat, choices=lambda _: YES_NO, columns=2, pressed=_approval),
    *SURVEY_STEPS,
    *QUIZ_STEPS,
    Step(N.method, "Which Bot API call does each recipient get?", back=N.type, columns=3,
         choices=lambda _: [(name, name) for name in ALLOWED], pressed=_method),
    Step(N.params, _params_prompt, back=N.method, typed=_params),
)  # fmt: skip
