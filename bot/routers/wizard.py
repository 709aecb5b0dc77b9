"""The new-campaign wizard: name → type → content → buttons → audience → A/B → when → confirm."""

from __future__ import annotations

from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Choice, Menu, Nav
from bot.capture import message_content
from bot.filters import NOT_A_COMMAND, IsAdmin
from bot.prompts import keyboard, prompt
from bot.states import NewCampaign
from core import drafts
from core.admins import admin_actor, admin_timezone, remember_timezone
from core.delivery.content import content_for, send_content
from core.errors import DomainError
from core.models import check_timezone
from core.segments import list_segments
from core.uow import UnitOfWork

PREVIOUS = {
    "type": "name", "content": "type", "buttons": "content", "audience": "buttons",
    "audience_value": "audience", "variant": "audience", "variant_content": "variant",
    "variant_weight": "variant_content", "when": "variant", "timezone": "when", "date": "when",
    "recurring": "when", "confirm": "when",
}  # fmt: skip


async def _draft(state: FSMContext) -> drafts.Draft:
    return drafts.Draft.model_validate((await state.get_data()).get("draft", {}))


async def _save(state: FSMContext, draft: drafts.Draft) -> None:
    await state.update_data(draft=draft.model_dump(mode="json"))


async def ask(
    target: Message, state: FSMContext, step: str, uow: UnitOfWork, tenant_id: int
) -> None:
    """Move to `step` and say what it needs."""
    await state.set_state(getattr(NewCampaign, step))
    draft = await _draft(state)
    extra: dict[str, Any] = {}
    if step == "audience":
        extra["everyone"] = await drafts.audience_count(
            uow, admin_actor(tenant_id, 0), drafts.Draft()
        )
    text = prompt(step, draft.timezone)
    if step == "confirm":
        await _preview(target, draft)
        text = _summary(draft)
    await target.answer(text, reply_markup=keyboard(step, **extra))


def _when_text(draft: drafts.Draft) -> str:
    if draft.when == "at" and draft.at is not None:
        local = draft.at.astimezone(ZoneInfo(draft.timezone))
        return f"at {local:%Y-%m-%d %H:%M} ({escape(draft.timezone)})"
    if draft.when in ("daily", "weekly"):
        return f"{draft.when} at {draft.time_of_day} ({escape(draft.timezone)})"
    return {"now": "now", "draft": "saved as a draft"}.get(draft.when, draft.when)


def _summary(draft: drafts.Draft) -> str:
    audience = "everyone"
    if draft.audience_kind != "all":
        audience = f"{draft.audience_kind} {escape(draft.audience_value or '')}"
    variant = f", A/B: {draft.variant_weight}% get variant B" if draft.variant else ""
    return (
        "Above is the message as recipients will see it.\n"
        f"<b>{escape(draft.name or '')}</b> ({draft.type.value}) → {audience}{variant}; "
        f"{_when_text(draft)}. Confirm?"
    )


async def _preview(target: Message, draft: drafts.Draft) -> None:
    """Send the admin the exact message (and variant) recipients will get."""
    body = drafts.campaign_body(draft).model_dump(mode="json", by_alias=True, exclude_none=True)
    user = target.chat
    recipient = {"first_name": user.first_name, "last_name": user.last_name,
                 "username": user.username, "telegram_id": user.id}  # fmt: skip
    variants = (0, 1) if draft.variant else (0,)
    for variation in variants:
        await send_content(target.bot, target.chat.id, content_for(body["messages"], variation),  # type: ignore[arg-type]
                           delivery_id=0, recipient=recipient, paid=False)  # fmt: skip


async def start(message: Message, state: FSMContext, uow: UnitOfWork, tenant_id: int) -> None:
    """/new: a fresh draft."""
    await state.clear()
    await ask(message, state, "name", uow, tenant_id)


async def start_from_menu(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, tenant_id: int
) -> None:
    """The "New campaign" button."""
    await query.answer()
    await state.clear()
    await ask(query.message, state, "name", uow, tenant_id)  # type: ignore[arg-type]


async def cancel(message: Message, state: FSMContext) -> None:
    """/cancel works in any step."""
    await state.clear()
    await message.answer("Cancelled. Nothing was saved. /menu for the menu.")


async def navigate(
    query: CallbackQuery, callback_data: Nav, state: FSMContext, uow: UnitOfWork, tenant_id: int
) -> None:
    """Back one step, or cancel."""
    await query.answer()
    current = (await state.get_state() or "").split(":")[-1]
    if callback_data.action == "cancel" or current not in PREVIOUS:
        await state.clear()
        await query.message.answer("Cancelled. Nothing was saved.")  # type: ignore[union-attr]
        return
    await ask(query.message, state, PREVIOUS[current], uow, tenant_id)  # type: ignore[arg-type]


