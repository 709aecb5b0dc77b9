"""Reads for the tenant Campaigns API: campaigns by club, status and how they are scheduled."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Exists, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import ScheduleKind
from storage.models import Campaign
from storage.models_scheduling import Schedule
from storage.repositories.paging import Page, fetch_page

# The schedule kinds that make a campaign RECURRING or TRIGGERED in that API.
STANDING_KINDS = (ScheduleKind.RECURRING, ScheduleKind.TRIGGER_BASED)


def _has_schedule(kind: ScheduleKind) -> Exists:
    return exists().where(Schedule.campaign_id == Campaign.id, Schedule.type == kind.value)


class TenantCampaignRepository:
    """Queries the tenant face needs beyond the campaign repository."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(
        self,
        tenant_id: int,
        *,
        club_id: str | None,
        status: str | None,
        schedule_kind: ScheduleKind | None,
        one_time: bool,
        offset: int,
        limit: int,
    ) -> Page[Campaign]:
        """The tenant's campaigns, newest first, narrowed by club, status, and either a
        standing schedule of `schedule_kind` or (`one_time`) none at all."""
        query = select(Campaign).where(Campaign.tenant_id == tenant_id)
        if club_id is not None:
            query = query.where(Campaign.club_id == club_id)
        if status is not None:
            query = query.where(Campaign.status == status)
        if schedule_kind is not None:
            query = query.where(_has_schedule(schedule_kind))
        if one_time:
            for kind in STANDING_KINDS:
                query = query.where(~_has_schedule(kind))
        query = query.order_by(Campaign.created_at.desc(), Campaign.id.desc())
        return await fetch_page(self.session, query, offset=offset, limit=limit)

    async def standing_schedules(self, campaign_ids: Iterable[int]) -> dict[int, Schedule]:
        """Each campaign's oldest recurring or trigger-based schedule, if it has one."""
        ids = sorted(set(campaign_ids))
        if not ids:
            return {}
        rows = await self.session.scalars(
            select(Schedule)
            .where(
                Schedule.campaign_id.in_(ids),
                Schedule.type.in_([kind.value for kind in STANDING_KINDS]),
            )
            .order_by(Schedule.id.desc())
        )
        return {row.campaign_id: row for row in rows}  # the oldest wins: it is written last
