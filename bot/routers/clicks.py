"""Callback buttons of campaign messages: answered at once and counted as clicks."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from core.delivery.content import CampaignButton
from core.interactions import record_click
from core.uow import UnitOfWork


async def campaign_button(
    query: CallbackQuery, callback_data: CampaignButton, uow: UnitOfWork
) -> None:
    """Record the click of that delivery and acknowledge it."""
    counted = await record_click(
        uow, callback_data.delivery_id, callback_data.index, query.from_user.id
    )
    await uow.commit()
    await query.answer("Thanks!" if counted else None)


def build_router() -> Router:
    """A fresh router for campaign-button clicks."""
    router = Router(name="clicks")
    router.callback_query.register(campaign_button, CampaignButton.filter())
    return router
