"""The bot commits before it speaks: whatever it tells Telegram is already stored, unlocked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.routers import campaigns as campaign_screens
from core import drafts
from core.campaigns import create_campaign
from core.context import Actor
from core.models import CampaignCreate
from core.scheduling import service as schedules
from core.scheduling.inputs import ScheduleCreate
from storage.models import Campaign, Subscriber
from storage.models_scheduling import Schedule
from tests.bot.helpers import Person, Witness, admin, campaigns, said, walk_wizard, writable


async def stored_names(core) -> list[str]:
    return [c.name for c in await campaigns(core)]


async def a_draft(core, tenant, name: str = "Spring sale") -> int:
    async with core.uow() as uow:
        campaign = await create_campaign(
            uow,
            Actor(tenant.id, "api:test"),
            CampaignCreate(name=name, messages=[{"content": "Hi"}]),
        )
        return campaign.id


def campaign_probe(core, engine, backend, campaign_id):
    """What another connection sees of the campaign: (status or None, may it change the row)."""

    async def probe():
        async with core.uow() as uow:
            row = await uow.session.get(Campaign, campaign_id)
            status = row.status if row else None
        return status, await writable(engine, backend, "campaigns", campaign_id)

    return probe


async def test_saved_is_said_only_about_a_stored_campaign(core, harness):
    ada = await admin(harness)
    await walk_wizard(ada)
    witness = Witness(lambda: stored_names(core))
    harness.bot.session.middleware(witness)
    await ada.presses("Confirm")
    assert ada.last_text().startswith("Saved campaign")
    assert witness.when_said("Saved campaign") == [["Black Friday"]]


async def test_a_failing_commit_sends_no_saved_message(core, harness, monkeypatch):
    real_confirm = drafts.confirm

    async def confirm_then_break(uow, actor, draft, admin_ids):
        campaign, outcome = await real_confirm(uow, actor, draft, admin_ids)
        campaign.tenant_id = 10**9  # no such tenant: the commit's flush violates the foreign key
        return campaign, outcome

    monkeypatch.setattr(drafts, "confirm", confirm_then_break)
    ada = await admin(harness)
    await walk_wizard(ada)
    await ada.presses("Confirm")
    assert "went wrong" in ada.last_text()
    assert not any("Saved campaign" in (m.text or "") for m in ada.inbox())
    assert await campaigns(core) == []


async def test_card_actions_are_told_after_commit_without_a_lock(
    core, harness, tenant, engine, backend
):
    campaign_id = await a_draft(core, tenant)
    ada = await admin(harness)
    witness = Witness(campaign_probe(core, engine, backend, campaign_id))
    harness.bot.session.middleware(witness)
    await ada.says("/campaigns")
    await ada.presses("Spring sale")
    await ada.presses("Clone", expect=0)  # answered with a notice, not a message
    assert witness.when_said("Cloned as")
    assert "Spring sale (Copy)" in await stored_names(core)
    await ada.presses("Execute", expect=2)  # the progress message and the refreshed card
    await ada.presses("Pause")
    await ada.presses("Resume")
    await ada.presses("Cancel")
    await ada.presses("Yes, cancel")
    await ada.presses("Delete")
    await ada.presses("Yes, delete")
    assert witness.when_said("execute: done") == [("active", True)]
    assert witness.when_said("pause: done") == [("paused", True)]
    assert witness.when_said("resume: done") == [("active", True)]
    assert witness.when_said("cancel: done") == [("cancelled", True)]
    assert witness.when_said("Deleted") == [(None, True)]
    # Every word of the card's handlers; progress edits run beside them, on their own.
    replies = [found for method, found in witness.seen if not said(method).startswith("📤")]
    assert all(free for _, free in replies), "a lock was held while the bot spoke"


async def test_statistics_are_drawn_and_sent_without_a_lock(
    core, harness, tenant, engine, backend, monkeypatch
):
    campaign_id = await a_draft(core, tenant)
    probe = campaign_probe(core, engine, backend, campaign_id)
    loop = asyncio.get_running_loop()
    while_drawing = []
    real_chart = campaign_screens.campaign_chart

    def chart(name, figures):  # runs in a worker thread, as the real one does
        while_drawing.append(asyncio.run_coroutine_threadsafe(probe(), loop).result(10))
        return real_chart(name, figures)

    monkeypatch.setattr(campaign_screens, "campaign_chart", chart)
    ada = await admin(harness)
    witness = Witness(probe)
    harness.bot.session.middleware(witness)
    await ada.says("/campaigns")
    await ada.presses("Spring sale")
    await ada.presses("Statistics")
    assert ada.inbox()[-1].media_kind == "photo"
    assert while_drawing == [("draft", True)]
    assert all(free for _, (_, free) in witness.seen), "a lock was held while the bot spoke"


async def test_scheduling_from_the_card_and_the_remembered_zone(core, harness, tenant):
    campaign_id = await a_draft(core, tenant)
    ada = await admin(harness)
    await ada.says("/new")  # the wizard's zone question stores the admin's zone
    await ada.says("Zone probe")
    await ada.presses("message")
    await ada.says("Hi")
    await ada.says("-")
    await ada.presses("Everyone", expect=2)
    await ada.presses("No")
    await ada.presses("At a date and time")
    await ada.presses("Europe/London")
    await ada.says("/cancel")

    async def status():
        async with core.uow() as uow:
            return (await uow.session.get(Campaign, campaign_id)).status

    witness = Witness(status)
    harness.bot.session.middleware(witness)
    await ada.says("/campaigns")
    await ada.presses("Spring sale")
    await ada.presses("Schedule")
    assert "zone Europe/London" in ada.last_text()  # remembered: that commit happened too
    await ada.says("2099-06-01 10:00")
    assert ada.last_text().startswith("Scheduled for 2099-06-01 10:00")
    assert witness.when_said("Scheduled for") == ["scheduled"]


async def test_schedule_pause_is_told_after_commit(core, harness, tenant, engine, backend):
    actor = Actor(tenant.id, "api:test")
    campaign_id = await a_draft(core, tenant, "Nightly")
    async with core.uow() as uow:
        body = ScheduleCreate.model_validate({
            "campaignId": f"camp_{campaign_id}", "type": "one-time",
            "schedule": {"startDateTime": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        })  # fmt: skip
        schedule_id = (await schedules.create_schedule(uow, actor, body)).id

    async def probe():
        async with core.uow() as uow:
            row = await uow.session.get(Schedule, schedule_id)
        return row.status, await writable(engine, backend, "schedules", schedule_id)

    ada = await admin(harness)
    witness = Witness(probe)
    harness.bot.session.middleware(witness)
    await ada.says("/schedules")
    await ada.presses("⏸ Nightly", expect=0)
    assert witness.when_said("Done: pause") == [("paused", True)]


async def test_subscriber_replies_follow_their_commit(core, harness):
    user = await harness.emu.create_user(first_name="Bo")
    bo = Person(harness, user.id)

    async def status():
        async with core.uow() as uow:
            return await uow.session.scalar(
                select(Subscriber.status).where(Subscriber.telegram_id == user.id)
            )

    witness = Witness(status)
    harness.bot.session.middleware(witness)
    await bo.says("/start")
    await bo.says("/stop")
    await bo.presses("Subscribe again")
    assert witness.when_said("Welcome, Bo") == ["active"]
    assert witness.when_said("You are unsubscribed") == ["unsubscribed"]
    assert witness.when_said("You are subscribed again") == ["active"]  # the button's answer
    assert witness.when_said("Welcome back!") == ["active"]
