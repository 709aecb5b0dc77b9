"""The delivery ledger: claims, write-backs and listings of per-recipient rows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery


class DeliveryRepository:
    """Ledger rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def skip_pending(self, execution_ids: Sequence[int], reason: str) -> int:
        """Mark every pending row of the executions skipped; returns how many."""
        if not execution_ids:
            return 0
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.execution_id.in_(execution_ids), Delivery.status == "pending")
            .values(status="skipped", error_code=reason)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
