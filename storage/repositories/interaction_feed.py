"""A campaign's interactions as one feed: the tracked rows plus what its delivery ledger says.

Clicks and conversions are stored as interactions; that a message was sent, delivered or
bounced is already in the ledger, so those entries are read from it (one row each, never
copied) and merged with the stored ones, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus
from core.models import InteractionType
from storage.models import Delivery, Execution, Interaction, Subscriber
from storage.repositories.paging import Page
from storage.repositories.stats import PERMANENT_CODES

STORED, LEDGER = "interaction", "delivery"
D = DeliveryStatus
# source, row id, type, subscriber, when
FeedPart = Select[str, int, str, int | None, datetime | None]


@dataclass(frozen=True)
class FeedEntry:
    """One entry of the feed; `row_id` is an interaction's id or a delivery's."""

    source: str
    row_id: int
    type: InteractionType
    subscriber_id: int | None
    occurred_at: datetime
    details: dict[str, Any] | None = None
    delivery_id: int | None = None
    value: float | None = None
    customer_name: str | None = None


def _ledger_part(campaign_id: int, kind: InteractionType, *where: ColumnElement[bool]) -> FeedPart:
    return select(
        literal(LEDGER, String).label("source"),
        Delivery.id.label("row_id"),
        literal(kind.value, String).label("type"),
        Delivery.subscriber_id.label("subscriber_id"),
        Delivery.processed_at.label("occurred_at"),
    ).where(
        Delivery.execution_id == Execution.id,
        Execution.campaign_id == campaign_id,
        Execution.test_mode.is_(False),
        Delivery.processed_at.is_not(None),
        *where,
    )


def _parts(campaign_id: int, kind: InteractionType | None) -> list[FeedPart]:
    ledger = {
        InteractionType.SENT: (Delivery.status.in_([D.SENT, D.FAILED]),),
        InteractionType.DELIVERED: (Delivery.status == D.SENT,),
        InteractionType.BOUNCED: (
            Delivery.status == D.FAILED,
            Delivery.error_code.in_(PERMANENT_CODES),
        ),
    }
    parts = [
        _ledger_part(campaign_id, name, *where)
        for name, where in ledger.items()
        if kind is None or kind is name
    ]
    if kind is None or kind not in ledger:
        stored = select(
            literal(STORED, String).label("source"),
            Interaction.id.label("row_id"),
            Interaction.type.label("type"),
            Interaction.subscriber_id.label("subscriber_id"),
            Interaction.occurred_at.label("occurred_at"),
        ).where(Interaction.campaign_id == campaign_id)
        if kind is not None:
            stored = stored.where(Interaction.type == kind.value)
        parts.append(stored)
    return parts


class InteractionFeed:
    """Reads of the merged feed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, campaign_id: int, kind: InteractionType | None, *, offset: int, limit: int
    ) -> Page[FeedEntry]:
        """One page of the campaign's feed (only `kind` when given), newest first."""
        feed = union_all(*_parts(campaign_id, kind)).subquery("feed")
        total = int(await self.session.scalar(select(func.count()).select_from(feed)) or 0)
        if offset >= total:
            return Page([], total)
        rows = (
            await self.session.execute(
                select(feed)
                .order_by(feed.c.occurred_at.desc(), feed.c.row_id.desc(), feed.c.type)
                .offset(offset)
                .limit(limit)
            )
        ).all()
        stored = await self._stored([r.row_id for r in rows if r.source == STORED])
        names = await self._names({r.subscriber_id for r in rows if r.subscriber_id is not None})
        entries = []
        for row in rows:
            extra = stored.get(row.row_id) if row.source == STORED else None
            entries.append(
                FeedEntry(
                    source=row.source,
                    row_id=row.row_id,
                    type=InteractionType(row.type),
                    subscriber_id=row.subscriber_id,
                    occurred_at=row.occurred_at,
                    details=extra.details if extra else None,
                    delivery_id=extra.delivery_id if extra else row.row_id,
                    value=extra.value if extra else None,
                    customer_name=names.get(row.subscriber_id),
                )
            )
        return Page(entries, total)

    async def _stored(self, ids: list[int]) -> dict[int, Interaction]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(Interaction).where(Interaction.id.in_(ids)))
        return {row.id: row for row in rows}

    async def _names(self, ids: set[int]) -> dict[int | None, str | None]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Subscriber.id, Subscriber.first_name, Subscriber.last_name).where(
                Subscriber.id.in_(sorted(ids))
            )
        )
        return {
            row.id: " ".join(part for part in (row.first_name, row.last_name) if part) or None
            for row in rows
        }
