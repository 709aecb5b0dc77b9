"""One core for both edges: target counts and the action dispatch the API and the bot share."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import campaign_commands, campaigns, drafts
from core.context import Actor
from core.errors import IllegalTransition
from core.lifecycle import Action
from core.models import CampaignUpdate, CloneOptions, ExecuteOptions, ScheduleRequest
from storage.models import Tenant


def actor_of(tenant: Tenant) -> Actor:
    return Actor(tenant_id=tenant.id, label="admin:1")


async def seed_subscribers(api, auth, count: int) -> None:
    batch = [{"telegramId": 1000 + i, "firstName": f"U{i}"} for i in range(count)]
    response = await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    assert response.status == 200, await response.text()


def wizard_draft(**choices) -> drafts.Draft:
    return drafts.Draft(name="From the bot", message={"content": "Hi {first_name}"}, **choices)


async def listed(api, auth) -> dict:
    response = await api.get("/api/v1/campaigns", headers=auth)
    assert response.status == 200
    (campaign,) = (await response.json())["data"]["campaigns"]
    return campaign


async def test_a_draft_saved_in_the_bot_wizard_shows_its_audience_over_rest(
    api, auth, core, tenant
):
    # Fixed bug: only the REST routes set target_count, so a wizard draft listed 0 recipients.
    await seed_subscribers(api, auth, 3)
    async with core.uow() as uow:
        _, outcome = await drafts.confirm(uow, actor_of(tenant), wizard_draft(), ())
        await uow.commit()
    assert outcome == "saved as draft"
    shown = await listed(api, auth)
    assert shown["statistics"]["targetCount"] == 3
    assert shown["targetAudience"]["totalCount"] == 3


async def test_a_campaign_scheduled_in_the_bot_wizard_keeps_its_audience_size(
    api, auth, core, tenant, clock
):
    await seed_subscribers(api, auth, 2)
    draft = wizard_draft(when="at", at=clock() + timedelta(days=1))
    async with core.uow() as uow:
        _, outcome = await drafts.confirm(uow, actor_of(tenant), draft, ())
        await uow.commit()
    assert outcome == "scheduled"
    shown = await listed(api, auth)
    assert shown["status"] == "scheduled"
    assert shown["statistics"]["targetCount"] == 2


async def test_a_sent_campaign_keeps_the_size_it_was_sent_to(api, auth, core, tenant):
    await seed_subscribers(api, auth, 2)
    actor = actor_of(tenant)
    async with core.uow() as uow:
        campaign, _ = await drafts.confirm(uow, actor, wizard_draft(when="now"), ())
        await uow.commit()
    await seed_subscribers(api, auth, 5)  # 1000..1004: three more people
    async with core.uow() as uow:
        loaded = await campaigns.get_campaign(uow, actor, f"camp_{campaign.id}", lock=True)
        size = await campaigns.refresh_target_count(uow, loaded)
        assert (size, loaded.target_count) == (5, 2)


async def test_perform_runs_each_card_action_through_the_lifecycle(api, auth, core, tenant):
    await seed_subscribers(api, auth, 1)
    actor = actor_of(tenant)
    async with core.uow() as uow:
        campaign, _ = await drafts.confirm(uow, actor, wizard_draft(), ())
        started = await campaign_commands.perform(uow, actor, campaign, Action.EXECUTE)
        assert started.execution is not None and campaign.status == "active"
        paused = await campaign_commands.perform(uow, actor, campaign, Action.PAUSE)
        assert paused.transition is not None and campaign.status == "paused"
        await campaign_commands.perform(uow, actor, campaign, Action.RESUME)
        copied = await campaign_commands.perform(
            uow, actor, campaign, Action.CLONE, CloneOptions(name="Again")
        )
        assert copied.created is not None and copied.created.name == "Again"
        assert copied.created.status == "draft" and campaign.status == "active"
        with pytest.raises(IllegalTransition):
            await campaign_commands.perform(uow, actor, campaign, Action.DELETE)
        await campaign_commands.perform(uow, actor, campaign, Action.CANCEL)
        await campaign_commands.perform(uow, actor, campaign, Action.DELETE)
        assert campaign.status == "cancelled"


async def test_a_test_send_from_perform_leaves_the_status_alone(api, auth, core, tenant):
    await seed_subscribers(api, auth, 2)
    actor = actor_of(tenant)
    async with core.uow() as uow:
        campaign, _ = await drafts.confirm(uow, actor, wizard_draft(), ())
        options = ExecuteOptions(test_recipients=["1000"])
        result = await campaign_commands.perform(uow, actor, campaign, Action.TEST_SEND, options)
        assert result.execution is not None and result.execution.test_mode
        assert result.execution.total == 1 and campaign.status == "draft"


async def test_scheduling_reports_the_live_audience(api, auth, core, tenant, clock):
    await seed_subscribers(api, auth, 4)
    actor = actor_of(tenant)
    async with core.uow() as uow:
        campaign, _ = await drafts.confirm(uow, actor, wizard_draft(), ())
        when = ScheduleRequest(scheduledAt=clock() + timedelta(hours=2))
        result = await campaign_commands.perform(uow, actor, campaign, Action.SCHEDULE, when)
        assert (result.audience, campaign.status) == (4, "scheduled")


async def test_system_actions_are_not_performed_on_request(api, auth, core, tenant):
    actor = actor_of(tenant)
    async with core.uow() as uow:
        campaign, _ = await drafts.confirm(uow, actor, wizard_draft(), ())
        with pytest.raises(ValueError, match="complete"):
            await campaign_commands.perform(uow, actor, campaign, Action.COMPLETE)


async def test_an_update_that_unschedules_stores_the_draft_audience(api, auth, core, tenant, clock):
    # The fields change first, then the status moves; the size is taken once it is a draft.
    actor = actor_of(tenant)
    draft = wizard_draft(when="at", at=clock() + timedelta(days=1))
    async with core.uow() as uow:
        campaign, _ = await drafts.confirm(uow, actor, draft, ())
        await uow.commit()
    await seed_subscribers(api, auth, 3)
    async with core.uow() as uow:
        loaded = await campaigns.get_campaign(uow, actor, f"camp_{campaign.id}", lock=True)
        assert loaded.target_count == 0
        change = CampaignUpdate.model_validate({"name": "Renamed", "status": "draft"})
        result = await campaign_commands.update(uow, actor, loaded, change)
        assert result.transition is not None and result.transition.action is Action.UNSCHEDULE
        assert (loaded.name, loaded.status, loaded.target_count) == ("Renamed", "draft", 3)
        assert result.audience == 3
