"""Admins are told when a scheduled run completes and when a campaign fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.notifier import AdminNotifier
from core.campaigns import create_campaign
from core.context import Actor
from core.models import CampaignCreate
from core.scheduling import service as schedules
from core.scheduling.inputs import ScheduleCreate
from scheduler.leader import LeaderLock
from scheduler.service import SchedulerService
from tests.bot.helpers import Person

ADMIN = 111


async def test_a_scheduled_run_is_reported_to_admins(core, engine, tenant, harness, make_engine):
    await harness.emu.create_user(id=ADMIN, first_name="Ada")
    ada = Person(harness, ADMIN)
    await ada.says("/start", expect=2)
    AdminNotifier(core, harness.bot)
    actor = Actor(tenant.id, "api:test")
    at = datetime.now(UTC) + timedelta(hours=1)
    async with core.uow() as uow:
        campaign = await create_campaign(
            uow, actor, CampaignCreate(name="Nightly", messages=[{"content": "Hi"}])
        )
        body = ScheduleCreate.model_validate(
            {
                "campaignId": f"camp_{campaign.id}",
                "type": "one-time",
                "schedule": {"startDateTime": at.isoformat()},
            }
        )
        schedule = await schedules.create_schedule(uow, actor, body)
        due = schedule.next_run_at
    sender = harness.another_bot()
    await make_engine(bot=sender).start()
    await SchedulerService(core, LeaderLock(engine)).fire(f"schedule:{schedule.id}", due)
    await harness.settle(
        lambda: "Scheduled run of «Nightly» completed" in ada.last_text(), within=15
    )
    assert "sent 1" in ada.last_text()  # the admin is the only subscriber
    await sender.session.close()
