"""Row locks for state changes, always taken in one order: campaign, then execution, then rows.

Every transaction that changes a campaign's or an execution's status or counters goes through
here, so two of them (an API cancel and the engine's write-back, say) queue behind each other
instead of deadlocking or deciding on a status the other is about to change.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, Execution, table_of


async def hold_writer(session: AsyncSession, campaign_id: int) -> None:
    """SQLite: begin the transaction with a write, so what it reads next cannot go stale.

    The driver starts a transaction at the first write only and SQLite ignores FOR UPDATE;
    reads before that write see whatever the last commit left, and another writer may commit
    between the read and the write. A no-op write takes SQLite's single writer lock first.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    campaigns = table_of(Campaign)
    await session.execute(
        campaigns.update()
        .where(campaigns.c.id == campaign_id)
        .values(updated_at=campaigns.c.updated_at)  # touches no trigger, changes nothing
    )


async def lock_campaign(session: AsyncSession, campaign_id: int) -> Campaign | None:
    """The campaign, locked and freshly read, for the rest of the transaction."""
    await hold_writer(session, campaign_id)
    return await session.get(Campaign, campaign_id, with_for_update=True, populate_existing=True)


async def lock_execution(session: AsyncSession, execution_id: int) -> Execution | None:
    """The execution, locked and freshly read, after its campaign (the one lock order)."""
    campaign_id = await session.scalar(
        select(Execution.campaign_id).where(Execution.id == execution_id)
    )
    if campaign_id is None:
        return None
    await lock_campaign(session, campaign_id)
    return await session.get(Execution, execution_id, with_for_update=True, populate_existing=True)
