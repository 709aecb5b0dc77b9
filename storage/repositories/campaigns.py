"""Campaigns, their audit events and their interactions."""

from __future__ import annotations

import builtins

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.direct import read_connection
from storage.models import Campaign, CampaignEvent, Interaction
from storage.repositories.campaign_list import SORTABLE, CampaignRow, plain_page, search_page
from storage.repositories.locks import hold_writer
from storage.repositories.paging import Page, fetch_page

__all__ = ["SORTABLE", "CampaignRepository"]


class CampaignRepository:
    """Campaign rows, always scoped to one tenant."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, campaign: Campaign) -> Campaign:
        """Insert a campaign."""
        self.session.add(campaign)
        await self.session.flush()
        return campaign

    async def get(self, tenant_id: int, campaign_id: int, *, lock: bool = False) -> Campaign | None:
        """The tenant's campaign, optionally locked (and freshly read) for a state change."""
        query = select(Campaign).where(Campaign.id == campaign_id, Campaign.tenant_id == tenant_id)
        if lock:
            await hold_writer(self.session, campaign_id)
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def by_id(self, campaign_id: int, *, lock: bool = False) -> Campaign | None:
        """A campaign of any tenant (from the session when already loaded unless `lock`),
        optionally locked FOR UPDATE; unlike get(), never refreshed nor SQLite-held."""
        return await self.session.get(Campaign, campaign_id, with_for_update=lock)

    async def list(
        self,
        tenant_id: int,
        *,
        status: str | None,
        type_: str | None,
        search: str | None,
        sort_field: str,
        descending: bool,
        offset: int,
        limit: int,
    ) -> Page[CampaignRow]:
        """One page of the tenant's campaigns as plain rows, and the exact total."""
        key = (tenant_id, search.lower() if search else "", status, type_)
        sort = (sort_field, descending)
        async with read_connection(self.session) as (conn, writing):
            if search:
                return await search_page(conn, key, sort, offset, limit, committed_only=not writing)
            return await plain_page(conn, key, sort, offset, limit)

    async def delete(self, campaign: Campaign) -> None:
        """Remove a campaign and (by cascade) its dependants."""
        await self.session.execute(delete(Campaign).where(Campaign.id == campaign.id))

    async def add_event(self, event: CampaignEvent) -> None:
        """Record one lifecycle transition."""
        self.session.add(event)
        await self.session.flush()

    async def events(self, campaign_id: int) -> builtins.list[CampaignEvent]:
        """Every recorded transition of a campaign, oldest first."""
        rows = await self.session.scalars(
            select(CampaignEvent)
            .where(CampaignEvent.campaign_id == campaign_id)
            .order_by(CampaignEvent.id)
        )
        return list(rows)

    async def interactions(
        self, campaign_id: int, *, type_: str | None, offset: int, limit: int
    ) -> Page[Interaction]:
        """One page of tracked interactions of a campaign, newest first."""
        query = select(Interaction).where(Interaction.campaign_id == campaign_id)
        if type_:
            query = query.where(Interaction.type == type_)
        query = query.order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        return await fetch_page(self.session, query, offset=offset, limit=limit)
