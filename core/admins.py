"""What the bot remembers about an admin: their time zone (kept on their subscriber row)."""

from __future__ import annotations

from core.context import Actor
from core.uow import UnitOfWork
from storage.repositories.subscribers import SubscriberRepository


def admin_actor(tenant_id: int, telegram_id: int) -> Actor:
    """The audit label of an admin acting in the bot."""
    return Actor(tenant_id, f"bot:{telegram_id}")


async def admin_timezone(uow: UnitOfWork, tenant_id: int, telegram_id: int) -> str | None:
    """The zone the admin picked before, if any."""
    row = await SubscriberRepository(uow.session).get_by_telegram_id(tenant_id, telegram_id)
    return row.timezone if row else None


async def remember_timezone(uow: UnitOfWork, tenant_id: int, telegram_id: int, zone: str) -> bool:
    """Keep the admin's zone; False when the admin never started the bot (nothing to store on)."""
    row = await SubscriberRepository(uow.session).get_by_telegram_id(tenant_id, telegram_id)
    if row is None:
        return False
    row.timezone = zone
    await uow.flush()
    return True
