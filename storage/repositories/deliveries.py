"""The delivery ledger: claims, write-backs, recovery and listings of per-recipient rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, Delivery, Execution, Subscriber, Worker
from storage.repositories.paging import Page

WRITE_BACK_KEYS = (
    "id",
    "status",
    "chat_id",
    "message_id",
    "error_code",
    "error_detail",
    "attempts",
    "not_before",
    "processed_at",
    "claimed_by",
)


@dataclass(frozen=True)
class ClaimedRow:
    """A ledger row this worker now owns (status `sending`)."""

    id: int
    execution_id: int
    subscriber_id: int
    chat_id: int
    variation: int
    attempts: int


@dataclass(frozen=True)
class Settled:
    """How many rows of one execution reached each final state in a write-back."""

    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0


class DeliveryRepository:
    """Ledger rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(
        self, execution_id: int, worker_id: str, limit: int, now: datetime
    ) -> list[ClaimedRow]:
        """Move up to `limit` due pending rows to `sending` for this worker, oldest first."""
        due = (
            select(Delivery.id)
            .where(
                Delivery.execution_id == execution_id,
                Delivery.status == "pending",
                or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
            )
            .order_by(Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            # PostgreSQL may re-run an IN (... LIMIT n) subquery per row and claim far more than
            # n rows; a materialised CTE picks the batch exactly once.
            .cte("due")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(select(due.c.id)), Delivery.status == "pending")
            .values(status="sending", claimed_by=worker_id)
            .returning(
                Delivery.id,
                Delivery.execution_id,
                Delivery.subscriber_id,
                Delivery.chat_id,
                Delivery.variation,
                Delivery.attempts,
            )
            .execution_options(synchronize_session=False)
        )
        return sorted((ClaimedRow(*row) for row in result.all()), key=lambda r: r.id)

    async def write_back(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store send results by primary key in one executemany."""
        if rows:
            await self.session.execute(
                update(Delivery).execution_options(synchronize_session=False),
                [{key: row.get(key) for key in WRITE_BACK_KEYS} for row in rows],
            )

    async def add_to_counters(
        self, execution_id: int, campaign_id: int | None, settled: Settled
    ) -> None:
        """Bump the execution's and the campaign's counters in the write-back transaction."""
        await self.session.execute(
            update(Execution)
            .where(Execution.id == execution_id)
            .values(
                sent_count=Execution.sent_count + settled.sent,
                failed_count=Execution.failed_count + settled.failed,
                unknown_count=Execution.unknown_count + settled.unknown,
                skipped_count=Execution.skipped_count + settled.skipped,
            )
        )
        if campaign_id is not None and (settled.sent or settled.failed):
            await self.session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id)
                .values(
                    sent_count=Campaign.sent_count + settled.sent,
                    failed_count=Campaign.failed_count + settled.failed,
                )
            )

    async def mark_subscribers(
        self, subscriber_ids: Sequence[int], status: str, now: datetime
    ) -> None:
        """Record that recipients blocked the bot or were deactivated."""
        if subscriber_ids:
            await self.session.execute(
                update(Subscriber)
                .where(Subscriber.id.in_(subscriber_ids))
                .values(status=status, status_changed_at=now, updated_at=now)
            )

    async def move_chat(self, subscriber_id: int, new_chat_id: int) -> None:
        """A group migrated to a supergroup: remember its new chat id."""
        await self.session.execute(
            update(Subscriber).where(Subscriber.id == subscriber_id).values(chat_id=new_chat_id)
        )

    async def skip_pending(self, execution_ids: Sequence[int], reason: str) -> Counter[int]:
        """Mark every pending row of the executions skipped; returns counts per execution."""
        if not execution_ids:
            return Counter()
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.execution_id.in_(execution_ids), Delivery.status == "pending")
            .values(status="skipped", error_code=reason)
            .returning(Delivery.execution_id)
            .execution_options(synchronize_session=False)
        )
        return Counter(row[0] for row in result.all())

    async def recover_orphans(self, live_workers: Sequence[str], now: datetime) -> Counter[int]:
        """Rows left `sending` by dead workers become `unknown`; returns counts per execution."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.status == "sending",
                or_(Delivery.claimed_by.is_(None), Delivery.claimed_by.not_in(list(live_workers))),
            )
            .values(
                status="unknown",
                error_code="UNKNOWN",
                error_detail="in flight when its sender stopped; not resent automatically",
                processed_at=now,
            )
            .returning(Delivery.execution_id)
            .execution_options(synchronize_session=False)
        )
        return Counter(row[0] for row in result.all())

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
        in_campaign = select(Execution.id).where(Execution.campaign_id == campaign_id)
        query = update(Delivery).where(
            Delivery.status == "unknown", Delivery.execution_id.in_(in_campaign)
        )
        if delivery_ids is not None:
            query = query.where(Delivery.id.in_(delivery_ids))
        result = await self.session.execute(
            query.values(status="pending", error_code=None, error_detail=None, processed_at=None)
            .returning(Delivery.execution_id)
            .execution_options(synchronize_session=False)
        )
        return Counter(row[0] for row in result.all())


class WorkerRepository:
    """Heartbeats of sender processes."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def beat(self, worker_id: str, now: datetime) -> None:
        """Register or refresh a worker."""
        found = await self.session.get(Worker, worker_id)
        if found is None:
            self.session.add(Worker(id=worker_id, started_at=now, heartbeat_at=now))
        else:
            found.heartbeat_at = now
        await self.session.flush()

    async def live(self, since: datetime) -> list[str]:
        """Workers that beat at or after `since`."""
        return list(
            await self.session.scalars(select(Worker.id).where(Worker.heartbeat_at >= since))
        )

    async def forget_others(self, worker_id: str) -> None:
        """Drop every other worker (single-process SQLite: they are all dead)."""
        await self.session.execute(Worker.__table__.delete().where(Worker.id != worker_id))

    async def forget(self, worker_id: str) -> None:
        """Drop one worker (clean shutdown)."""
        await self.session.execute(Worker.__table__.delete().where(Worker.id == worker_id))
