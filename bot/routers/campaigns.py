"""Campaign list, card and actions: only what the lifecycle allows, destructive ones confirmed."""

from __future__ import annotations

import asyncio
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import CampaignAct, CampaignCard, CampaignPage, CampaignStats, Menu, Section
from bot.filters import NOT_A_COMMAND, IsAdmin
from bot.replies import ChatMessage, reply_target
from bot.states import ScheduleCampaign
from bot.type_views import answers_chart, type_section
from bot.views import (
    DESTRUCTIVE,
    PAGE_SIZE,
    campaign_list,
    card_keyboard,
    card_text,
    confirm_keyboard,
    filter_label,
)
from core import campaign_commands, campaigns, drafts, statistics
from core.admins import admin_actor, admin_timezone
from core.bot_chats import type_figures
from core.charts import campaign_chart
from core.errors import DomainError
from core.ids import format_id
from core.lifecycle import Action, allowed_actions
from core.models import ExecuteOptions, ScheduleRequest
from core.uow import UnitOfWork


async def show_list(event: Message | CallbackQuery, uow: UnitOfWork, tenant_id: int,
                    callback_data: CampaignPage | None = None) -> None:  # fmt: skip
    """A page of campaigns with status filters."""
    page = callback_data.page if isinstance(callback_data, CampaignPage) else 1
    status = callback_data.status if isinstance(callback_data, CampaignPage) else None
    found = await campaigns.list_campaigns(
        uow, admin_actor(tenant_id, 0), status=status, type_=None,
        search=None, sort="-createdAt", page=page, limit=PAGE_SIZE,
    )  # fmt: skip
    pages = max(1, (found.total + PAGE_SIZE - 1) // PAGE_SIZE)
    text = f"<b>Campaigns</b> ({filter_label(status)}): {found.total} · page {page}/{pages}"
    markup = campaign_list(found.items, page, pages, status)
    if isinstance(event, CallbackQuery):
        await event.answer()
    if isinstance(event, CallbackQuery) and isinstance(event.message, Message):
        await event.message.edit_text(text, reply_markup=markup)
    else:  # a command, or a list older than Telegram lets bots edit
        await reply_target(event).answer(text, reply_markup=markup)


async def _card(target: ChatMessage, uow: UnitOfWork, tenant_id: int, campaign_id: int) -> None:
    campaign = await campaigns.get_campaign(
        uow, admin_actor(tenant_id, 0), format_id("campaign", campaign_id)
    )
    audience = await campaigns.audience_size(uow, campaign)
    own = type_section(campaign.type, campaign.settings, await type_figures(uow, campaign))
    await target.answer(
        "\n".join(filter(None, (card_text(campaign, audience), own))),
        reply_markup=card_keyboard(campaign, allowed_actions(campaign.status)),
    )


async def show_card(
    query: CallbackQuery, callback_data: CampaignCard, uow: UnitOfWork, tenant_id: int
) -> None:
    """A campaign's card."""
    await query.answer()
    await _card(reply_target(query), uow, tenant_id, callback_data.campaign_id)


async def act(query: CallbackQuery, callback_data: CampaignAct, state: FSMContext, uow: UnitOfWork,
              tenant_id: int, admin_ids: frozenset[int]) -> None:  # fmt: skip
    """Run a card action through core; ask first when it cannot be undone."""
    message = reply_target(query)
    action, campaign_id = callback_data.action, callback_data.campaign_id
    if action in DESTRUCTIVE and not callback_data.confirmed:
        await query.answer()
        await message.answer(f"Really {action.value} camp_{campaign_id}? This cannot be undone.",
                             reply_markup=confirm_keyboard(campaign_id, action))  # fmt: skip
        return
    if action is Action.SCHEDULE:
        await query.answer()
        zone = await admin_timezone(uow, tenant_id, query.from_user.id) or "UTC"
        await state.set_state(ScheduleCampaign.date)
        await state.update_data(campaign_id=campaign_id, zone=zone)
        await message.answer(f"Send the date and time as YYYY-MM-DD HH:MM (zone {escape(zone)}).")
        return
    try:
        done = await _change(uow, query.from_user.id, tenant_id, admin_ids, campaign_id, action)
        await uow.commit()  # before any word about it reaches Telegram; releases the row lock
    except DomainError as exc:
        await uow.rollback()
        await query.answer(exc.message[:190], show_alert=True)
        return
    await query.answer(done)
    if action is Action.DELETE:
        await message.answer(f"camp_{campaign_id} deleted.")
    elif action is not Action.CLONE:
        await _card(message, uow, tenant_id, campaign_id)


async def _change(uow: UnitOfWork, admin_id: int, tenant_id: int, admin_ids: frozenset[int],
                  campaign_id: int, step: Action) -> str:  # fmt: skip
    """Apply a card action under the campaign's row lock; the toast that reports it."""
    actor = admin_actor(tenant_id, admin_id)
    campaign = await campaigns.get_campaign(
        uow, actor, format_id("campaign", campaign_id), lock=True
    )
    options, admins = None, tuple(admin_ids)
    if step is Action.TEST_SEND:
        # A test from the card goes to the admin who pressed it, not to every admin.
        options, admins = ExecuteOptions(test_mode=True, test_recipients=[str(admin_id)]), ()
    # After an execute, the progress message follows from the campaign.started event.
    result = await campaign_commands.perform(uow, actor, campaign, step, options, admin_ids=admins)
    if result.created is not None:
        return f"Cloned as camp_{result.created.id}"
    if step is Action.DELETE:
        return "Deleted"
    return f"{step.value}: done"


async def show_stats(
    query: CallbackQuery, callback_data: CampaignStats, uow: UnitOfWork, tenant_id: int
) -> None:
    """The statistics caption and chart; read without a lock, drawn after the transaction ends."""
    campaign_id = callback_data.campaign_id
    try:
        campaign = await campaigns.get_campaign(
            uow, admin_actor(tenant_id, 0), format_id("campaign", campaign_id)
        )
        figures = await statistics.campaign_statistics(uow, campaign, "all", statistics.METRICS)
        own = await type_figures(uow, campaign)
    except DomainError as exc:
        await query.answer(exc.message[:190], show_alert=True)
        return
    await uow.commit()  # ends the read transaction before the slow part
    await query.answer("Drawing the chart…")
    overview = figures.overview
    assert overview is not None  # every metric was asked for
    caption = (
        f"<b>{escape(campaign.name)}</b>\n"
        f"Sent {overview.messages_sent} · Failed {overview.failed} · "
        f"Clicked {overview.clicked}\nRead: not available (bots get no read receipts)"
    )
    png = await asyncio.to_thread(campaign_chart, campaign.name, figures)
    await reply_target(query).answer_photo(
        BufferedInputFile(png, "statistics.png"), caption=caption
    )
    if answers := await asyncio.to_thread(answers_chart, campaign.name, own):  # surveys
        await reply_target(query).answer_photo(BufferedInputFile(answers, "answers.png"),
                                               caption="Answers per option")  # fmt: skip


async def on_schedule_date(
    message: Message, state: FSMContext, uow: UnitOfWork, tenant_id: int
) -> None:
    """The date for a card's Schedule action."""
    data = await state.get_data()
    actor = admin_actor(tenant_id, message.chat.id)
    try:
        at = drafts.parse_local(message.text or "", data["zone"], uow.clock())
        campaign = await campaigns.get_campaign(
            uow, actor, format_id("campaign", data["campaign_id"]), lock=True
        )
        when = ScheduleRequest.model_construct(scheduled_at=at, timezone=data["zone"])
        await campaign_commands.perform(uow, actor, campaign, Action.SCHEDULE, when)
        await uow.commit()
    except ValueError as exc:
        await message.answer(f"{escape(str(exc))} Or /cancel.")
        return
    except DomainError as exc:
        await uow.rollback()
        await state.clear()
        await message.answer(f"Could not schedule: {escape(exc.message)}")
        return
    await state.clear()
    await message.answer(f"Scheduled for {at:%Y-%m-%d %H:%M} ({escape(data['zone'])}).")


def build_router() -> Router:
    """Campaign screens, for admins only."""
    router = Router(name="campaigns")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(show_list, Command("campaigns"))
    router.callback_query.register(show_list, Menu.filter(F.section == Section.CAMPAIGNS))
    router.callback_query.register(show_list, CampaignPage.filter())
    router.callback_query.register(show_card, CampaignCard.filter())
    router.callback_query.register(act, CampaignAct.filter())
    router.callback_query.register(show_stats, CampaignStats.filter())
    router.message.register(
        on_schedule_date, StateFilter(ScheduleCampaign.date), F.text, NOT_A_COMMAND
    )
    return router
