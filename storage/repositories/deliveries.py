"""The delivery ledger: claims, write-backs, recovery and listings of per-recipient rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus, ExecutionStatus
from storage.models import Campaign, Delivery, Execution, Subscriber, table_of
from storage.repositories.ledger_writeback import write_back_rows


class ClaimedRow(NamedTuple):
    """A ledger row this worker now owns (status `sending`); a tuple: built per recipient."""

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

    @classmethod
    def of(cls, statuses: Counter[str]) -> Settled:
        """The increments for rows that reached these statuses (pending ones count nothing)."""
        return cls(
            statuses[DeliveryStatus.SENT],
            statuses[DeliveryStatus.FAILED],
            statuses[DeliveryStatus.UNKNOWN],
            statuses[DeliveryStatus.SKIPPED],
        )

    def __bool__(self) -> bool:
        return bool(self.sent or self.failed or self.unknown or self.skipped)


@dataclass(frozen=True)
class Written:
    """What one write-back changed: rows per status reached, and the Stars they cost."""

    statuses: Counter[str]
    cost: float = 0.0


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
                Delivery.status == DeliveryStatus.PENDING,
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
        ledger = table_of(Delivery)  # a Core UPDATE: the ORM's bookkeeping is overhead here
        executions = table_of(Execution)
        # Only while the execution runs: a pause or cancel committed a moment ago wins over a
        # dispatcher that has not heard of it yet.
        running = (
            select(executions.c.id)
            .where(executions.c.id == execution_id, executions.c.status == ExecutionStatus.RUNNING)
            .exists()
        )
        result = await self.session.execute(
            ledger.update()
            .where(
                ledger.c.id.in_(select(due.c.id)),
                ledger.c.status == DeliveryStatus.PENDING,
                running,
            )
            .values(status=DeliveryStatus.SENDING, claimed_by=worker_id)
            .returning(*(ledger.c[name] for name in ClaimedRow._fields))
        )
        return sorted(map(ClaimedRow._make, result.all()))  # ordered by id, the first field

    async def write_back(self, rows: Sequence[dict[str, Any]], worker_id: str) -> Written:
        """Store results of rows `worker_id` still holds, in one statement; returns how many
        rows reached each status and their cost (rows recovered by someone else meanwhile are
        left alone)."""
        if not rows:
            return Written(Counter())
        returned = await write_back_rows(self.session, rows, worker_id)
        return Written(
            Counter(status for status, _ in returned), sum(cost or 0.0 for _, cost in returned)
        )

    async def add_to_counters(
        self, execution_id: int, campaign_id: int | None, settled: Settled, cost: float = 0.0
    ) -> None:
        """Bump the execution's and the campaign's counters in the write-back transaction."""
        # Core statements: nothing of these rows is loaded here, so the ORM's bookkeeping of
        # an UPDATE would be pure overhead, paid every write-back.
        # The campaign row first: API actions lock the campaign before its executions, and one
        # lock order everywhere is what keeps PostgreSQL free of deadlocks.
        if campaign_id is not None and (settled.sent or settled.failed):
            campaigns = table_of(Campaign)
            await self.session.execute(
                campaigns.update()
                .where(campaigns.c.id == campaign_id)
                .values(
                    sent_count=campaigns.c.sent_count + settled.sent,
                    failed_count=campaigns.c.failed_count + settled.failed,
                    cost=campaigns.c.cost + cost,
                    # Counters are not edits: keep updatedAt (and its index) still.
                    updated_at=campaigns.c.updated_at,
                )
            )
        executions = table_of(Execution)
        await self.session.execute(
            executions.update()
            .where(executions.c.id == execution_id)
            .values(
                sent_count=executions.c.sent_count + settled.sent,
                failed_count=executions.c.failed_count + settled.failed,
                unknown_count=executions.c.unknown_count + settled.unknown,
                skipped_count=executions.c.skipped_count + settled.skipped,
            )
        )

    async def mark_subscribers(
        self, subscriber_ids: Sequence[int], status: str, now: datetime
    ) -> list[tuple[int, int]]:
        """Record that recipients blocked the bot or were deactivated; (tenant, subscriber)
        of each one whose status this changed."""
        if not subscriber_ids:
            return []
        changed = await self.session.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(subscriber_ids), Subscriber.status != status)
            .values(status=status, status_changed_at=now, updated_at=now)
            .returning(Subscriber.tenant_id, Subscriber.id)
        )
        return sorted((int(tenant), int(row)) for tenant, row in changed.all())

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
            .where(
                Delivery.execution_id.in_(execution_ids), Delivery.status == DeliveryStatus.PENDING
            )
            .values(status=DeliveryStatus.SKIPPED, error_code=reason)
            .returning(Delivery.execution_id)
            .execution_options(synchronize_session=False)
        )
        return Counter(row[0] for row in result.all())

    @staticmethod
    def _orphaned(live_workers: Sequence[str]) -> ColumnElement[bool]:
        return and_(
            Delivery.status == DeliveryStatus.SENDING,
            or_(Delivery.claimed_by.is_(None), Delivery.claimed_by.not_in(list(live_workers))),
        )

    async def executions_with_orphans(self, live_workers: Sequence[str]) -> list[int]:
        """Executions with rows left `sending` by workers that are not alive."""
        rows = await self.session.scalars(
            select(Delivery.execution_id)
            .where(self._orphaned(live_workers))
            .distinct()
            .order_by(Delivery.execution_id)
        )
        return list(rows)

    async def recover_orphans(
        self, execution_id: int, live_workers: Sequence[str], now: datetime
    ) -> int:
        """The execution's rows left `sending` by dead workers become `unknown`; how many."""
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.execution_id == execution_id, self._orphaned(live_workers))
            .values(
                status=DeliveryStatus.UNKNOWN,
                error_code="UNKNOWN",
                error_detail="in flight when its sender stopped; not resent automatically",
                processed_at=now,
                claimed_by=None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE or DELETE returns a CursorResult
