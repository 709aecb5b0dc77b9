"""Executions and the delivery ledger's set-based snapshot and aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DELIVERY_INITIAL, EXECUTION_OPEN, ExecutionStatus
from storage.audience import AudienceSpec, audience_where
from storage.models import Delivery, Execution, Subscriber, table_of
from storage.repositories.locks import lock_campaign

# Multiplicative hashing: the high bits of id * odd constant mod 2^32 spread sequential ids
# evenly; two different constants keep sampling and A/B assignment independent of each other.
_SAMPLE_MULTIPLIER = 2654435761
_VARIATION_MULTIPLIER = 2246822519
_MODULUS = 4294967296
OPEN = tuple(sorted(EXECUTION_OPEN))


def _bucket(multiplier: int, salt: int) -> ColumnElement[float | Decimal]:
    """A deterministic bucket in [0, 100) per subscriber and salt, computed in SQL.

    `/` is true division, so the bucket is a fraction (Numeric), not an integer.
    """
    mixed = (Subscriber.id * multiplier + salt * 40503) % _MODULUS
    return (mixed * 100) / _MODULUS


def variation_bucket(salt: int) -> ColumnElement[float | Decimal]:
    """The [0, 100) A/B bucket of each subscriber for a run's variation salt (SQL)."""
    return _bucket(_VARIATION_MULTIPLIER, salt)


class ExecutionRepository:
    """Execution rows and their deliveries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, execution: Execution) -> Execution:
        """Insert an execution."""
        self.session.add(execution)
        await self.session.flush()
        return execution

    async def get(self, execution_id: int) -> Execution | None:
        """One execution by id."""
        return await self.session.get(Execution, execution_id)

    async def latest_for_campaign(self, campaign_id: int) -> Execution | None:
        """The newest execution of a campaign."""
        return await self.session.scalar(
            select(Execution)
            .where(Execution.campaign_id == campaign_id)
            .order_by(Execution.id.desc())
            .limit(1)
        )

    async def open_for_campaign(self, campaign_id: int, *, lock: bool = False) -> list[Execution]:
        """Executions of a campaign that have not finished (locked, after the campaign's row)."""
        query = select(Execution).where(
            Execution.campaign_id == campaign_id, Execution.status.in_(OPEN)
        )
        if lock:
            await lock_campaign(self.session, campaign_id)
            query = (
                query.order_by(Execution.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        return list(await self.session.scalars(query))

    async def set_status(
        self, execution_ids: Sequence[int], status: ExecutionStatus, **values: Any
    ) -> None:
        """Move executions to `status`, setting any extra columns given."""
        if execution_ids:
            await self.session.execute(
                update(Execution)
                .where(Execution.id.in_(execution_ids))
                .values(status=status, **values)
            )

    async def add_skipped(self, execution_id: int, count: int) -> None:
        """Count rows that were skipped outside a write-back (cancel)."""
        await self.session.execute(
            update(Execution)
            .where(Execution.id == execution_id)
            .values(skipped_count=Execution.skipped_count + count)
        )

    async def reopen(self, execution_id: int, requeued: int) -> None:
        """Requeued unknown rows make a finished execution run again."""
        await self.session.execute(
            update(Execution)
            .where(Execution.id == execution_id)
            .values(
                unknown_count=Execution.unknown_count - requeued,
                status=case(
                    (Execution.status == ExecutionStatus.COMPLETED, ExecutionStatus.RUNNING.value),
                    else_=Execution.status,
                ),
                finished_at=case(
                    (Execution.status == ExecutionStatus.COMPLETED, None),
                    else_=Execution.finished_at,
                ),
            )
        )

    async def running(self) -> list[Execution]:
        """Executions the engine should be sending, highest priority first."""
        rows = await self.session.scalars(
            select(Execution)
            .where(Execution.status == ExecutionStatus.RUNNING)
            .order_by(Execution.priority.desc(), Execution.id)
        )
        return list(rows)

    async def snapshot(
        self,
        execution_id: int,
        spec: AudienceSpec,
        *,
        percentage: int,
        variation_cutoffs: Sequence[int],
        sample_salt: int,
        variation_salt: int,
        limit: int | None = None,
    ) -> int:
        """Copy the audience into the ledger with one INSERT ... SELECT; returns the row count.

        `variation_cutoffs` are cumulative upper bounds (0..100) of variations 1..n;
        a subscriber whose bucket falls below none of them gets variation 0.
        """
        where = [audience_where(spec)]
        if percentage < 100:
            where.append(_bucket(_SAMPLE_MULTIPLIER, sample_salt) < percentage)
        variation: ColumnElement[int]
        if variation_cutoffs:
            bucket = variation_bucket(variation_salt)
            variation = case(
                *((bucket < cutoff, index) for index, cutoff in enumerate(variation_cutoffs)),
                else_=len(variation_cutoffs),
            )
        else:
            variation = literal(0)
        query = select(
            literal(execution_id),
            Subscriber.id,
            Subscriber.chat_id,
            variation,
            literal(DELIVERY_INITIAL.value),  # a bare enum member would bind untyped
            literal(0),
        ).where(*where)
        if limit is not None:
            query = query.order_by(Subscriber.id).limit(limit)
        result = await self.session.execute(
            table_of(Delivery)
            .insert()
            .from_select(
                ["execution_id", "subscriber_id", "chat_id", "variation", "status", "attempts"],
                query,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE or DELETE returns a CursorResult

    async def status_counts(self, execution_id: int) -> dict[str, int]:
        """Ledger rows of an execution per delivery status."""
        rows = await self.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.execution_id == execution_id)
            .group_by(Delivery.status)
        )
        return {status: int(count) for status, count in rows.all()}

    async def error_counts(self, execution_id: int) -> list[tuple[str, int, str | None]]:
        """(error code, count, one sample detail) of failed rows of an execution."""
        rows = await self.session.execute(
            select(Delivery.error_code, func.count(), func.max(Delivery.error_detail))
            .where(Delivery.execution_id == execution_id, Delivery.error_code.is_not(None))
            .group_by(Delivery.error_code)
            .order_by(func.count().desc())
        )
        # The WHERE already leaves NULL codes out; the check narrows the type.
        return [
            (code, int(count), detail) for code, count, detail in rows.all() if code is not None
        ]