async def on_text_step(
    message: Message, state: FSMContext, uow: UnitOfWork, tenant_id: int
) -> None:
    """Typed answers: name, buttons, tag, weight, date, recurring time, time zone."""
    step = (await state.get_state() or "").split(":")[-1]
    draft = await _draft(state)
    text = message.text or ""
    try:
        if step == "name":
            draft.name, nxt = drafts.check_name(text), "type"
        elif step == "buttons":
            draft.buttons, nxt = drafts.parse_buttons(text), "audience"
        elif step == "audience_value":
            draft.audience_kind, draft.audience_value, nxt = "tag", text.strip()[:64], "variant"
        elif step == "variant_weight":
            draft.variant_weight, nxt = drafts.check_weight(text), "when"
        elif step == "date":
            draft.at, nxt = drafts.parse_local(text, draft.timezone, uow.clock()), "confirm"
        elif step == "recurring":
            draft.time_of_day, draft.weekday = drafts.parse_time_of_day(text)
            draft.when, nxt = ("weekly" if draft.weekday is not None else "daily"), "confirm"
        elif step == "timezone":
            draft.timezone = check_timezone(text.strip()) or "UTC"
            await remember_timezone(uow, tenant_id, message.chat.id, draft.timezone)
            await uow.commit()
            nxt = "date" if draft.when == "at" else "recurring"
        else:
            await message.answer("Please use the buttons above, or /cancel.")
            return
    except ValueError as exc:
        await message.answer(
            f"{escape(str(exc))}\n\n{prompt(step, draft.timezone)}", reply_markup=keyboard(step)
        )
        return
    await _save(state, draft)
    if step == "audience_value":
        count = await drafts.audience_count(uow, admin_actor(tenant_id, 0), draft)
        await message.answer(f"Tag {escape(draft.audience_value or '')}: {count} subscribers now.")
    await ask(message, state, nxt, uow, tenant_id)


async def on_content(message: Message, state: FSMContext, uow: UnitOfWork, tenant_id: int) -> None:
    """The message itself (or the variant)."""
    step = (await state.get_state() or "").split(":")[-1]
    content = message_content(message)
    try:
        if content is None:
            raise ValueError(
                "That kind of message can't be sent as a campaign: send text or media."
            )
        drafts.check_message(content)
    except ValueError as exc:
        await message.answer(f"{escape(str(exc))}\n\n{prompt(step)}", reply_markup=keyboard(step))
        return
    draft = await _draft(state)
    if step == "content":
        draft.message, nxt = content, "buttons"
    else:
        draft.variant, nxt = content, "variant_weight"
    await _save(state, draft)
    await ask(message, state, nxt, uow, tenant_id)


async def on_choice(query: CallbackQuery, callback_data: Choice, state: FSMContext, uow: UnitOfWork,
                    tenant_id: int, admin_ids: frozenset[int]) -> None:  # fmt: skip
    """Button answers."""
    await query.answer()
    message: Message = query.message  # type: ignore[assignment]
    draft, value, nxt = await _draft(state), callback_data.value, ""
    step = callback_data.step
    if step == "type":
        draft.type, nxt = drafts.CampaignType(value), "content"
    elif step == "audience" and value == "segment":
        page = await list_segments(uow, admin_actor(tenant_id, 0), page=1, limit=20)
        if not page.items:
            await message.answer("There are no segments yet: create them with the REST API.")
            return
        await state.set_state(NewCampaign.audience_value)
        options = [(f"seg_{s.id}", s.name) for s in page.items]
        await message.answer("Pick a segment:", reply_markup=keyboard("segments", segments=options))
        return
    elif step == "audience":
        draft.audience_kind, draft.audience_value = (
            ("tag", None) if value == "tag" else ("all", None)
        )
        nxt = "audience_value" if value == "tag" else "variant"
    elif step == "segment":
        draft.audience_kind, draft.audience_value, nxt = "segment", value, "variant"
    elif step == "variant":
        draft.variant, nxt = None, ("variant_content" if value == "yes" else "when")
    elif step == "when":
        draft.when = value  # type: ignore[assignment]
        zone = await admin_timezone(uow, tenant_id, query.from_user.id)
        if zone:
            draft.timezone = zone
        nxt = (
            "confirm"
            if value in ("now", "draft")
            else ("timezone" if not zone else ("date" if value == "at" else "recurring"))
        )
    elif step == "timezone":
        draft.timezone = value
        await remember_timezone(uow, tenant_id, query.from_user.id, value)
        await uow.commit()
        nxt = "date" if draft.when == "at" else "recurring"
    elif step == "confirm":
        await _confirm(message, state, draft, uow, tenant_id, query.from_user.id, admin_ids)
        return
    await _save(state, draft)
    if step in ("segment",) or (step == "audience" and value == "all"):
        count = await drafts.audience_count(uow, admin_actor(tenant_id, 0), draft)
        await message.answer(f"This audience has {count} subscribers now.")
    await ask(message, state, nxt, uow, tenant_id)


async def _confirm(message: Message, state: FSMContext, draft: drafts.Draft, uow: UnitOfWork,
                   tenant_id: int, admin_id: int, admin_ids: frozenset[int]) -> None:  # fmt: skip
    actor = admin_actor(tenant_id, admin_id)
    try:
        campaign, outcome = await drafts.confirm(uow, actor, draft, tuple(admin_ids))
        await uow.commit()  # "Saved" is only ever said about a stored campaign
    except DomainError as exc:
        await uow.rollback()
        await message.answer(f"Could not save: {escape(exc.message)}")
        return
    await state.clear()
    await message.answer(
        f"Saved campaign camp_{campaign.id} «<b>{escape(campaign.name)}</b>»: {escape(outcome)}. "
        "/campaigns to see it."
    )


def build_router() -> Router:
    """The wizard, for admins only."""
    router = Router(name="wizard")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(cancel, Command("cancel"))
    router.message.register(start, Command("new"))
    router.callback_query.register(start_from_menu, Menu.filter(F.section == "new"))
    router.callback_query.register(navigate, Nav.filter())
    router.callback_query.register(on_choice, Choice.filter(), StateFilter(NewCampaign))
    content_states = StateFilter(NewCampaign.content, NewCampaign.variant_content)
    # Commands are never answers: /start, /menu… reach their own handlers mid-wizard.
    router.message.register(on_content, content_states, NOT_A_COMMAND)
    router.message.register(on_text_step, StateFilter(NewCampaign), F.text, NOT_A_COMMAND)
    return router
