"""The last step: the preview, the summary, and saving the campaign."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from aiogram.fsm.state import State

from bot.routers.wizard.step import Facts, Turn
from bot.type_views import settings_line
from core import drafts
from core.admins import admin_actor
from core.chat_access import access_check
from core.delivery.content import content_for, send_content
from core.errors import DomainError


def _when_text(draft: drafts.Draft) -> str:
    if draft.when == "at" and draft.at is not None:
        local = draft.at.astimezone(ZoneInfo(draft.timezone))
        return f"at {local:%Y-%m-%d %H:%M} ({escape(draft.timezone)})"
    if draft.when in ("daily", "weekly"):
        return f"{draft.when} at {draft.time_of_day} ({escape(draft.timezone)})"
    return {"now": "now", "draft": "saved as a draft"}.get(draft.when, draft.when)


def summary(draft: drafts.Draft) -> str:
    """The confirm question: name, type, audience, A/B split and timing."""
    audience = "everyone"
    if draft.audience_kind != "all":
        audience = f"{draft.audience_kind} {escape(draft.audience_value or '')}"
    variant = f", A/B: {draft.variant_weight}% get variant B" if draft.variant else ""
    shown = "Above is the message as recipients will see it.\n" if draft.message else ""
    settings = settings_line(draft.type, draft.settings)
    return (
        f"{shown}<b>{escape(draft.name or '')}</b> ({draft.type.value}) → {audience}{variant}; "
        f"{_when_text(draft)}.{f' {settings}' if settings else ''} Confirm?"
    )


async def preview(turn: Turn) -> Facts:
    """Send the admin the exact message (and variant) recipients will get."""
    draft, target = turn.draft, turn.message
    if draft.message is None:
        return Facts()  # nothing but the type's own sends (a survey's questions, a call)
    body = drafts.campaign_body(draft).model_dump(mode="json", by_alias=True, exclude_none=True)
    user = target.chat
    recipient = {"first_name": user.first_name, "last_name": user.last_name,
                 "username": user.username, "telegram_id": user.id}  # fmt: skip
    variants = (0, 1) if draft.variant else (0,)
    for variation in variants:
        await send_content(target.bot, target.chat.id, content_for(body["messages"], variation),  # type: ignore[arg-type]  # aiogram binds each incoming message to its Bot
                           delivery_id=0, recipient=recipient, paid=False)  # fmt: skip
    return Facts()


async def save(turn: Turn, value: str) -> State | None:
    """Store the campaign, then run, schedule or repeat it as chosen."""
    actor = admin_actor(turn.tenant_id, turn.admin_id)
    try:
        access = access_check(turn.message.bot)
        campaign, outcome = await drafts.confirm(
            turn.uow, actor, turn.draft, tuple(turn.admin_ids), access
        )
        await turn.uow.commit()  # "Saved" is only ever said about a stored campaign
    except DomainError as exc:
        await turn.uow.rollback()
        await turn.message.answer(f"Could not save: {escape(exc.message)}")
        return None
    await turn.state.clear()
    await turn.message.answer(
        f"Saved campaign camp_{campaign.id} «<b>{escape(campaign.name)}</b>»: {escape(outcome)}. "
        "/campaigns to see it."
    )
    return None
