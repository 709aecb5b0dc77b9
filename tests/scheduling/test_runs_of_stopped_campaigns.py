"""A schedule whose campaign was paused or cancelled records its runs (timed or caused by an
event) as skipped, and sends nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from core.campaign_actions import cancel_campaign, pause_campaign, start_execution
from core.campaigns import create_campaign
from core.context import Actor, CoreContext
from core.models import CampaignCreate, ExecuteOptions
from core.scheduling import runs
from core.scheduling import service as schedules
from core.scheduling.inputs import ScheduleCreate
from core.scheduling.triggers import EventIn, ingest, run_due_jobs
from core.subscribers import SubscriberInput, upsert_subscribers
from storage.models import Campaign, Execution
from storage.models_scheduling import Schedule, ScheduleRun, TriggerJob

DAILY = {"recurring": {"pattern": "daily", "timeOfDay": "09:00"}}
STOPS = [(pause_campaign, "paused"), (cancel_campaign, "cancelled")]


async def campaign_with_a_daily_schedule(core: CoreContext, actor: Actor) -> tuple[int, int]:
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, [SubscriberInput(telegram_id=t) for t in (11, 12)])
        body = CampaignCreate(name="Daily tips", messages=[{"content": "Tip!"}])
        campaign = await create_campaign(uow, actor, body)
        made = await schedules.create_schedule(uow, actor, ScheduleCreate.model_validate(
            {"campaignId": f"camp_{campaign.id}", "type": "recurring", "schedule": DAILY}
        ))  # fmt: skip
        return campaign.id, made.id


async def executions_of(core: CoreContext, campaign_id: int) -> int:
    async with core.uow() as uow:
        query = select(func.count()).where(Execution.campaign_id == campaign_id)
        return int(await uow.session.scalar(query) or 0)


@pytest.mark.parametrize(("stop", "status"), STOPS)
async def test_a_run_of_a_stopped_campaign_is_skipped_with_the_reason(
    core, clock, tenant, stop, status
):
    actor = Actor(tenant.id, "api:test")
    clock.set(datetime(2024, 6, 1, 8, tzinfo=UTC))
    campaign_id, schedule_id = await campaign_with_a_daily_schedule(core, actor)
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        await start_execution(uow, actor, campaign, ExecuteOptions())
        await stop(uow, actor, campaign)
        assert campaign.status == status
    sent_before = await executions_of(core, campaign_id)

    due = datetime(2024, 6, 1, 9, tzinfo=UTC)
    clock.set(due)
    async with core.uow() as uow:
        fired = await runs.fire_many(uow, {schedule_id: due})

    assert fired[schedule_id].execution_id is None
    assert await executions_of(core, campaign_id) == sent_before
    async with core.uow() as uow:
        run = await uow.session.scalar(
            select(ScheduleRun).where(ScheduleRun.schedule_id == schedule_id)
        )
        assert (run.status, run.detail, run.execution_id) == (
            "skipped",
            f"the campaign is {status}",
            None,
        )
        # The schedule itself goes on: its next day is planned.
        schedule = await uow.session.get(Schedule, schedule_id)
        assert schedule.next_run_at == datetime(2024, 6, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize(("stop", "status"), STOPS)
async def test_an_event_for_a_stopped_campaign_sends_nothing_and_says_why(
    core, clock, tenant, stop, status
):
    actor = Actor(tenant.id, "api:test")
    clock.set(datetime(2024, 6, 1, 8, tzinfo=UTC))
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, [SubscriberInput(telegram_id=11)])
        campaign = await create_campaign(uow, actor, CampaignCreate(name="Welcome", messages=[
            {"content": "Hello!"}]))  # fmt: skip
        await schedules.create_schedule(uow, actor, ScheduleCreate.model_validate({
            "campaignId": f"camp_{campaign.id}", "type": "trigger-based", "schedule": {
                "triggers": [{"type": "user_event", "conditions": {"event": "signed_up"},
                              "delay": {"value": 1, "unit": "hours"}}]}}))  # fmt: skip
        campaign_id = campaign.id
    async with core.uow() as uow:
        await ingest(uow, actor, [EventIn(event="signed_up", telegram_id=11, event_id="e1")])
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        await start_execution(uow, actor, campaign, ExecuteOptions())
        await stop(uow, actor, campaign)
    sent_before = await executions_of(core, campaign_id)

    clock.set(datetime(2024, 6, 1, 9, 0, 1, tzinfo=UTC))  # the delay has passed
    async with core.uow() as uow:
        assert await run_due_jobs(uow) == 0
    assert await executions_of(core, campaign_id) == sent_before
    async with core.uow() as uow:
        job = await uow.session.scalar(select(TriggerJob))
        assert (job.status, job.detail) == ("skipped", f"the campaign is {status}")
