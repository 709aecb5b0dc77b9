"""Runs fired together get the same ledger as one run snapshotted alone would."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.campaigns import create_campaign
from core.context import Actor, CoreContext
from core.executions import variation_cutoffs
from core.models import CampaignCreate
from core.scheduling import runs
from core.scheduling import service as schedules
from core.scheduling.audience import schedule_spec
from core.scheduling.inputs import ScheduleCreate
from core.scheduling.service import target_of
from core.segments import SegmentInput, save_segment
from core.subscribers import SubscriberInput, upsert_subscribers
from storage.models import Campaign, Delivery, Execution
from storage.models_scheduling import Schedule
from storage.repositories.executions import ExecutionRepository

DAILY = {"recurring": {"pattern": "daily", "timeOfDay": "09:00"}}


async def ledger(core: CoreContext, execution_id: int) -> set[tuple[int, int]]:
    async with core.uow() as uow:
        rows = await uow.session.execute(
            select(Delivery.subscriber_id, Delivery.variation).where(
                Delivery.execution_id == execution_id
            )
        )
        return {(sid, variation) for sid, variation in rows.all()}


async def alone(core: CoreContext, schedule_id: int) -> set[tuple[int, int]]:
    """The ledger ExecutionRepository.snapshot makes for this run on its own (rolled back)."""
    async with core.uow() as uow:
        schedule = await uow.session.get(Schedule, schedule_id)
        campaign = await uow.session.get(Campaign, schedule.campaign_id)
        spec = await schedule_spec(
            uow, schedule.tenant_id, target_of(schedule), campaign.target_audience
        )
        repo = ExecutionRepository(uow.session)
        execution = await repo.add(
            Execution(tenant_id=campaign.tenant_id, campaign_id=campaign.id, status="pending",
                      trigger="test", test_mode=True, created_by="test")
        )  # fmt: skip
        await repo.snapshot(
            execution.id, spec, percentage=100,
            variation_cutoffs=variation_cutoffs(campaign.messages or []),
            sample_salt=execution.id, variation_salt=campaign.id,
        )  # fmt: skip
        rows = await uow.session.execute(
            select(Delivery.subscriber_id, Delivery.variation).where(
                Delivery.execution_id == execution.id
            )
        )
        found = {(sid, variation) for sid, variation in rows.all()}
        await uow.rollback()
        return found


async def test_runs_fired_together_match_runs_snapshotted_alone(core, clock, tenant):
    actor = Actor(tenant.id, "api:test")
    clock.set(datetime(2024, 6, 1, 8, tzinfo=UTC))
    people = [SubscriberInput(telegram_id=100 + i, language_code=("en", "de", "fr")[i % 3])
              for i in range(30)]  # fmt: skip
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, people)
    async with core.uow() as uow:
        static = await save_segment(uow, actor, SegmentInput.model_validate(
            {"name": "Some", "type": "static", "members": [f"sub_{i}" for i in range(1, 31, 2)]}
        ))  # fmt: skip
        german = await save_segment(uow, actor, SegmentInput.model_validate(
            {"name": "German", "rules": {"all": [{"field": "languageCode", "op": "eq", "value": "de"}]}}
        ))  # fmt: skip
    a_b = [{"content": "A", "variations": [{"id": "b", "content": "B", "weight": 40},
                                          {"id": "c", "content": "C", "weight": 30}]}]  # fmt: skip
    campaigns = [
        ({"segments": [f"seg_{static.id}", f"seg_{german.id}"],
          "filters": {"all": [{"field": "languageCode", "op": "in", "value": ["de", "en"]}]}}, a_b, None),
        # The schedule's own target wins over the campaign's segments and filters.
        ({"segments": [f"seg_{static.id}"], "filters": {"all": [
            {"field": "languageCode", "op": "eq", "value": "en"}]}},
         a_b, {"type": "segment", "segmentId": f"seg_{german.id}"}),
        ({"segments": [f"seg_{static.id}"]}, [{"content": "x"}], None),
        (None, [{"content": "x"}], {"type": "all"}),
        (None, [{"content": "x"}], {"type": "individual", "userIds": [101, 104]}),
    ]  # fmt: skip
    schedule_ids = []
    for audience, messages, target in campaigns:
        async with core.uow() as uow:
            body = {"name": "Batch", "messages": messages, "targetAudience": audience}
            campaign = await create_campaign(uow, actor, CampaignCreate.model_validate(body))
            made = await schedules.create_schedule(uow, actor, ScheduleCreate.model_validate(
                {"campaignId": f"camp_{campaign.id}", "type": "recurring", "schedule": DAILY,
                 **({"targetAudience": target} if target else {})}
            ))  # fmt: skip
            schedule_ids.append(made.id)
    due = datetime(2024, 6, 1, 9, tzinfo=UTC)
    clock.set(due)
    async with core.uow() as uow:
        fired = await runs.fire_many(uow, dict.fromkeys(schedule_ids, due))
    for schedule_id in schedule_ids:
        execution_id = fired[schedule_id].execution_id
        assert execution_id is not None
        expected = await alone(core, schedule_id)
        assert expected, "every audience here reaches someone"
        assert await ledger(core, execution_id) == expected
        async with core.uow() as uow:
            assert (await uow.session.get(Execution, execution_id)).total == len(expected)
