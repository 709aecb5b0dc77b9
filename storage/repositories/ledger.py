"""The delivery ledger as operators see it: a campaign's rows by status, and the deliberate
resend of `unknown` rows (the engine's claims and write-backs: deliveries.py and
ledger_writeback.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import EXECUTION_REQUEUABLE, DeliveryStatus
from storage.models import Delivery, Execution, Subscriber
from storage.repositories.paging import Page


class LedgerRepository:
    """Reads and the resend of a campaign's delivery rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_for_campaign(
        self, campaign_id: int, statuses: Sequence[str], *, offset: int, limit: int
    ) -> Page[Any]:
        """Rows of a campaign's executions in the given statuses, with their subscriber."""
        query = (
            select(Delivery, Subscriber.telegram_id, Subscriber.first_name, Subscriber.username)
            .join(Execution, Execution.id == Delivery.execution_id)
            .outerjoin(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Execution.campaign_id == campaign_id, Delivery.status.in_(statuses))
            .order_by(Delivery.id)
        )
        count = await self.session.scalar(
            select(func.count())
            .select_from(Delivery)
            .join(Execution, Execution.id == Delivery.execution_id)
            .where(Execution.campaign_id == campaign_id, Delivery.status.in_(statuses))
        )
        rows = (await self.session.execute(query.offset(offset).limit(limit))).all()
        return Page(list(rows), int(count or 0))

    async def requeue_unknown(
        self, campaign_id: int, delivery_ids: Sequence[int] | None
    ) -> Counter[int]:
        """Put unknown rows back to pending (a deliberate resend); counts per execution."""
        # Never rows of a cancelled or failed execution: nobody would send them again.
        in_campaign = select(Execution.id).where(
            Execution.campaign_id == campaign_id,
            Execution.status.in_(sorted(EXECUTION_REQUEUABLE)),
        )
        query = update(Delivery).where(
            Delivery.status == DeliveryStatus.UNKNOWN, Delivery.execution_id.in_(in_campaign)
        )
        if delivery_ids is not None:
            query = query.where(Delivery.id.in_(delivery_ids))
        result = await self.session.execute(
            query.values(
                status=DeliveryStatus.PENDING, error_code=None, error_detail=None, processed_at=None
            )
            .returning(Delivery.execution_id)
            .execution_options(synchronize_session=False)
        )
        return Counter(row[0] for row in result.all())
