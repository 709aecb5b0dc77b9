"""An execution is inserted `pending` and starts `running` once its audience is in the ledger,
whether it is launched alone or with a batch of scheduled runs (one row builder for both)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from core.campaign_actions import start_execution
from core.campaigns import create_campaign
from core.context import Actor
from core.executions import RunPlan, execution_row
from core.lifecycle import EXECUTION_INITIAL, ExecutionStatus, can_move_execution
from core.models import CampaignCreate, ExecuteOptions
from core.scheduling import runs
from core.scheduling import service as schedules
from core.scheduling.inputs import ScheduleCreate
from core.subscribers import SubscriberInput, upsert_subscribers
from storage.audience import AudienceSpec
from storage.models import Campaign, Execution

E = ExecutionStatus


def _values(parameters: Any) -> Iterator[Any]:
    """Every bound value of a statement (one row, many rows, positional or named)."""
    if isinstance(parameters, dict):
        yield from parameters.values()
    elif isinstance(parameters, (list, tuple)):
        for item in parameters:
            yield from _values(item) if isinstance(item, (list, tuple, dict)) else [item]


@pytest.fixture
def inserted_statuses(engine: AsyncEngine) -> Iterator[list[set[str]]]:
    """The execution statuses each INSERT INTO executions wrote."""
    seen: list[set[str]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO EXECUTIONS"):
            seen.append({v for v in _values(parameters) if v in set(E)})

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)


def test_a_new_execution_row_is_pending_and_may_start() -> None:
    campaign = Campaign(id=3, tenant_id=1, messages=[])
    plan = RunPlan(spec=AudienceSpec(tenant_id=1), trigger="manual", priority="high")
    row = execution_row(campaign, plan, "api:test", datetime(2026, 1, 1, tzinfo=UTC))
    assert row["status"] == EXECUTION_INITIAL == E.PENDING
    assert (row["campaign_id"], row["created_by"], row["priority"]) == (3, "api:test", 2)
    assert can_move_execution(E.PENDING, E.RUNNING)


async def test_an_execution_is_inserted_pending_and_committed_running(
    core, tenant, inserted_statuses
):
    actor = Actor(tenant.id, "api:test")
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, [SubscriberInput(telegram_id=t) for t in (1, 2)])
        body = CampaignCreate(name="Hello", messages=[{"content": "Hi"}])
        campaign = await create_campaign(uow, actor, body)
        result = await start_execution(uow, actor, campaign, ExecuteOptions())
        assert result.execution is not None
        execution_id = result.execution.id
    assert inserted_statuses == [{"pending"}]
    async with core.uow() as uow:
        execution = await uow.session.get(Execution, execution_id)
        assert (execution.status, execution.total) == ("running", 2)


async def test_scheduled_runs_are_inserted_pending_and_committed_running(
    core, clock, tenant, inserted_statuses
):
    actor = Actor(tenant.id, "api:test")
    clock.set(datetime(2024, 6, 1, 8, tzinfo=UTC))
    daily = {"recurring": {"pattern": "daily", "timeOfDay": "09:00"}}
    schedule_ids = []
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, [SubscriberInput(telegram_id=t) for t in (1, 2, 3)])
        for name in ("Morning", "Also morning"):
            body = CampaignCreate(name=name, messages=[{"content": "Hi"}])
            campaign = await create_campaign(uow, actor, body)
            made = await schedules.create_schedule(uow, actor, ScheduleCreate.model_validate(
                {"campaignId": f"camp_{campaign.id}", "type": "recurring", "schedule": daily}
            ))  # fmt: skip
            schedule_ids.append(made.id)
    due = datetime(2024, 6, 1, 9, tzinfo=UTC)
    clock.set(due)
    async with core.uow() as uow:
        fired = await runs.fire_many(uow, dict.fromkeys(schedule_ids, due))

    assert inserted_statuses == [{"pending"}]  # one INSERT for both runs
    async with core.uow() as uow:
        for schedule_id in schedule_ids:
            execution = await uow.session.get(Execution, fired[schedule_id].execution_id)
            assert (execution.status, execution.total) == ("running", 3)
