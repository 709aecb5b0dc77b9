"""What a campaign's budget check reads: its terms, and the paid sends not yet in its cost."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus, ExecutionStatus
from storage.models import Campaign, Delivery, Execution


@dataclass(frozen=True)
class BudgetTerms:
    """The campaign an execution belongs to, its budget (Stars) and whether it is a test run."""

    campaign_id: int
    budget: float | None
    test_mode: bool


class BudgetRepository:
    """Read-only lookups of the budget rule; the caller holds the campaign's row lock."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def terms(self, execution_id: int) -> BudgetTerms | None:
        """The execution's campaign and budget (an unlocked read: it only decides whether to
        lock the campaign and count)."""
        row = (
            await self.session.execute(
                select(Execution.campaign_id, Campaign.budget, Execution.test_mode)
                .join(Campaign, Campaign.id == Execution.campaign_id)
                .where(Execution.id == execution_id)
            )
        ).first()
        return None if row is None else BudgetTerms(row[0], row[1], bool(row[2]))

    async def unsettled(self, campaign_id: int) -> tuple[int, int]:
        """(rows in flight, rows whose outcome is unknown) of the campaign's real runs: paid
        sends that may cost a message each but are not in campaigns.cost."""
        rows = await self.session.execute(
            select(Delivery.status, func.count())
            .join(Execution, Execution.id == Delivery.execution_id)
            .where(
                Execution.campaign_id == campaign_id,
                Execution.test_mode.is_(False),
                Delivery.status.in_((DeliveryStatus.SENDING, DeliveryStatus.UNKNOWN)),
            )
            .group_by(Delivery.status)
        )
        counts = {status: int(count) for status, count in rows.all()}
        return counts.get(DeliveryStatus.SENDING, 0), counts.get(DeliveryStatus.UNKNOWN, 0)

    async def has_pending(self, campaign_id: int, *, paused: bool = False) -> bool:
        """Whether an open real run of the campaign (a paused one if `paused`) still has
        rows to send."""
        statuses = [ExecutionStatus.PAUSED]
        if not paused:
            statuses.append(ExecutionStatus.RUNNING)
        found = await self.session.scalar(
            select(Delivery.id)
            .join(Execution, Execution.id == Delivery.execution_id)
            .where(
                Execution.campaign_id == campaign_id,
                Execution.test_mode.is_(False),
                Execution.status.in_(statuses),
                Delivery.status == DeliveryStatus.PENDING,
            )
            .limit(1)
        )
        return found is not None
