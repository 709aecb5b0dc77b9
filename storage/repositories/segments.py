"""Segments and static segment membership."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Segment, SegmentMember, Subscriber, table_of
from storage.repositories.paging import Page, fetch_page


class SegmentRepository:
    """Segment rows of one tenant."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, segment: Segment) -> Segment:
        """Insert a segment."""
        self.session.add(segment)
        await self.session.flush()
        return segment

    async def get(self, tenant_id: int, segment_id: int) -> Segment | None:
        """One segment of the tenant."""
        return await self.session.scalar(
            select(Segment).where(Segment.id == segment_id, Segment.tenant_id == tenant_id)
        )

    async def get_many(self, tenant_id: int, segment_ids: Sequence[int]) -> list[Segment]:
        """The tenant's segments among `segment_ids`."""
        rows = await self.session.scalars(
            select(Segment).where(Segment.tenant_id == tenant_id, Segment.id.in_(segment_ids))
        )
        return list(rows)

    async def list(self, tenant_id: int, *, offset: int, limit: int) -> Page[Segment]:
        """One page of segments, newest first."""
        query = (
            select(Segment)
            .where(Segment.tenant_id == tenant_id)
            .order_by(Segment.created_at.desc(), Segment.id.desc())
        )
        return await fetch_page(self.session, query, offset=offset, limit=limit)

    async def delete(self, segment: Segment) -> None:
        """Remove a segment and its memberships."""
        await self.session.execute(delete(Segment).where(Segment.id == segment.id))

    async def known_subscribers(self, tenant_id: int, subscriber_ids: Sequence[int]) -> set[int]:
        """Which of the ids are the tenant's subscribers (looked up in chunks)."""
        found: set[int] = set()
        for start in range(0, len(subscriber_ids), 500):
            chunk = list(subscriber_ids[start : start + 500])
            rows = await self.session.scalars(
                select(Subscriber.id).where(
                    Subscriber.tenant_id == tenant_id, Subscriber.id.in_(chunk)
                )
            )
            found.update(rows)
        return found

    async def set_members(
        self, segment_id: int, tenant_id: int, subscriber_ids: Sequence[int]
    ) -> None:
        """Replace a static segment's members with the tenant's subscribers among the ids."""
        await self.session.execute(
            delete(SegmentMember).where(SegmentMember.segment_id == segment_id)
        )
        for start in range(0, len(subscriber_ids), 500):
            chunk = list(subscriber_ids[start : start + 500])
            await self.session.execute(
                table_of(SegmentMember)
                .insert()
                .from_select(
                    ["segment_id", "subscriber_id"],
                    select(literal(segment_id).label("segment_id"), Subscriber.id).where(
                        Subscriber.tenant_id == tenant_id, Subscriber.id.in_(chunk)
                    ),
                )
            )
