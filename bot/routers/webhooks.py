"""Webhooks: the tenant's endpoints, their health and latest failures (admins only, read-only)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Menu, Section
from bot.filters import IsAdmin
from bot.replies import reply_target
from bot.webhook_views import EndpointFacts, recent_failures, webhooks_text
from core.admins import admin_actor
from core.uow import UnitOfWork
from core.webhooks import endpoints as service

ENDPOINTS_READ = 20  # more than one message holds; the view stops when it is full
RECENT_DELIVERIES = 50  # the latest failures are looked for among these


async def show_webhooks(event: Message | CallbackQuery, uow: UnitOfWork, tenant_id: int) -> None:
    """Each endpoint with its state, health and latest failed deliveries."""
    target = reply_target(event)
    if isinstance(event, CallbackQuery):
        await event.answer()
    actor = admin_actor(tenant_id, 0)
    page = await service.list_endpoints(uow, actor, page=1, limit=ENDPOINTS_READ)
    facts = []
    for endpoint in page.items:
        deliveries = await service.list_deliveries(uow, endpoint, page=1, limit=RECENT_DELIVERIES)
        health = await service.health(uow, endpoint)
        facts.append(EndpointFacts(endpoint, health, recent_failures(deliveries.items)))
    await target.answer(webhooks_text(facts, page.total))


def build_router() -> Router:
    """/webhooks and its menu entry."""
    router = Router(name="webhooks")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(show_webhooks, Command("webhooks"))
    router.callback_query.register(show_webhooks, Menu.filter(F.section == Section.WEBHOOKS))
    return router
