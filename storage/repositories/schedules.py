"""Schedule rows (add, read, list, delete), their run history, and aggregates over executions."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import WAITING_STATUSES, ScheduleKind, ScheduleStatus
from storage.models import Execution
from storage.models_scheduling import Schedule, ScheduleRun
from storage.signals import Kind, mark

WAITING = tuple(sorted(WAITING_STATUSES))


class ScheduleRepository:
    """Schedule rows of one tenant (or all, for the timer)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, schedule: Schedule) -> Schedule:
        """Insert a schedule."""
        self.session.add(schedule)
        await self.session.flush()
        return schedule

    async def get(
        self, tenant_id: int | None, schedule_id: int, *, lock: bool = False
    ) -> Schedule | None:
        """One schedule (of the tenant, when given)."""
        query = select(Schedule).where(Schedule.id == schedule_id)
        if tenant_id is not None:
            query = query.where(Schedule.tenant_id == tenant_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def by_id(self, schedule_id: int) -> Schedule | None:
        """A schedule of any tenant (from the session when already loaded)."""
        return await self.session.get(Schedule, schedule_id)

    async def list(
        self, tenant_id: int, *, status: str | None, type_: str | None, skip: int, limit: int
    ) -> tuple[list[Schedule], int]:
        """A slice of the tenant's schedules, newest first, and the total."""
        where: list[ColumnElement[bool]] = [Schedule.tenant_id == tenant_id]
        if status:
            where.append(Schedule.status == status)
        if type_:
            where.append(Schedule.type == type_)
        total = await self.session.scalar(select(func.count()).select_from(Schedule).where(*where))
        rows = await self.session.scalars(
            select(Schedule)
            .where(*where)
            .order_by(Schedule.created_at.desc(), Schedule.id.desc())
            .offset(skip)
            .limit(limit)
        )
        return list(rows), int(total or 0)

    async def delete(self, schedule: Schedule) -> None:
        """Remove a schedule and its runs."""
        mark(self.session, Kind.SCHEDULE, schedule.id)  # a bulk DELETE the ORM does not track
        await self.session.execute(delete(Schedule).where(Schedule.id == schedule.id))

    async def trigger_schedules(self, tenant_id: int) -> builtins.list[Schedule]:
        """Active trigger-based schedules of a tenant."""
        rows = await self.session.scalars(
            select(Schedule).where(
                Schedule.tenant_id == tenant_id,
                Schedule.type == ScheduleKind.TRIGGER_BASED,
                Schedule.status == ScheduleStatus.ACTIVE,
            )
        )
        return list(rows)

    async def same_time(self, campaign_id: int, at: datetime, exclude: int | None) -> bool:
        """Whether another waiting schedule of the campaign fires at exactly `at`."""
        query = (
            select(func.count())
            .select_from(Schedule)
            .where(
                Schedule.campaign_id == campaign_id,
                Schedule.next_run_at == at,
                Schedule.status.in_((*WAITING, ScheduleStatus.PAUSED)),
            )
        )
        if exclude is not None:
            query = query.where(Schedule.id != exclude)
        return bool(await self.session.scalar(query))

    async def runs(
        self, schedule_id: int, limit: int
    ) -> builtins.list[tuple[ScheduleRun, Execution | None]]:
        """The newest runs with their executions."""
        rows = await self.session.execute(
            select(ScheduleRun, Execution)
            .outerjoin(Execution, Execution.id == ScheduleRun.execution_id)
            .where(ScheduleRun.schedule_id == schedule_id)
            .order_by(ScheduleRun.scheduled_for.desc(), ScheduleRun.id.desc())
            .limit(limit)
        )
        return [(run, execution) for run, execution in rows.all()]

    async def totals(self, schedule_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Runs, messages sent and failed per schedule (non-test executions)."""
        if not schedule_ids:
            return {}
        rows = await self.session.execute(
            select(
                Execution.schedule_id,
                func.count(),
                func.coalesce(func.sum(Execution.sent_count), 0),
                func.coalesce(func.sum(Execution.failed_count), 0),
            )
            .where(Execution.schedule_id.in_(schedule_ids), Execution.test_mode.is_(False))
            .group_by(Execution.schedule_id)
        )
        return {
            sid: {"runs": int(n), "sent": int(sent), "failed": int(failed)}
            for sid, n, sent, failed in rows.all()
            if sid is not None  # always: the WHERE matches given schedule ids only
        }

    async def period_totals(self, tenant_id: int, since: datetime) -> dict[str, int]:
        """Runs, sent and failed of every schedule of the tenant since `since`."""
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(Execution.sent_count), 0),
                    func.coalesce(func.sum(Execution.failed_count), 0),
                ).where(
                    Execution.tenant_id == tenant_id,
                    Execution.schedule_id.is_not(None),
                    Execution.test_mode.is_(False),
                    Execution.created_at >= since,
                )
            )
        ).one()
        return {"runs": int(row[0]), "sent": int(row[1]), "failed": int(row[2])}

    async def counts_by_status(self, tenant_id: int) -> dict[str, int]:
        """Schedules per status."""
        rows = await self.session.execute(
            select(Schedule.status, func.count())
            .where(Schedule.tenant_id == tenant_id)
            .group_by(Schedule.status)
        )
        return {status: int(n) for status, n in rows.all()}
