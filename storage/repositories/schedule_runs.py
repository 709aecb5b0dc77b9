"""Firing schedules in bulk: runs claimed, executions inserted, audiences copied, outcomes set."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    Text,
    case,
    cast,
    column,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
    values,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DELIVERY_INITIAL, ExecutionStatus, ScheduleRunStatus
from storage.audience import AudienceSpec, Condition, Group, audience_where
from storage.models import Campaign, Delivery, Execution, Subscriber, table_of
from storage.models_scheduling import Schedule, ScheduleRun
from storage.repositories.executions import variation_bucket

LEDGER_COLUMNS = ["execution_id", "subscriber_id", "chat_id", "variation", "status", "attempts"]


@dataclass(frozen=True)
class RunAudience:
    """One run's ledger snapshot: as ExecutionRepository.snapshot at 100 %, without a limit."""

    execution_id: int
    spec: AudienceSpec
    variation_cutoffs: Sequence[int]
    variation_salt: int


def _audience_select(run: RunAudience) -> Select[int, int, int, int, str, int]:
    variation: ColumnElement[int] = literal(0)
    if run.variation_cutoffs:
        bucket = variation_bucket(run.variation_salt)
        variation = case(
            *((bucket < cutoff, index) for index, cutoff in enumerate(run.variation_cutoffs)),
            else_=len(run.variation_cutoffs),
        )
    return select(
        literal(run.execution_id), Subscriber.id, Subscriber.chat_id, variation,
        literal(DELIVERY_INITIAL.value), literal(0),  # a bare enum member would bind untyped
    ).where(audience_where(run.spec))  # fmt: skip


def _tree(item: Condition | Group) -> Hashable:
    if isinstance(item, Group):
        return item.mode, tuple(_tree(part) for part in item.items)
    sample = item.value[0] if isinstance(item.value, list) and item.value else item.value
    return item.field, item.op, isinstance(item.value, list), type(sample).__name__


def _shape(run: RunAudience) -> Hashable:
    """Runs of one shape compile to the same SQL but for bound values (lists in IN expand
    at execution), so a UNION of k of them is compiled once and then found in the cache."""
    spec = run.spec
    segments = tuple((kind, rules and _tree(rules)) for _, kind, rules in spec.segments)
    filters = spec.filters and _tree(spec.filters)
    return segments, filters, spec.subscriber_ids is None, len(run.variation_cutoffs)


def _chunks(runs: Sequence[RunAudience]) -> Iterator[list[RunAudience]]:
    """Runs grouped by shape, in unions of 16, 8, 4, 2 or 1 (few distinct statements)."""
    groups: dict[Hashable, list[RunAudience]] = {}
    for run in runs:
        groups.setdefault(_shape(run), []).append(run)
    for group in groups.values():
        start = 0
        for size in (16, 8, 4, 2, 1):
            while len(group) - start >= size:
                yield group[start : start + size]
                start += size


class ScheduleRunRepository:
    """Run rows and the executions they start (any tenant: the timer fires them all)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_run(self, run: ScheduleRun) -> bool:
        """Record a run; False when that (schedule, time) was already recorded."""
        try:
            async with self.session.begin_nested():
                self.session.add(run)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def lock_many(self, schedule_ids: Sequence[int]) -> list[Schedule]:
        """Schedules by id, locked for update (in id order, so lockers never deadlock)."""
        rows = await self.session.scalars(
            select(Schedule)
            .where(Schedule.id.in_(schedule_ids))
            .order_by(Schedule.id)
            .with_for_update()
        )
        return list(rows)

    async def claim_runs(
        self, due: Sequence[tuple[int, datetime]], started_at: datetime
    ) -> dict[int, int]:
        """Record fired runs; {schedule id: run id} of those whose (schedule, time) was new."""
        if not due:
            return {}
        dialect = self.session.get_bind().dialect.name
        upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ScheduleRun)
        rows = await self.session.execute(
            upsert.on_conflict_do_nothing(index_elements=["schedule_id", "scheduled_for"])
            .returning(ScheduleRun.schedule_id, ScheduleRun.id),
            [
                {"schedule_id": sid, "scheduled_for": at, "status": ScheduleRunStatus.FIRED,
                 "test": False, "started_at": started_at}
                for sid, at in due
            ],
        )  # fmt: skip
        return {schedule_id: run_id for schedule_id, run_id in rows.all()}

    async def finish_runs(self, outcomes: Sequence[dict[str, Any]]) -> None:
        """Set runs' status, detail and execution by run id (each dict: those four keys)."""
        if not outcomes:
            return
        if self.session.get_bind().dialect.name != "postgresql":
            await self.session.execute(update(ScheduleRun), list(outcomes))
            return
        # One statement, not one UPDATE per run: a burst of 1,000 due schedules spent 2.6 s
        # of its 2 s p99 lateness in these (bench/schedules.py --scenarios burst).
        given = values(
            column("id", BigInteger),
            column("status", String),
            column("detail", Text),
            column("execution_id", BigInteger),
            name="outcome",
        ).data([(o["id"], o["status"], o["detail"], o["execution_id"]) for o in outcomes])
        runs = table_of(ScheduleRun)
        # A None renders as a bare NULL: a batch without any execution (every run skipped or
        # failed) would hand PostgreSQL a text column, so the id is cast back.
        execution_id = cast(given.c.execution_id, BigInteger)
        await self.session.execute(
            runs.update()
            .where(runs.c.id == given.c.id)
            .values(status=given.c.status, detail=given.c.detail, execution_id=execution_id)
        )

    async def add_executions(self, rows: Sequence[dict[str, Any]]) -> dict[int, int]:
        """Insert executions of runs, one per schedule; {schedule id: execution id}."""
        if not rows:
            return {}
        result = await self.session.execute(
            insert(Execution).returning(Execution.schedule_id, Execution.id), list(rows)
        )
        execution_ids: dict[int, int] = {}
        for schedule_id, execution_id in result.all():
            assert schedule_id is not None, "an execution of a run carries its schedule id"
            execution_ids[schedule_id] = execution_id
        return execution_ids

    async def snapshot_runs(self, runs: Sequence[RunAudience], started: ExecutionStatus) -> None:
        """Copy the runs' audiences into the ledger, many runs per INSERT ... SELECT, then set
        each execution's total from what was copied and its status to `started`."""
        for chunk in _chunks(runs):
            selects = [_audience_select(run) for run in chunk]
            query = selects[0] if len(selects) == 1 else union_all(*selects)
            await self.session.execute(insert(Delivery).from_select(LEDGER_COLUMNS, query))
        if runs:
            copied = (
                select(func.count()).where(Delivery.execution_id == Execution.id).scalar_subquery()
            )
            await self.session.execute(
                update(Execution)
                .where(Execution.id.in_([run.execution_id for run in runs]))
                .values(total=copied, status=started)
                .execution_options(synchronize_session=False)
            )

    async def campaigns(self, campaign_ids: set[int]) -> dict[int, Campaign]:
        """Campaigns by id (those that still exist)."""
        if not campaign_ids:
            return {}
        rows = await self.session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))
        return {campaign.id: campaign for campaign in rows}
